#!/usr/bin/env bash
# Crash storm: BLOCKS segfault crashes written to a watched file within STORM_SECONDS, nine in
# ten from one program, with detect.folding on. Waits until every folding window has closed
# and its summary ticket is stored, then checks the ticket count against the budget and the
# occurrence counts against what was written.
#
# usage: bench/storm.sh   (environment: BLOCKS=100000 STORM_SECONDS=10 WINDOW=20
#        BUDGET=30)
# Targets: peak RSS (VmHWM) < 64 MB; tickets within the folding budget; counts exact.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_init storm

blocks=${BLOCKS:-100000}
storm_seconds=${STORM_SECONDS:-10}
window=${WINDOW:-20}
budget=${BUDGET:-30}
folding_yaml="  folding:
    window: ${window}s
    summary: true
    max_tickets_per_hour: $budget"

start_sandbox
: > "$WORK/app.log"
write_crashfwd_config "$WORK/crashfwd.yaml" "$WORK/state" "$SANDBOX_URL" "" "$WORK/app.log"
# folding belongs under detect:, and the summary's count goes into the description.
awk -v folding="$folding_yaml" '{ print } /^detect:$/ { print folding }' "$WORK/crashfwd.yaml" |
    sed 's/description: "{{context}}"/description: "occurrences={{occurrences}} {{context}}"/' > "$WORK/crashfwd.yaml.new"
mv "$WORK/crashfwd.yaml.new" "$WORK/crashfwd.yaml"
start_crashfwd "$WORK/crashfwd.yaml"
wait_for_log "$WORK/crashfwd.log" "crashfwd started" || { cat "$WORK/crashfwd.log" >&2; exit 1; }
idle_rss=$(proc_status "$CRASHFWD_PID" VmRSS)

log "writing $blocks crashes in $storm_seconds s"
write_start=$(date +%s.%N)
python3 "$BENCH_ROOT/bench/storm-writer.py" "$WORK/app.log" "$blocks" "$storm_seconds" "$WORK/programs.json"
write_seconds=$(calc "$(date +%s.%N) - $write_start" %.1f)
log "written in $write_seconds s; waiting $((window + 10)) s for the folding windows to close"
sleep $((window + 10))
alive=$(kill -0 "$CRASHFWD_PID" 2>/dev/null && echo yes || echo no)
peak_rss=$(proc_status "$CRASHFWD_PID" VmHWM)
sandbox_get /sandbox/tickets > "$WORK/tickets.json"
stop_pid "$CRASHFWD_PID"

# Sums, per program, the first-report tickets and the occurrences of its summary tickets.
read -r tickets firsts summaries exact detail < <(python3 - "$WORK" <<'EOF'
import json, re, sys
work = sys.argv[1]
written = json.load(open(f"{work}/programs.json"))
seen = {program: 0 for program in written}
firsts = summaries = 0
tickets = json.load(open(f"{work}/tickets.json"))
for ticket in tickets:
    description = ticket["parameters"].get("description", "")
    program = re.search(r"kernel: ([\w.-]+)\[", description)
    occurrences = re.match(r"occurrences=(\d+)", description)
    if not program:
        continue
    if occurrences:
        summaries += 1
        seen[program.group(1)] += int(occurrences.group(1))
    else:
        firsts += 1
        seen[program.group(1)] += 1
exact = all(seen[program] == count for program, count in written.items())
detail = ",".join(f"{program}:{seen[program]}/{written[program]}" for program in sorted(written))
print(len(tickets), firsts, summaries, "yes" if exact else "no", detail)
EOF
)

echo "## Crash storm"
echo
echo "$blocks segfault crashes written in $write_seconds s to one watched file (nine in ten from"
echo "camera-daemon, the rest from five other programs), with \`detect.folding\`: window ${window} s,"
echo "summary on, max_tickets_per_hour $budget."
echo
echo "| RSS before MB | peak RSS (VmHWM) MB | tickets | first reports | summaries | counted / written per program | daemon alive |"
echo "|---|---|---|---|---|---|---|"
echo "| $(calc "$idle_rss / 1024" %.1f) | $(calc "$peak_rss / 1024" %.1f) | $tickets | $firsts | $summaries | ${detail//,/, } | $alive |"
echo
result=$(verdict "$peak_rss < 64 * 1024 && $firsts <= $budget && \"$exact\" == \"yes\" && \"$alive\" == \"yes\"")
echo "Target peak RSS < 64 MB, first reports within the budget of $budget, exact counts: **$result**."
echo
summary_row "crash storm ($blocks in ${storm_seconds} s)" \
    "peak RSS $(calc "$peak_rss / 1024" %.1f) MB, $tickets tickets, counts exact: $exact" \
    "none" "VmHWM < 64 MB, within budget, exact" "$result"
