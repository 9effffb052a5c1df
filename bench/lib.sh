# Shared helpers for the bench/*.sh scripts; source it, do not run it.
#
# Every process a script starts is recorded with `track_pid` and stopped by PID on exit.
# Servers listen on 127.0.0.1 only. Each script prints a Markdown section on stdout and
# progress on stderr; when BENCH_SUMMARY names a file, it also appends one summary row
# per benchmark there for bench/run.sh.

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${CRASHFWD_BIN_DIR:-$BENCH_ROOT/.build/release}
CRASHFWD=$BIN/crashfwd
SANDBOX_BIN=$BIN/centercode-sandbox
API_KEY=sandbox-key-0123456789
TRACKED_PIDS=()

# Creates $WORK and arranges for it and every tracked process to go away on exit.
bench_init() {
    local name=$1
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/crashfwd-bench-$name.XXXXXX")
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
    for binary in "$CRASHFWD" "$SANDBOX_BIN"; do
        if [ ! -x "$binary" ]; then
            echo "missing $binary: run 'make release' first (or set CRASHFWD_BIN_DIR)" >&2
            exit 1
        fi
    done
}

bench_cleanup() {
    local pid
    for pid in "${TRACKED_PIDS[@]}"; do
        stop_pid "$pid"
    done
    if [ "${BENCH_KEEP_WORK:-0}" = 1 ]; then
        echo "keeping $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}

track_pid() { TRACKED_PIDS+=("$1"); }

# Sends SIGTERM to one PID, waits up to 10 s, then sends SIGKILL.
stop_pid() {
    local pid=$1
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

log() { echo "[$(date +%T)] $*" >&2; }

# Prints the median of the numbers on stdin, one a line.
median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Evaluates an awk expression, for example `calc "3 / 4" %.2f`.
calc() { awk "BEGIN { printf \"${2:-%.3f}\", $1 }"; }

# Prints pass or miss for a condition written as an awk expression.
verdict() { awk "BEGIN { print ($1) ? \"pass\" : \"miss\" }"; }

# Appends a row to the summary table: benchmark, crashfwd, baseline, target, verdict.
summary_row() {
    [ -n "${BENCH_SUMMARY:-}" ] || return 0
    printf '| %s | %s | %s | %s | %s |\n' "$@" >> "$BENCH_SUMMARY"
}

# Reads one field (in KiB, or a count) of /proc/PID/status, such as VmRSS or VmHWM.
proc_status() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"; }

# Starts centercode-sandbox with extra options; sets SANDBOX_PID and SANDBOX_URL.
start_sandbox() {
    local data=$WORK/sandbox-data port_file=$WORK/sandbox.port
    rm -f "$port_file"
    "$SANDBOX_BIN" --config "$BENCH_ROOT/config/sandbox.json" --port "${SANDBOX_PORT:-0}" \
        --data "$data" --port-file "$port_file" --quiet "$@" \
        > "$WORK/sandbox.log" 2>&1 < /dev/null &
    SANDBOX_PID=$!
    track_pid "$SANDBOX_PID"
    for _ in $(seq 200); do
        [ -s "$port_file" ] && break
        sleep 0.05
    done
    [ -s "$port_file" ] || { echo "centercode-sandbox did not start:" >&2; cat "$WORK/sandbox.log" >&2; exit 1; }
    SANDBOX_PORT=$(cat "$port_file")
    SANDBOX_URL=http://127.0.0.1:$SANDBOX_PORT
}

# Returns the body of a sandbox test endpoint such as /sandbox/stats.
sandbox_get() { curl -sS --noproxy '*' "$SANDBOX_URL$1"; }

# Prints the number of tickets the sandbox has stored.
sandbox_ticket_count() {
    sandbox_get /sandbox/stats | python3 -c 'import json, sys; print(json.load(sys.stdin)["tickets"])'
}

# Waits until the sandbox has at least N tickets or TIMEOUT seconds pass; returns 1 on timeout.
wait_for_tickets() {
    local expected=$1 timeout=$2 start=$SECONDS
    while [ $((SECONDS - start)) -lt "$timeout" ]; do
        [ "$(sandbox_ticket_count)" -ge "$expected" ] && return 0
        sleep 0.2
    done
    return 1
}

# Writes a crashfwd config that follows the given files from their end and delivers to
# URL. Usage: write_crashfwd_config FILE STATE_DIR URL EXTRA_YAML WATCHED_FILE...
# EXTRA_YAML is appended at the top level (for example a delivery: or journal section).
# Without a delivery: section in EXTRA_YAML, the config gets `startup_delay: 0s`, so a
# benchmark on a machine booted less than startup_delay ago does not wait for it.
write_crashfwd_config() {
    local file=$1 state=$2 url=$3 extra=$4
    shift 4
    {
        echo "state_directory: $state"
        echo "log_level: ${CRASHFWD_LOG_LEVEL:-info}"
        echo "watch:"
        echo "  files:"
        local watched
        for watched in "$@"; do
            echo "    - path: $watched"
            echo "      start_at: end"
        done
        printf '%s\n' "$extra"
        case $extra in
            *delivery:*) ;;
            *) printf 'delivery:\n  startup_delay: 0s\n' ;;
        esac
        cat <<EOF
detect:
  destination: sandbox
  matchers:
    - name: segfault
      pattern: '(?<program>[\w.-]+)\[(?<pid>\d+)\]: segfault at'
      fields: { signal: SIGSEGV }
destinations:
  sandbox:
    url: $url
    allow_http: true
    project: acme-beta-2
    source: appcrashlog
    api_key_env: CENTERCODE_API_KEY
    parameters:
      submitter: qa-bot@example.com
      summary: "${SUMMARY_PREFIX:-}{{program}} crashed with {{signal}}, pid {{pid}}"
      description: "{{context}}"
EOF
    } > "$file"
}

# Adds `journal: { enabled: true }` under watch: in a config written by write_crashfwd_config,
# so crashfwd follows the local journal too.
enable_journal_watch() {
    local file=$1
    awk '{ print } /^watch:$/ { print "  journal:"; print "    enabled: true" }' "$file" > "$file.new"
    mv "$file.new" "$file"
}

# Starts `crashfwd run` in the background with its output in $WORK/NAME.log; sets
# CRASHFWD_PID. NOTIFY_SOCKET and WATCHDOG_USEC pass through from the environment, and
# GNUTLS_NO_IMPLICIT_INIT=1 is set as in packaging/systemd/crashfwd.service.
start_crashfwd() {
    local config=$1 name=${2:-crashfwd}
    : > "$WORK/$name.log"
    CENTERCODE_API_KEY=$API_KEY GNUTLS_NO_IMPLICIT_INIT=1 "$CRASHFWD" run --config "$config" >> "$WORK/$name.log" 2>&1 < /dev/null &
    CRASHFWD_PID=$!
    track_pid "$CRASHFWD_PID"
}

# Waits until a log file contains TEXT, up to TIMEOUT seconds; returns 1 on timeout.
wait_for_log() {
    local file=$1 text=$2 timeout=${3:-15} start=$SECONDS
    while [ $((SECONDS - start)) -lt "$timeout" ]; do
        grep -qF -- "$text" "$file" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

# Starts a private syslog-ng instance with CONF: its own persist file, PID file and
# control socket under $WORK, never the system service. Sets SYSLOG_NG_PID.
start_syslog_ng() {
    local conf=$1 name=${2:-syslog-ng}
    syslog-ng -F --no-caps -f "$conf" --persist-file="$WORK/$name.persist" \
        --pidfile="$WORK/$name.pid" --control="$WORK/$name.ctl" \
        > "$WORK/$name.log" 2>&1 < /dev/null &
    SYSLOG_NG_PID=$!
    track_pid "$SYSLOG_NG_PID"
    for _ in $(seq 100); do
        [ -S "$WORK/$name.ctl" ] && return 0
        kill -0 "$SYSLOG_NG_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "syslog-ng did not start:" >&2
    cat "$WORK/$name.log" >&2
    exit 1
}

# Stops a private syslog-ng instance started by start_syslog_ng and removes its state.
stop_syslog_ng() {
    local name=${1:-syslog-ng}
    stop_pid "$SYSLOG_NG_PID"
    rm -f "$WORK/$name.persist" "$WORK/$name.pid" "$WORK/$name.ctl"
}

# Starts bench/notify-listener.py on $WORK/NAME.sock, logging to $WORK/NAME.messages, and
# exports NOTIFY_SOCKET for the processes started after it.
start_notify_listener() {
    local name=${1:-notify}
    rm -f "$WORK/$name.messages"
    : > "$WORK/$name.messages"
    python3 "$BENCH_ROOT/bench/notify-listener.py" "$WORK/$name.sock" "$WORK/$name.messages" &
    track_pid $!
    for _ in $(seq 100); do
        [ -S "$WORK/$name.sock" ] && break
        sleep 0.02
    done
    export NOTIFY_SOCKET=$WORK/$name.sock
}

# Prints the voluntary and involuntary context switches of every thread of PID, summed.
context_switches() {
    cat "/proc/$1"/task/*/status 2>/dev/null |
        awk '$1 == "voluntary_ctxt_switches:" || $1 == "nonvoluntary_ctxt_switches:" { n += $2 } END { print n + 0 }'
}

# Runs strace -c -f on PID for SECONDS and prints "SYSCALLS WAITS": all system calls, and
# the poll, ppoll, epoll_wait, epoll_pwait, select, nanosleep and futex calls among them.
count_syscalls() {
    local pid=$1 seconds=$2 out=$WORK/strace.$1
    timeout --signal=INT "$seconds" strace -c -f -p "$pid" -o "$out" > /dev/null 2>&1 || true
    awk '$NF ~ /^(poll|ppoll|epoll_wait|epoll_pwait|select|pselect6|nanosleep|clock_nanosleep|futex)$/ { waits += $4 }
         $NF == "total" { total = $4 } END { print total + 0, waits + 0 }' "$out"
}

# Prints the path of the mixed log of bench/generate-log.py for SIZE_MB and SEED, generating
# it (with OUT.truth.json) under BENCH_DATA on first use so later scripts reuse it.
generated_log() {
    local size=$1 seed=$2 data=${BENCH_DATA:-${TMPDIR:-/tmp}/crashfwd-bench-data}
    local out=$data/mixed-$size-$seed.log
    if [ ! -s "$out.truth.json" ]; then
        mkdir -p "$data"
        log "generating a $size MB log with bench/generate-log.py (seed $seed)"
        python3 "$BENCH_ROOT/bench/generate-log.py" "$size" "$seed" "$out"
    fi
    echo "$out"
}
