#!/usr/bin/env bash
# Crash-to-ticket latency: a segfault line appended to a watched file until the sandbox has
# stored its ticket, for crashfwd and for syslog-ng (file source, pcre filter, http()
# destination posting to the same sandbox).
#
# usage: bench/latency.sh   (environment: CRASHES=1000 INTERVAL_MS=20 RUNS=3 WORKER_IDLE=30s
#                            COLD_CRASHES=20)
# WORKER_IDLE is crashfwd's http_worker_idle_timeout. A further crashfwd pass appends
# COLD_CRASHES crashes 2 s apart with http_worker_idle_timeout 1s, so that each one waits
# for a new HTTP worker process: the latency of a crash after an idle period.
# Latency is the sandbox's receivedAt minus the time taken just before the append's
# write(2), both from this machine's CLOCK_REALTIME; receivedAt has 1 ms resolution.
# Target: crashfwd p50 < 5 ms and p99 < 20 ms.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_init latency

crashes=${CRASHES:-1000}
interval=${INTERVAL_MS:-20}
runs=${RUNS:-3}
worker_idle=${WORKER_IDLE:-30s}
cold_crashes=${COLD_CRASHES:-20}
create_path="/api/v1/projects/acme-beta-2/feedback/appcrashlog?apiKey=$API_KEY"

# Runs one pass against a fresh sandbox with the follower that start_follower starts;
# appends "key=value ..." from latency-report.py to $WORK/results.NAME.
measure() {
    local name=$1 start_follower=$2 pass=$3
    rm -rf "$WORK/sandbox-data" "$WORK/state" "$WORK/app.log"
    : > "$WORK/app.log"
    start_sandbox
    "$start_follower"
    sleep 1
    python3 "$BENCH_ROOT/bench/append-crashes.py" "$WORK/app.log" "$crashes" "$interval" "$WORK/times"
    wait_for_tickets "$crashes" 30 || log "$name: only $(sandbox_ticket_count) of $crashes tickets after 30 s"
    sandbox_get /sandbox/tickets > "$WORK/tickets.json"
    local result
    result=$(python3 "$BENCH_ROOT/bench/latency-report.py" "$WORK/times" "$WORK/tickets.json")
    log "$name pass $pass: $result"
    echo "$result" >> "$WORK/results.$name"
    stop_pid "$FOLLOWER_PID"
    stop_pid "$SANDBOX_PID"
}

start_crashfwd_follower() {
    # rate_limit 0: the crashes come faster (every $interval ms) than the default of 2
    # requests per second, which would measure queueing rather than reaction time.
    write_crashfwd_config "$WORK/crashfwd.yaml" "$WORK/state" "$SANDBOX_URL" "delivery:
  startup_delay: 0s
  rate_limit: 0
  http_worker_idle_timeout: $worker_idle" "$WORK/app.log"
    start_crashfwd "$WORK/crashfwd.yaml"
    wait_for_log "$WORK/crashfwd.log" "crashfwd started" || { cat "$WORK/crashfwd.log" >&2; exit 1; }
    FOLLOWER_PID=$CRASHFWD_PID
}

# syslog-ng 3.38 checks a regular file for new data every follow-freq() seconds (default 1).
write_syslog_ng_config() {
    local follow_freq=$1
    cat > "$WORK/syslog-ng.conf" <<EOF
@version: 3.38
options { stats-freq(0); };
source s_app { file("$WORK/app.log" follow-freq($follow_freq) flags(no-parse)); };
filter f_crash { message('\[\d+\]: segfault at' type(pcre)); };
destination d_sandbox {
    http(url("$SANDBOX_URL$create_path") method("POST")
         headers("Content-Type: application/json")
         body('\$(format-json --scope none submitter="qa-bot@example.com" summary="crash" description="\$MSG")'));
};
log { source(s_app); filter(f_crash); destination(d_sandbox); };
EOF
}

start_syslog_ng_default() {
    write_syslog_ng_config 1
    start_syslog_ng "$WORK/syslog-ng.conf"
    FOLLOWER_PID=$SYSLOG_NG_PID
}

start_syslog_ng_tuned() {
    write_syslog_ng_config 0.001
    start_syslog_ng "$WORK/syslog-ng.conf"
    FOLLOWER_PID=$SYSLOG_NG_PID
}

for pass in $(seq "$runs"); do
    measure crashfwd start_crashfwd_follower "$pass"
done
measure syslog-ng-default start_syslog_ng_default 1
measure syslog-ng-tuned start_syslog_ng_tuned 1
saved="$crashes $interval $worker_idle"
crashes=$cold_crashes interval=2000 worker_idle=1s
measure crashfwd-cold start_crashfwd_follower 1
read -r crashes interval worker_idle <<< "$saved"

# Prints the median over passes of one field of the results of NAME.
field() { sed -n "s/.*\b$2=\([0-9.]*\).*/\1/p" "$WORK/results.$1" | median; }

echo "## Latency: crash line to stored ticket"
echo
echo "$crashes segfault lines appended $interval ms apart to a file each follower watches;"
echo "latency is the sandbox's \`receivedAt\` minus the append time (1 ms resolution, so up to"
echo "1 ms low). crashfwd: median of $runs passes, with \`delivery.rate_limit: 0\` because the"
echo "default of 2 requests per second is slower than one crash every $interval ms; syslog-ng: one pass each."
echo "The last row is one further crashfwd pass: $cold_crashes crashes 2 s apart with"
echo "\`http_worker_idle_timeout: 1s\`, so the HTTP worker process has exited before each crash"
echo "and a new one starts for it, as for a crash after an idle period."
echo
echo "| follower | tickets | duplicates | p50 ms | p90 ms | p99 ms | max ms |"
echo "|---|---|---|---|---|---|---|"
for name in crashfwd syslog-ng-default syslog-ng-tuned crashfwd-cold; do
    count=$crashes
    case $name in
        crashfwd) label="crashfwd run" ;;
        syslog-ng-default) label="syslog-ng file(follow-freq(1)) -> http()" ;;
        syslog-ng-tuned) label="syslog-ng file(follow-freq(0.001)) -> http()" ;;
        crashfwd-cold) label="crashfwd run, a new HTTP worker for each crash"; count=$cold_crashes ;;
    esac
    printf '| %s | %s/%s | %s | %s | %s | %s | %s |\n' "$label" "$(field "$name" matched)" "$count" \
        "$(field "$name" duplicates)" "$(field "$name" p50)" "$(field "$name" p90)" \
        "$(field "$name" p99)" "$(field "$name" max)"
done
echo

p50=$(field crashfwd p50)
p99=$(field crashfwd p99)
matched=$(field crashfwd matched)
result=$(verdict "$p50 < 5 && $p99 < 20 && $matched == $crashes")
echo "Target p50 < 5 ms, p99 < 20 ms, every crash ticketed: **$result**."
echo
summary_row "latency (append -> ticket)" "p50 $p50 ms, p99 $p99 ms; after idle (new HTTP worker) p50 $(field crashfwd-cold p50) ms" \
    "syslog-ng p50 $(field syslog-ng-default p50) ms (follow-freq 1), $(field syslog-ng-tuned p50) ms (0.001)" \
    "p50 < 5 ms, p99 < 20 ms" "$result"
