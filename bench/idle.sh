#!/usr/bin/env bash
# Idle cost: crashfwd and syslog-ng each follow the local journal and three log files while
# nothing is written, side by side for IDLE_SECONDS. Reports resident memory, context
# switches of all threads, resident memory per mapped file (bench/memory-map.py) and
# system calls counted by strace -c -f. Then one crash is delivered, and crashfwd's RSS is
# measured again after its HTTP worker process has exited.
#
# usage: bench/idle.sh   (environment: IDLE_SECONDS=60 WORKER_IDLE=30s)
# WORKER_IDLE is crashfwd's http_worker_idle_timeout; 0s sends from the daemon process.
# crashfwd runs with a watchdog (WATCHDOG_USEC=60 s, as the packaged unit's WatchdogSec)
# and NOTIFY_SOCKET pointing at a listener owned by this script, so its pings are counted.
# Targets: RSS < 12 MB, before and after the delivery; no wake-ups besides the watchdog pings.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_init idle

seconds=${IDLE_SECONDS:-60}
worker_idle=${WORKER_IDLE:-30s}
strace_seconds=$(( seconds < 20 ? seconds : 20 ))
watchdog_usec=60000000
files=("$WORK/app.log" "$WORK/kern.log" "$WORK/daemon.log")
for file in "${files[@]}"; do
    echo "Dec  4 10:00:00 rig01 app[1]: started" > "$file"
done

start_sandbox
start_notify_listener notify
write_crashfwd_config "$WORK/crashfwd.yaml" "$WORK/state" "$SANDBOX_URL" "delivery:
  startup_delay: 0s
  http_worker_idle_timeout: $worker_idle" "${files[@]}"
enable_journal_watch "$WORK/crashfwd.yaml"
WATCHDOG_USEC=$watchdog_usec start_crashfwd "$WORK/crashfwd.yaml"
wait_for_log "$WORK/crashfwd.log" "crashfwd started" || { cat "$WORK/crashfwd.log" >&2; exit 1; }
unset NOTIFY_SOCKET

{
    echo "@version: 3.38"
    echo "options { stats-freq(0); };"
    echo "source s_logs {"
    echo "    systemd-journal();"
    for file in "${files[@]}"; do
        echo "    file(\"$file\" flags(no-parse));"
    done
    echo "};"
    echo "filter f_crash { message('segfault at|Traceback|dumped core' type(pcre)); };"
    echo "destination d_out { file(\"$WORK/syslog-ng.out\"); };"
    echo "log { source(s_logs); filter(f_crash); destination(d_out); };"
} > "$WORK/syslog-ng.conf"
start_syslog_ng "$WORK/syslog-ng.conf"

sleep 3
log "idle for $seconds s: crashfwd $CRASHFWD_PID, syslog-ng $SYSLOG_NG_PID"
crashfwd_switches=$(context_switches "$CRASHFWD_PID")
syslog_switches=$(context_switches "$SYSLOG_NG_PID")
pings_before=$(grep -c 'WATCHDOG=1' "$WORK/notify.messages" || true)
sleep "$seconds"
crashfwd_switches=$(( $(context_switches "$CRASHFWD_PID") - crashfwd_switches ))
syslog_switches=$(( $(context_switches "$SYSLOG_NG_PID") - syslog_switches ))
pings=$(( $(grep -c 'WATCHDOG=1' "$WORK/notify.messages" || true) - pings_before ))
crashfwd_rss=$(proc_status "$CRASHFWD_PID" VmRSS)
crashfwd_hwm=$(proc_status "$CRASHFWD_PID" VmHWM)
crashfwd_threads=$(proc_status "$CRASHFWD_PID" Threads)
syslog_rss=$(proc_status "$SYSLOG_NG_PID" VmRSS)
syslog_threads=$(proc_status "$SYSLOG_NG_PID" Threads)
python3 "$BENCH_ROOT/bench/memory-map.py" "$CRASHFWD_PID" crashfwd > "$WORK/crashfwd.map"
python3 "$BENCH_ROOT/bench/memory-map.py" "$SYSLOG_NG_PID" syslog-ng > "$WORK/syslog-ng.map"

log "strace -c -f for $strace_seconds s on each"
count_syscalls "$CRASHFWD_PID" "$strace_seconds" > "$WORK/crashfwd.syscalls" &
strace_one=$!
count_syscalls "$SYSLOG_NG_PID" "$strace_seconds" > "$WORK/syslog-ng.syscalls"
wait "$strace_one"
read -r crashfwd_calls crashfwd_waits < "$WORK/crashfwd.syscalls"
read -r syslog_calls syslog_waits < "$WORK/syslog-ng.syscalls"

# One crash, then idle again: the HTTP worker that sent the ticket exits after
# http_worker_idle_timeout, and the daemon should be back at its idle size.
log "one crash, then idle until the HTTP worker exits"
python3 "$BENCH_ROOT/bench/append-crashes.py" "$WORK/app.log" 1 0 "$WORK/times"
wait_for_tickets 1 30 || { log "no ticket after 30 s"; cat "$WORK/crashfwd.log" >&2; exit 1; }
worker_pid=$(pgrep -P "$CRASHFWD_PID" || true)
worker_rss=$([ -n "$worker_pid" ] && proc_status "$worker_pid" VmRSS || echo 0)
for _ in $(seq 1 120); do
    [ -z "$(pgrep -P "$CRASHFWD_PID" || true)" ] && break
    sleep 0.5
done
[ -z "$(pgrep -P "$CRASHFWD_PID" || true)" ] || { log "the HTTP worker is still running after 60 s"; exit 1; }
sleep 5
after_rss=$(proc_status "$CRASHFWD_PID" VmRSS)

per_minute() { calc "$1 * 60 / $2" %.1f; }
mb() { calc "$1 / 1024" %.1f; }

echo "## Idle cost"
echo
echo "Both follow the local journal and three files (default file options) with nothing"
echo "written. Context switches are summed over all threads for $seconds s; system calls"
echo "are counted by \`strace -c -f -p PID\` over a further $strace_seconds s. crashfwd has"
echo "\`WATCHDOG_USEC=$watchdog_usec\`, so it pings every 30 s, and \`GNUTLS_NO_IMPLICIT_INIT=1\`,"
echo "as in the packaged unit."
echo
echo "| follower | RSS MB | threads | context switches / min | syscalls / min | of which poll/sleep/futex / min |"
echo "|---|---|---|---|---|---|"
printf '| crashfwd run | %s (peak %s) | %s | %s | %s | %s |\n' "$(mb "$crashfwd_rss")" "$(mb "$crashfwd_hwm")" \
    "$crashfwd_threads" "$(per_minute "$crashfwd_switches" "$seconds")" \
    "$(per_minute "$crashfwd_calls" "$strace_seconds")" "$(per_minute "$crashfwd_waits" "$strace_seconds")"
printf '| syslog-ng 3.38 | %s | %s | %s | %s | %s |\n' "$(mb "$syslog_rss")" "$syslog_threads" \
    "$(per_minute "$syslog_switches" "$seconds")" "$(per_minute "$syslog_calls" "$strace_seconds")" \
    "$(per_minute "$syslog_waits" "$strace_seconds")"
echo
echo "crashfwd sent $pings watchdog pings in the $seconds s window."
echo
if [ "$worker_rss" -gt 0 ]; then
    echo "After the idle window one crash line was appended. The HTTP worker that sent its"
    echo "ticket had $(mb "$worker_rss") MB resident; 5 s after it exited (\`http_worker_idle_timeout:"
    echo "$worker_idle\`), crashfwd run had $(mb "$after_rss") MB resident."
else
    echo "After the idle window one crash line was appended. crashfwd run sent its ticket"
    echo "itself (\`http_worker_idle_timeout: $worker_idle\`) and had $(mb "$after_rss") MB resident 5 s later."
fi
echo
echo "Resident memory per mapped file at the end of the idle window, in KiB, from"
echo "\`bench/memory-map.py PID\` (/proc/PID/smaps). Pss divides each page by the number of"
echo "processes that map it; file clean pages can be dropped and read again from the file."
echo
cat "$WORK/crashfwd.map"
echo
cat "$WORK/syslog-ng.map"
echo
echo "crashfwd system calls while idle (\`strace -c -f\`, $strace_seconds s):"
echo
echo '```'
sed -n '1,/total/p' "$WORK/strace.$CRASHFWD_PID"
echo '```'
echo
# Each ping is a sendmsg from the poll loop: one wake-up and a switch or two per ping is
# the floor. Allow two switches per ping plus one per minute of slack.
allowed=$(( pings * 2 + seconds / 60 + 1 ))
result=$(verdict "$crashfwd_rss < 12 * 1024 && $after_rss < 12 * 1024 && $crashfwd_switches <= $allowed")
echo "Target RSS < 12 MB, before and after a delivery, and no wake-ups but watchdog pings"
echo "(at most $allowed context switches for $pings pings): **$result**."
echo
summary_row "idle cost ($seconds s)" "RSS $(mb "$crashfwd_rss") MB ($(mb "$after_rss") MB after a delivery), $crashfwd_switches switches, $pings pings" \
    "syslog-ng RSS $(mb "$syslog_rss") MB, $syslog_switches switches" \
    "RSS < 12 MB, only watchdog wake-ups" "$result"
