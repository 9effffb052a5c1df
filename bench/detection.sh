#!/usr/bin/env bash
# Detection throughput: bench/detect.sh (crashfwd test-match with every preset, and GNU grep)
# and bench/detect-baselines.sh (grep and syslog-ng) on the same generated log, with one
# summary row comparing them.
#
# usage: bench/detection.sh   (environment: SIZE_MB=256 SEED=1 RUNS=3)
# Targets: crashfwd at least 0.5x grep's MB/s, ahead of syslog-ng, and exactly the
# generated log's number of crashes.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_init detection

size=${SIZE_MB:-256}
seed=${SEED:-1}
runs=${RUNS:-3}
export BENCH_DATA=${BENCH_DATA:-${TMPDIR:-/tmp}/crashfwd-bench-data}
log_file=$(generated_log "$size" "$seed")

echo "## Detection throughput"
echo
echo "\`bench/detect.sh $size $seed $runs\` and \`bench/detect-baselines.sh\` on one log written by"
echo "\`bench/generate-log.py $size $seed\` (syslog-style noise with rare crashes of every preset kind)."
echo
if [ ! -x "$BENCH_ROOT/bench/detect.sh" ]; then
    echo "bench/detect.sh is missing, so crashfwd's figure is not in this run."
    echo
fi
detect_output=""
if [ -x "$BENCH_ROOT/bench/detect.sh" ]; then
    detect_output=$(BENCH_DIR=$BENCH_DATA "$BENCH_ROOT/bench/detect.sh" "$size" "$seed" "$runs")
    echo "$detect_output"
    echo
fi
BASELINE_RESULTS=$WORK/baselines LOG=$log_file "$BENCH_ROOT/bench/detect-baselines.sh"

# Reads key=value pairs from the baselines' result file.
value() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" "$WORK/baselines"; }
grep_mbps=$(value grep_mbps)
default_mbps=$(value syslog_default_mbps)
tuned_mbps=$(value syslog_tuned_mbps)
crashfwd_row=$(grep -F '`crashfwd test-match' <<< "$detect_output" || true)
if [ -z "$crashfwd_row" ]; then
    summary_row "detection throughput" "not measured" "grep $grep_mbps MB/s; syslog-ng $default_mbps / $tuned_mbps MB/s" \
        ">= 0.5x grep, > syslog-ng, exact count" "miss"
    exit 0
fi
crashfwd_mbps=$(awk -F'|' '{ gsub(/ /, "", $4); print $4 }' <<< "$crashfwd_row")
found=$(sed -n 's/.*| \([0-9]*\) crashes (truth: \([0-9]*\)).*/\1/p' <<< "$crashfwd_row")
truth=$(sed -n 's/.*| \([0-9]*\) crashes (truth: \([0-9]*\)).*/\2/p' <<< "$crashfwd_row")
ratio=$(calc "$crashfwd_mbps / $grep_mbps" %.2f)
result=$(verdict "$ratio >= 0.5 && $crashfwd_mbps > $tuned_mbps && $crashfwd_mbps > $default_mbps && $found == $truth")
echo "crashfwd runs at ${ratio}x grep's throughput and $(calc "$crashfwd_mbps / $tuned_mbps" %.1f)x tuned"
echo "syslog-ng's, and finds $found crashes where the log has $truth. Target: **$result**."
echo
summary_row "detection throughput (${size} MB)" "$crashfwd_mbps MB/s, $found/$truth crashes" \
    "grep $grep_mbps MB/s (${ratio}x); syslog-ng $default_mbps MB/s default, $tuned_mbps MB/s tuned" \
    ">= 0.5x grep, > syslog-ng, exact count" "$result"
