#!/usr/bin/env bash
# Restart with a backlog: crashfwd queues BACKLOGS reports each (default "1000 10000") while
# its destination is down, then starts again against a live sandbox. Measures the time from
# exec to READY=1 on a NOTIFY_SOCKET this script owns, resident memory at READY=1, peak
# memory until the backlog is delivered, and the time to deliver it.
#
# usage: bench/backlog.sh   (environment: BACKLOGS="1000 10000"; BACKLOG_DELIVERY_YAML
#        replaces the delivery: keys below)
# Targets: READY=1 within 1 s; memory independent of the backlog size.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_init backlog

backlogs=${BACKLOGS:-1000 10000}
# The queue must hold the largest backlog, and delivery is not rate-limited so the peak
# memory covers every report being sent.
limits_yaml=${BACKLOG_DELIVERY_YAML:-"  max_reports: 20000
  rate_limit: 0"}
# Short retry delays while queueing, because a report keeps its next retry time across the
# restart.
queue_yaml="delivery:
  startup_delay: 0s
  initial_backoff: 1s
  maximum_backoff: 1s
$limits_yaml"
run_yaml="delivery:
  startup_delay: 0s
$limits_yaml"

# A port on 127.0.0.1 that nothing listens on: the sandbox's, after it stopped.
start_sandbox
dead_url=$SANDBOX_URL
stop_pid "$SANDBOX_PID"

# Prints the number of report files under STATE/reports.
queued_reports() { find "$1/reports" -maxdepth 1 -name '*.json' 2>/dev/null | wc -l; }

: > "$WORK/results"
for count in $backlogs; do
    state=$WORK/state-$count
    log "queueing $count reports with the destination down"
    write_crashfwd_config "$WORK/queue.yaml" "$state" "$dead_url" "$queue_yaml" "$WORK/app-$count.log"
    : > "$WORK/app-$count.log"
    start_crashfwd "$WORK/queue.yaml" queue-$count
    wait_for_log "$WORK/queue-$count.log" "crashfwd started" || { cat "$WORK/queue-$count.log" >&2; exit 1; }
    python3 "$BENCH_ROOT/bench/append-crashes.py" "$WORK/app-$count.log" "$count" 0 "$WORK/times-$count"
    started=$SECONDS
    while [ "$(queued_reports "$state")" -lt "$count" ]; do
        if [ $((SECONDS - started)) -gt 300 ]; then
            echo "only $(queued_reports "$state") of $count reports queued after 300 s" >&2
            exit 1
        fi
        sleep 0.5
    done
    queue_seconds=$((SECONDS - started))
    stop_pid "$CRASHFWD_PID"

    rm -rf "$WORK/sandbox-data"
    SANDBOX_PORT=0 start_sandbox
    write_crashfwd_config "$WORK/run.yaml" "$state" "$SANDBOX_URL" "$run_yaml" "$WORK/app-$count.log"
    start_notify_listener notify-$count
    exec_ns=$(date +%s%N)
    start_crashfwd "$WORK/run.yaml" run-$count
    unset NOTIFY_SOCKET
    started=$SECONDS
    until grep -q 'READY=1' "$WORK/notify-$count.messages"; do
        if [ $((SECONDS - started)) -gt 60 ] || ! kill -0 "$CRASHFWD_PID" 2>/dev/null; then
            echo "no READY=1 within 60 s:" >&2
            cat "$WORK/run-$count.log" >&2
            exit 1
        fi
        sleep 0.01
    done
    ready_ns=$(awk '/READY=1/ { print $1; exit }' "$WORK/notify-$count.messages")
    ready_rss=$(proc_status "$CRASHFWD_PID" VmRSS)
    started_delivery=$(date +%s.%N)
    wait_for_tickets "$count" 600 || log "only $(sandbox_ticket_count) of $count tickets after 600 s"
    delivered_seconds=$(calc "$(date +%s.%N) - $started_delivery" %.1f)
    tickets=$(sandbox_ticket_count)
    peak=$(proc_status "$CRASHFWD_PID" VmHWM)
    stop_pid "$CRASHFWD_PID"
    stop_pid "$SANDBOX_PID"
    ready_ms=$(calc "($ready_ns - $exec_ns) / 1000000" %.1f)
    log "backlog $count: queued in ${queue_seconds}s, READY=1 after $ready_ms ms, RSS $ready_rss KiB, peak $peak KiB, $tickets tickets in $delivered_seconds s"
    echo "$count $ready_ms $ready_rss $peak $tickets $delivered_seconds" >> "$WORK/results"
done

echo "## Restart with a backlog"
echo
echo "crashfwd queued each backlog while its destination (a closed port on 127.0.0.1) was"
echo "down, was stopped, then started against a live sandbox. READY=1 is timed from just"
echo "before exec to its arrival on a NOTIFY_SOCKET owned by the script."
echo
echo "| queued reports | READY=1 after ms | RSS at READY=1 MB | peak RSS until delivered MB | tickets | delivery s |"
echo "|---|---|---|---|---|---|"
while read -r count ready_ms ready_rss peak tickets delivered; do
    printf '| %s | %s | %s | %s | %s | %s |\n' "$count" "$ready_ms" "$(calc "$ready_rss / 1024" %.1f)" \
        "$(calc "$peak / 1024" %.1f)" "$tickets" "$delivered"
done < "$WORK/results"
echo
slowest=$(awk '{ print $2 }' "$WORK/results" | sort -g | tail -1)
small_peak=$(head -1 "$WORK/results" | awk '{ print $4 }')
large_peak=$(tail -1 "$WORK/results" | awk '{ print $4 }')
small_ready=$(head -1 "$WORK/results" | awk '{ print $3 }')
large_ready=$(tail -1 "$WORK/results" | awk '{ print $3 }')
# "Independent of the backlog" allows 2 MiB of growth between the smallest and largest backlog.
result=$(verdict "$slowest < 1000 && $large_peak - $small_peak <= 2048 && $large_ready - $small_ready <= 2048")
echo "Target READY=1 within 1 s and memory independent of the backlog (at most 2 MiB more"
echo "for the largest backlog than for the smallest): **$result**."
echo
summary_row "restart with backlog ($(echo "$backlogs" | tr ' ' '/'))" \
    "READY=1 after $slowest ms max; peak RSS $(calc "$small_peak / 1024" %.1f) / $(calc "$large_peak / 1024" %.1f) MB" \
    "none" "READY=1 < 1 s, RSS flat" "$result"
