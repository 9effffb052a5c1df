#!/usr/bin/env bash
# The demo: starts a local Centercode sandbox, runs crashfwd on a log file, writes
# demo/sample.log into that file line by line while crashfwd follows it, and prints the
# tickets that were created. Everything stays on 127.0.0.1 and under demo/work.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=.build/debug
work=demo/work
rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)

sandbox_pid=
crashfwd_pid=
cleanup() {
    [ -n "$crashfwd_pid" ] && kill -TERM "$crashfwd_pid" 2>/dev/null && wait "$crashfwd_pid" 2>/dev/null
    [ -n "$sandbox_pid" ] && kill -TERM "$sandbox_pid" 2>/dev/null && wait "$sandbox_pid" 2>/dev/null
    true
}
trap cleanup EXIT

echo "==> Starting centercode-sandbox on 127.0.0.1"
"$bin/centercode-sandbox" --config config/sandbox.json --port 0 --data "$work/sandbox" \
    --port-file "$work/sandbox.port" --quiet >"$work/sandbox.log" 2>&1 &
sandbox_pid=$!
for _ in $(seq 100); do [ -s "$work/sandbox.port" ] && break; sleep 0.1; done
port=$(cat "$work/sandbox.port")
echo "    listening on http://127.0.0.1:$port"

sed -e "s|SANDBOX_PORT|$port|" -e "s|DEMO_DIR|$work|g" config/demo.yaml >"$work/crashfwd.yaml"
: >"$work/app.log"
export CENTERCODE_API_KEY=sandbox-key-0123456789

echo "==> Checking the config"
"$bin/crashfwd" check-config --config "$work/crashfwd.yaml"

echo "==> Starting crashfwd (log: $work/crashfwd.log)"
"$bin/crashfwd" run --config "$work/crashfwd.yaml" >"$work/crashfwd.log" 2>&1 &
crashfwd_pid=$!
sleep 1

echo "==> Writing demo/sample.log into $work/app.log while crashfwd follows it"
while IFS= read -r line; do
    printf '%s\n' "$line" >>"$work/app.log"
    sleep 0.05
done <demo/sample.log

expected=$(grep -c '' demo/expected-tickets.txt)
echo "==> Waiting for $expected tickets"
for _ in $(seq 200); do
    count=$(curl -sf "http://127.0.0.1:$port/sandbox/tickets" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
    [ "$count" -ge "$expected" ] && break
    sleep 0.1
done

echo "==> Tickets created in the sandbox"
curl -sf "http://127.0.0.1:$port/sandbox/tickets" | python3 scripts/print-tickets.py

echo "==> crashfwd queue"
"$bin/crashfwd" queue list --config "$work/crashfwd.yaml"
if [ "$count" -lt "$expected" ]; then
    echo "demo: expected $expected tickets, the sandbox has $count; see $work/crashfwd.log" >&2
    exit 1
fi
