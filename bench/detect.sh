#!/bin/sh
# Compares `crashfwd test-match` with `grep -E -c -f bench/first-lines.txt` on a
# generated log and prints a Markdown table section.
#
# Usage: bench/detect.sh [SIZE_MB] [SEED] [RUNS]    (defaults: 256 1 5)
# The log is written to ${BENCH_DIR:-/tmp/crashfwd-bench} and reused on later runs.
set -eu

size=${1:-256}
seed=${2:-1}
runs=${3:-5}
here=$(cd "$(dirname "$0")/.." && pwd)
directory=${BENCH_DIR:-/tmp/crashfwd-bench}
log="$directory/mixed-$size-$seed.log"
out="$directory/test-match-$size-$seed.json"

mkdir -p "$directory"
if [ ! -f "$log" ]; then
    python3 "$here/bench/generate-log.py" "$size" "$seed" "$log"
fi
(cd "$here" && swift build -c release --static-swift-stdlib --product crashfwd >/dev/null)
crashfwd="$here/.build/release/crashfwd"

now() { date +%s.%N; }

# Prints the median of the numbers on standard input.
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

cat "$log" >/dev/null  # Both tools read from the page cache.

: >"$directory/crashfwd.times"
: >"$directory/grep.times"
for _ in $(seq "$runs"); do
    start=$(now)
    "$crashfwd" test-match --presets all --json "$log" >"$out" 2>/dev/null
    end=$(now)
    echo "$end - $start" | bc >>"$directory/crashfwd.times"

    start=$(now)
    # grep's output is piped: with stdout on /dev/null, GNU grep stops at the first match.
    LC_ALL=C grep -E -c -f "$here/bench/first-lines.txt" "$log" | cat >"$directory/grep.count"
    end=$(now)
    echo "$end - $start" | bc >>"$directory/grep.times"
done

bytes=$(stat -c %s "$log")
crashfwd_seconds=$(median <"$directory/crashfwd.times")
grep_seconds=$(median <"$directory/grep.times")
found=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "$out")
expected=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["crashes"])' "$log.truth.json")

rate() { echo "scale=1; $bytes / 1000000 / $1" | bc; }

echo "### Detection throughput, $((bytes / 1000000)) MB generated log (seed $seed), median of $runs runs"
echo
echo "| Tool | Seconds | MB/s | Result |"
echo "|---|---|---|---|"
echo "| \`crashfwd test-match --presets all --json\` | $crashfwd_seconds | $(rate "$crashfwd_seconds") | $found crashes (truth: $expected) |"
echo "| \`LC_ALL=C grep -E -c -f bench/first-lines.txt\` | $grep_seconds | $(rate "$grep_seconds") | $(cat "$directory/grep.count") matching lines |"
echo
echo "crashfwd / grep throughput ratio: $(echo "scale=2; $grep_seconds / $crashfwd_seconds" | bc)"
echo
echo "Host: $(nproc) CPUs, $(uname -sr); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
