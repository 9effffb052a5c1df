#!/bin/sh
# Compares crashfwd's attachment upload with `curl -F` on one file sent to a local
# centercode-sandbox, and reports crashfwd's resident memory before and during the upload.
#
# Usage: bench/upload.sh [SIZE_MB]   (default 1024; needs about 3 x SIZE_MB free in $TMPDIR)
# Builds release binaries first unless CRASHFWD_BIN_DIR names a directory that has them.
# Targets: crashfwd at least 0.9x curl's throughput, peak RSS at most idle RSS + 4 MiB.
set -eu

SIZE_MB=${1:-1024}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${CRASHFWD_BIN_DIR:-}" ]; then
    (cd "$ROOT" && swift build -c release --static-swift-stdlib --product crashfwd >/dev/null && swift build -c release --static-swift-stdlib --product centercode-sandbox >/dev/null)
    CRASHFWD_BIN_DIR=$(cd "$ROOT" && swift build -c release --static-swift-stdlib --show-bin-path)
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/crashfwd-upload-bench.XXXXXX")
SANDBOX_PID=""
cleanup() {
    if [ -n "$SANDBOX_PID" ]; then kill "$SANDBOX_PID" 2>/dev/null || true; wait "$SANDBOX_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

KEY=sandbox-key-0123456789
sed "s/\"maxFileBytes\": [0-9]*/\"maxFileBytes\": 4294967296/" "$ROOT/config/sandbox.json" > "$WORK/sandbox.json"
"$CRASHFWD_BIN_DIR/centercode-sandbox" --config "$WORK/sandbox.json" --port 0 --data "$WORK/data" \
    --port-file "$WORK/port" --quiet >"$WORK/sandbox.log" 2>&1 &
SANDBOX_PID=$!
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.1; done
BASE="http://127.0.0.1:$(cat "$WORK/port")"

TICKET=$(curl -sS --noproxy '*' -H 'Content-Type: application/json' \
    -d '{"submitter": "qa-bot@example.com", "summary": "upload benchmark"}' \
    "$BASE/api/v1/projects/acme-beta-2/feedback/appcrashlog?apiKey=$KEY" | sed 's/.*"id": *\([0-9]*\).*/\1/')
URL="$BASE/api/v1/projects/acme-beta-2/feedbackTypes/appcrashlog/$TICKET/fileElements/coreDump?apiKey=$KEY"

echo "creating a $SIZE_MB MiB file of random bytes"
head -c "$((SIZE_MB * 1024 * 1024))" /dev/urandom > "$WORK/core.bench"

# Each round sends the file with both tools, alternating which goes first, because the
# sandbox writes every upload to disk and write-back makes single runs noisy. The file is
# in the page cache for both. The medians of ROUNDS rounds (default 3) are compared.
ROUNDS=${ROUNDS:-3}
: > "$WORK/curl.times"
: > "$WORK/crashfwd.lines"
run_curl() {
    curl -sS --noproxy '*' -H 'Expect:' -o /dev/null -w '%{time_total}\n' \
        -F "file=@$WORK/core.bench" "$URL" >> "$WORK/curl.times"
}
run_crashfwd() {
    "$CRASHFWD_BIN_DIR/crashfwd" upload-bench "$URL" "$WORK/core.bench" file >> "$WORK/crashfwd.lines"
}
for round in $(seq "$ROUNDS"); do
    if [ $((round % 2)) -eq 1 ]; then run_curl; run_crashfwd; else run_crashfwd; run_curl; fi
done
cat "$WORK/crashfwd.lines"
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
CURL_SECONDS=$(median < "$WORK/curl.times")
CRASHFWD_SECONDS=$(sed 's/.* seconds=\([0-9.]*\).*/\1/' "$WORK/crashfwd.lines" | median)
IDLE=$(sed 's/.* idle_rss_kib=\([0-9]*\).*/\1/' "$WORK/crashfwd.lines" | sort -g | tail -1)
PEAK_GROWTH=$(awk '{ for (i = 1; i <= NF; i++) { split($i, p, "="); v[p[1]] = p[2] } print v["peak_rss_kib"] - v["idle_rss_kib"] }' "$WORK/crashfwd.lines" | sort -g | tail -1)
awk -v curl="$CURL_SECONDS" -v crashfwd="$CRASHFWD_SECONDS" -v mib="$SIZE_MB" -v idle="$IDLE" -v growth="$PEAK_GROWTH" 'BEGIN {
    bytes = mib * 1048576
    printf "curl -F (median of rounds):  %.1f MB/s (%.2f s)\n", bytes / 1e6 / curl, curl
    printf "crashfwd (median of rounds): %.1f MB/s (%.2f s), %.2fx curl\n", bytes / 1e6 / crashfwd, crashfwd, curl / crashfwd
    printf "crashfwd RSS: idle %d KiB, largest growth to peak %d KiB\n", idle, growth
}'
