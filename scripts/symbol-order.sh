#!/usr/bin/env bash
# Writes Sources/crashfwd/symbol-order.txt: the functions of the release crashfwd binary that
# run while it starts and idles following the journal and three files, then those that run
# when it delivers one crash to a local centercode-sandbox.
# Release builds pass the file to lld (--symbol-ordering-file, see Package.swift), which
# places these functions next to each other at the start of .text. The kernel maps file
# pages in 64 KiB fault-around windows, so fewer windows with code in use means less RSS.
#
# usage: scripts/symbol-order.sh   (after `make release`; needs valgrind; PROFILE_SECONDS=10,
#        the idle time before and after the crash)
# Run it again after a toolchain update or a large change, then rebuild. lld skips names
# that no longer exist (--no-warn-symbol-ordering), so a stale list costs memory but never
# changes behaviour.
set -euo pipefail
source "$(dirname "$0")/../bench/lib.sh"
if ! command -v valgrind > /dev/null; then
    echo "symbol-order: valgrind not found; install it with 'apt-get install valgrind'" >&2
    exit 1
fi
bench_init symbol-order

output=$BENCH_ROOT/Sources/crashfwd/symbol-order.txt
seconds=${PROFILE_SECONDS:-10}
files=("$WORK/app.log" "$WORK/kern.log" "$WORK/daemon.log")
for file in "${files[@]}"; do
    echo "Dec  4 10:00:00 rig01 app[1]: started" > "$file"
done

start_sandbox
write_crashfwd_config "$WORK/crashfwd.yaml" "$WORK/state" "$SANDBOX_URL" "" "${files[@]}"
enable_journal_watch "$WORK/crashfwd.yaml"

# Starts crashfwd under callgrind and lets it idle; usage: start_profiled PREFIX. Callgrind
# writes the profile PREFIX.1 when callgrind_control requests a dump, and PREFIX with the
# rest when the process exits. Sets PROFILED_PID.
start_profiled() {
    CENTERCODE_API_KEY=$API_KEY valgrind --tool=callgrind --demangle=no --compress-strings=no \
        --callgrind-out-file="$1" "$CRASHFWD" run --config "$WORK/crashfwd.yaml" \
        > "$WORK/crashfwd.log" 2>&1 < /dev/null &
    PROFILED_PID=$!
    track_pid "$PROFILED_PID"
    wait_for_log "$WORK/crashfwd.log" "crashfwd started" 120 || { cat "$WORK/crashfwd.log" >&2; exit 1; }
    log "started; idling for $seconds s"
    sleep "$seconds"
}

# The first run starts with an empty state directory. The second starts from the state that
# the first saved on SIGTERM, as after a reboot. It idles, then delivers one crash.
log "profiling $CRASHFWD under callgrind with an empty state directory"
start_profiled "$WORK/first.out"
stop_pid "$PROFILED_PID"
log "profiling a restart and one delivery"
start_profiled "$WORK/restart.out"
callgrind_control --dump=idle "$PROFILED_PID" > /dev/null 2>&1
echo "Dec  4 10:00:01 rig01 kernel: camera-daemon[4242]: segfault at 0 ip 000055d0c0de1234 sp 00007ffd5ac0ffee error 4" >> "${files[0]}"
wait_for_tickets 1 120 || { echo "symbol-order: no ticket within 120 s" >&2; cat "$WORK/crashfwd.log" >&2; exit 1; }
log "ticket stored; idling for $seconds s"
sleep "$seconds"
stop_pid "$PROFILED_PID"

# Prints the functions of the crashfwd binary in callgrind profiles, which name each
# function's object file in an ob= line and the function in fn= lines.
binary=$(readlink -f "$CRASHFWD")
functions_in() {
    awk -v binary="$binary" '
        /^ob=/ { object = substr($0, 4) }
        /^fn=/ && object == binary && substr($0, 4) !~ /^0x/ { print substr($0, 4) }
    ' "$@" | LC_ALL=C sort -u
}
for profile in first.out restart.out.1 restart.out; do
    [ -s "$WORK/$profile" ] || { echo "symbol-order: callgrind profile $profile is missing" >&2; exit 1; }
done
# The start-up and idle functions come first, then those that only the delivery ran.
functions_in "$WORK/first.out" "$WORK/restart.out.1" > "$WORK/idle.functions"
functions_in "$WORK/restart.out" | LC_ALL=C comm -13 "$WORK/idle.functions" - > "$WORK/delivery.functions"
cat "$WORK/idle.functions" "$WORK/delivery.functions" > "$output"
log "wrote $(wc -l < "$WORK/idle.functions") start-up and idle and $(wc -l < "$WORK/delivery.functions") delivery function names to $output"
log "relink to use it: rm -f .build/release/crashfwd && make release (the build does not track this file)"
