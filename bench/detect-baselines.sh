#!/usr/bin/env bash
# Detection throughput baselines on the mixed log of bench/generate-log.py: GNU grep with the
# first-line patterns of bench/first-lines.txt, and syslog-ng reading the log through a file
# source with the same patterns as one pcre filter, with default and with tuned read windows.
#
# usage: bench/detect-baselines.sh   (environment: SIZE_MB=256 SEED=1 RUNS=3, LOG=FILE to
#        reuse a generated log; BENCH_DATA is where a generated log is kept, see lib.sh)
# crashfwd's own figure comes from bench/detect.sh on the same log.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_init detect-baselines

runs=${RUNS:-3}
patterns=$BENCH_ROOT/bench/first-lines.txt
[ -f "$patterns" ] || { echo "missing $patterns" >&2; exit 1; }
log_file=${LOG:-$(generated_log "${SIZE_MB:-256}" "${SEED:-1}")}
bytes=$(stat -c %s "$log_file")
lines=$(wc -l < "$log_file")
log "log $log_file: $bytes bytes, $lines lines"
cat "$log_file" > /dev/null

# GNU grep stops at the first match when its output is /dev/null, even with -c, so its
# output goes through a pipe.
hyperfine --style none --warmup 1 --runs "$runs" --export-json "$WORK/grep.json" \
    "LC_ALL=C grep -E -c -f '$patterns' '$log_file' | cat" > /dev/null 2>&1
grep_seconds=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$WORK/grep.json")
grep_count=$(LC_ALL=C grep -E -c -f "$patterns" "$log_file" | cat)

# One alternation of all first-line patterns, in a single-quoted syslog-ng string (no escapes).
alternation=$(paste -sd'|' "$patterns")

# Times one syslog-ng pass over the whole log: from start until the file source's
# processed counter equals the line count. Prints "SECONDS MATCHES".
syslog_ng_pass() {
    local options=$1
    rm -f "$WORK/matches.out"
    cat > "$WORK/syslog-ng.conf" <<EOF
@version: 3.38
options { stats-freq(0); };
source s_log { file("$log_file" flags(no-parse) $options); };
filter f_crash { message('$alternation' type(pcre)); };
destination d_matches { file("$WORK/matches.out"); };
log { source(s_log); filter(f_crash); destination(d_matches); };
EOF
    local start end processed=0 started=$SECONDS
    start=$(date +%s.%N)
    start_syslog_ng "$WORK/syslog-ng.conf"
    while [ "$processed" -lt "$lines" ]; do
        sleep 0.05
        processed=$(syslog-ng-ctl stats --control="$WORK/syslog-ng.ctl" 2>/dev/null |
            awk -F';' '$1 == "source" && $2 == "s_log" && $5 == "processed" { print $6 }')
        if [ $((SECONDS - started)) -gt 900 ] || ! kill -0 "$SYSLOG_NG_PID" 2>/dev/null; then
            echo "syslog-ng processed ${processed:-0} of $lines lines before giving up" >&2
            exit 1
        fi
        processed=${processed:-0}
    done
    end=$(date +%s.%N)
    stop_syslog_ng
    echo "$(calc "$end - $start" %.3f) $(wc -l < "$WORK/matches.out")"
}

: > "$WORK/default.times"
: > "$WORK/tuned.times"
tuned="log-fetch-limit(1000) log-iw-size(10000)"
for pass in $(seq "$runs"); do
    read -r seconds syslog_default_count < <(syslog_ng_pass "")
    echo "$seconds" >> "$WORK/default.times"
    read -r seconds syslog_tuned_count < <(syslog_ng_pass "$tuned")
    echo "$seconds" >> "$WORK/tuned.times"
    log "syslog-ng pass $pass: default $(tail -1 "$WORK/default.times") s, tuned $seconds s"
done
default_seconds=$(median < "$WORK/default.times")
tuned_seconds=$(median < "$WORK/tuned.times")

mbps() { calc "$bytes / 1000000 / $1" %.1f; }
{
    echo "grep_mbps=$(mbps "$grep_seconds") grep_seconds=$grep_seconds grep_count=$grep_count"
    echo "syslog_default_mbps=$(mbps "$default_seconds") syslog_default_seconds=$default_seconds syslog_default_count=$syslog_default_count"
    echo "syslog_tuned_mbps=$(mbps "$tuned_seconds") syslog_tuned_seconds=$tuned_seconds syslog_tuned_count=$syslog_tuned_count"
} > "${BASELINE_RESULTS:-/dev/null}"

echo "### Baselines on the same log"
echo
echo "$(calc "$bytes / 1000000" %.0f) MB, $lines lines; median of $runs runs after a warm-up read of the file."
echo
echo "| command | seconds | MB/s | matching lines |"
echo "|---|---|---|---|"
echo "| \`LC_ALL=C grep -E -c -f bench/first-lines.txt LOG \| cat\` | $(calc "$grep_seconds" %.2f) | $(mbps "$grep_seconds") | $grep_count |"
echo "| syslog-ng file() + pcre filter, default window | $default_seconds | $(mbps "$default_seconds") | $syslog_default_count |"
echo "| syslog-ng file() + pcre filter, \`$tuned\` | $tuned_seconds | $(mbps "$tuned_seconds") | $syslog_tuned_count |"
echo
echo "grep and syslog-ng count lines that match a first-line pattern, which includes harmless"
echo "lines such as \`java.io.IOException: connection reset by peer (retrying)\`; they are"
echo "speed baselines, not ground truth."
echo
