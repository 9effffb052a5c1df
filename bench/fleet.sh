#!/usr/bin/env bash
# Fleet power-on: INSTANCES crashfwd daemons, each with its own state directory and REPORTS
# queued reports, start together against one sandbox that allows RATE_LIMIT requests per
# second and answers 429 with Retry-After beyond that.
#
# usage: bench/fleet.sh   (environment: INSTANCES=200 REPORTS=20 RATE_LIMIT=20
#        FLEET_TIMEOUT=900; needs root for unshare --time
#        and to raise fs.inotify.max_user_instances; FLEET_DELIVERY_YAML replaces the delivery: section below)
# Targets: every ticket created exactly once; the sandbox's maxPerSecond at most the limit
# plus a small burst (here: 25% of the limit, at least 5).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_init fleet

instances=${INSTANCES:-200}
reports=${REPORTS:-20}
limit=${RATE_LIMIT:-20}
timeout_seconds=${FLEET_TIMEOUT:-900}
expected=$((instances * reports))
# The shipped delivery defaults: startup_delay spreads the first request over 5 min after
# boot, rate_limit keeps each device to 2 requests per second, and a 429 paces the
# destination (overload_interval).
delivery_yaml=${FLEET_DELIVERY_YAML:-"delivery: {}"}

# Every crashfwd holds an inotify instance, and Linux allows 128 per user by default
# (fs.inotify.max_user_instances). A fleet of separate devices has no such shared limit, so
# the script raises it for the run and restores the old value on exit.
inotify_limit=/proc/sys/fs/inotify/max_user_instances
old_inotify_limit=$(cat "$inotify_limit")
if [ "$old_inotify_limit" -lt $((instances * 2 + 256)) ]; then
    log "raising fs.inotify.max_user_instances from $old_inotify_limit to $((instances * 2 + 256)) for this run"
    echo $((instances * 2 + 256)) > "$inotify_limit"
    trap 'echo "$old_inotify_limit" > "$inotify_limit"; bench_cleanup' EXIT
fi

start_sandbox
dead_url=$SANDBOX_URL
stop_pid "$SANDBOX_PID"

# Writes node I's config for URL; every ticket summary starts with "node-I ".
write_node_config() {
    local node=$1 url=$2 extra=$3
    SUMMARY_PREFIX="node-$node " write_crashfwd_config "$WORK/node-$node/crashfwd.yaml" \
        "$WORK/node-$node/state" "$url" "$extra" "$WORK/node-$node/app.log"
}

log "queueing $reports reports on each of $instances instances with the destination down"
node_pids=()
for node in $(seq "$instances"); do
    mkdir -p "$WORK/node-$node"
    : > "$WORK/node-$node/app.log"
    write_node_config "$node" "$dead_url" "delivery:
  initial_backoff: 1s
  maximum_backoff: 1s"
    start_crashfwd "$WORK/node-$node/crashfwd.yaml" "node-$node"
    node_pids+=("$CRASHFWD_PID")
done
for node in $(seq "$instances"); do
    wait_for_log "$WORK/node-$node.log" "crashfwd started" 60 || { cat "$WORK/node-$node.log" >&2; exit 1; }
    python3 "$BENCH_ROOT/bench/append-crashes.py" "$WORK/node-$node/app.log" "$reports" 0 /dev/null
done
started=$SECONDS
queued=0
while [ "$queued" -lt "$expected" ]; do
    [ $((SECONDS - started)) -lt 300 ] || { echo "only $queued of $expected reports queued after 300 s" >&2; exit 1; }
    sleep 1
    queued=$(find "$WORK"/node-*/state/reports -maxdepth 1 -name '*.json' | wc -l)
done
for pid in "${node_pids[@]}"; do stop_pid "$pid"; done

rm -rf "$WORK/sandbox-data"
SANDBOX_PORT=0 start_sandbox --rate-limit "$limit"
for node in $(seq "$instances"); do
    write_node_config "$node" "$SANDBOX_URL" "$delivery_yaml"
done
# startup_delay counts from boot (CLOCK_BOOTTIME), so each instance runs in a new time
# namespace whose boot time is now, as on a device that just powered on. If unshare is
# killed, --kill-child sends crashfwd SIGTERM.
log "starting $instances instances together against a sandbox with --rate-limit $limit"
power_on=$(date +%s.%N)
uptime_seconds=$(cut -d. -f1 /proc/uptime)
node_pids=()
for node in $(seq "$instances"); do
    CENTERCODE_API_KEY=$API_KEY unshare --time --fork --kill-child=SIGTERM --boottime "-$uptime_seconds" \
        "$CRASHFWD" run --config "$WORK/node-$node/crashfwd.yaml" >> "$WORK/node-$node.log" 2>&1 < /dev/null &
    node_pids+=("$!")
    track_pid "$!"
done
launch_seconds=$(calc "$(date +%s.%N) - $power_on" %.1f)
started=$SECONDS
while [ "$(sandbox_ticket_count)" -lt "$expected" ] && [ $((SECONDS - started)) -lt "$timeout_seconds" ]; do
    sleep 2
done
all_seconds=$(calc "$(date +%s.%N) - $power_on" %.1f)
# A grace period shows late duplicates, if any, before the count is taken.
sleep 3
# unshare --fork ignores SIGTERM while it waits, so each crashfwd child gets it directly.
for pid in "${node_pids[@]}"; do
    child=$(pgrep -P "$pid" || true)
    [ -z "$child" ] || kill -TERM "$child" 2>/dev/null || true
done
for pid in "${node_pids[@]}"; do stop_pid "$pid"; done
sandbox_get /sandbox/tickets > "$WORK/tickets.json"
sandbox_get /sandbox/requests > "$WORK/requests.json"
sandbox_get /sandbox/stats > "$WORK/stats.json"

read -r tickets unique duplicates max_per_second requests rejected max_accepted < <(python3 - "$WORK" <<'EOF'
import collections, json, re, sys
work = sys.argv[1]
tickets = json.load(open(f"{work}/tickets.json"))
keys = collections.Counter()
for ticket in tickets:
    match = re.match(r"node-(\d+) .*pid (\d+)", ticket["parameters"].get("summary", ""))
    keys[match.groups() if match else ("?", ticket["id"])] += 1
stats = json.load(open(f"{work}/stats.json"))
accepted = collections.Counter(
    record["time"][:19] for record in json.load(open(f"{work}/requests.json")) if record["status"] == 201)
print(len(tickets), len(keys), sum(count - 1 for count in keys.values()), stats["maxPerSecond"],
      stats["requests"], stats["rejectedRateLimit"], max(accepted.values(), default=0))
EOF
)
burst=$(( limit / 4 > 5 ? limit / 4 : 5 ))

echo "## Fleet power-on"
echo
echo "$instances crashfwd instances, each with its own state directory and $reports queued reports,"
echo "were launched within $launch_seconds s of each other against one sandbox run with"
echo "\`--rate-limit $limit\`. Each runs in a time namespace whose boot time is its start, as"
echo "after a power-on. Delivery settings of every instance:"
echo
echo '```yaml'
echo "$delivery_yaml"
echo '```'
echo
echo "| tickets | distinct crashes | duplicates | API requests | rejected with 429 | maxPerSecond (all requests) | max created per second | time to all tickets s |"
echo "|---|---|---|---|---|---|---|---|"
echo "| $tickets/$expected | $unique | $duplicates | $requests | $rejected | $max_per_second | $max_accepted | $all_seconds |"
echo
result=$(verdict "$tickets == $expected && $unique == $expected && $duplicates == 0 && $max_per_second <= $limit + $burst")
echo "Target: all $expected tickets exactly once and maxPerSecond <= $limit + $burst: **$result**."
echo
summary_row "fleet power-on ($instances x $reports)" \
    "$tickets tickets, $duplicates duplicates, maxPerSecond $max_per_second, $all_seconds s" \
    "none" "all once, maxPerSecond <= $((limit + burst))" "$result"
