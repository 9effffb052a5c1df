#!/usr/bin/env bash
# Runs every benchmark against the release build and writes docs/benchmarks.md: the machine,
# tool versions, a summary table with pass or miss per target, and each benchmark's section.
#
# usage: bench/run.sh          (make bench builds the release binaries first)
#        QUICK=1 bench/run.sh  a fast sanity pass with small sizes, written to
#                              docs/benchmarks-quick.md unless OUT is set
# Installs the baselines (syslog-ng-core, syslog-ng-mod-http, hyperfine) with apt-get when
# they are missing. syslog-ng runs only as private instances that the scripts start and stop.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bench=$root/bench
quick=${QUICK:-0}
if [ "$quick" = 1 ]; then
    out=${OUT:-$root/docs/benchmarks-quick.md}
else
    out=${OUT:-$root/docs/benchmarks.md}
fi

missing=()
for package in syslog-ng-core syslog-ng-mod-http hyperfine; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "bench: installing ${missing[*]}" >&2
    sudo=$([ "$(id -u)" -eq 0 ] || echo sudo)
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

export BENCH_DATA=${BENCH_DATA:-$(mktemp -d "${TMPDIR:-/tmp}/crashfwd-bench-data.XXXXXX")}
export BENCH_SUMMARY=$BENCH_DATA/summary.md
sections=$BENCH_DATA/sections.md
: > "$BENCH_SUMMARY"
: > "$sections"
trap 'rm -rf "$BENCH_DATA"' EXIT

if [ "$quick" = 1 ]; then
    export SIZE_MB=32 RUNS=1 CRASHES=100 IDLE_SECONDS=10 BLOCKS=5000 STORM_SECONDS=2 WINDOW=5
    export BACKLOGS="100 500" INSTANCES=20 REPORTS=5 RATE_LIMIT=10
    journal_args=(50000 1)
    upload_args=(64)
    export ROUNDS=1
else
    export SIZE_MB=${SIZE_MB:-256}
    journal_args=(500000 5)
    upload_args=(1024)
fi
export CRASHFWD_BIN_DIR=$root/.build/release

# Runs one benchmark script, appending its Markdown to the sections file, or a note when it
# failed. The script's progress goes to stderr as it runs.
run_section() {
    local name=$1
    shift
    local started=$SECONDS
    echo "bench: $name" >&2
    if "$@" >> "$sections.part"; then
        cat "$sections.part" >> "$sections"
    else
        local status=$?
        cat "$sections.part" >> "$sections"
        printf '## %s\n\n`%s` failed with status %s; see its output on stderr.\n\n' "$name" "$*" "$status" >> "$sections"
        summary_line "$name" "failed (status $status)" "" "" "miss"
    fi
    rm -f "$sections.part"
    echo "bench: $name took $((SECONDS - started)) s" >&2
}

summary_line() { printf '| %s | %s | %s | %s | %s |\n' "$@" >> "$BENCH_SUMMARY"; }

# Runs a script whose output is plain text, such as the journal and upload benchmarks, and
# wraps it in a section with a code block.
run_text_section() {
    local title=$1 command_text=$2
    shift 2
    {
        printf '## %s\n\n`%s`\n\n```\n' "$title" "$command_text"
        "$@" 2>&1
        printf '```\n\n'
    }
}

# Runs bench/journal.sh and adds its summary row: entries/s of the default matches and of
# --all against journalctl -o export.
run_journal() {
    local output
    output=$("$bench/journal.sh" "$@" 2>&1)
    printf '## Journal scan\n\n`bench/journal.sh %s`: a generated journal file read by\n' "$*"
    printf '`crashfwd journal-scan` and by `journalctl --file=... -o export > /dev/null`.\n\n```\n%s\n```\n\n' "$output"
    local default_ratio all_ratio journalctl_rate crashfwd_rate
    journalctl_rate=$(awk '/^journalctl -o export/ { print $(NF - 1) }' <<< "$output")
    crashfwd_rate=$(awk '/^crashfwd journal-scan \(default/ { print $(NF - 1) }' <<< "$output")
    default_ratio=$(awk -F: '/ratio journalctl \/ crashfwd \(default/ { print $2 + 0 }' <<< "$output")
    all_ratio=$(awk -F: '/ratio journalctl \/ crashfwd \(--all/ { print $2 + 0 }' <<< "$output")
    local result
    # The ratios are journalctl's time over crashfwd's, so above 1 means crashfwd is faster.
    result=$(awk -v r="$default_ratio" 'BEGIN { print (r >= 1) ? "pass" : "miss" }')
    summary_line "journal scan" "$crashfwd_rate entries/s (default matches, ${default_ratio}x journalctl); --all ${all_ratio}x" \
        "journalctl -o export $journalctl_rate entries/s" ">= journalctl entries/s" "$result"
}

total_started=$SECONDS
run_section "journal scan" run_journal "${journal_args[@]}"
run_section "upload" run_text_section "Upload of a ${upload_args[0]} MiB core dump" "bench/upload.sh ${upload_args[0]}" "$bench/upload.sh" "${upload_args[@]}"
run_section "latency" "$bench/latency.sh"
run_section "idle cost" "$bench/idle.sh"
run_section "crash storm" "$bench/storm.sh"
run_section "restart with backlog" "$bench/backlog.sh"
run_section "fleet power-on" "$bench/fleet.sh"
# bench/detect.sh builds the release binary itself, with the same flags as make release.
run_section "detection throughput" "$bench/detection.sh"
total_seconds=$((SECONDS - total_started))

machine() {
    local cpu memory debian
    cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    memory=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
    debian=$(cat /etc/debian_version)
    echo "| machine | $(nproc) cores, $cpu, $memory RAM, kernel $(uname -r), Debian $debian |"
    echo "| swift | $(swift --version 2>&1 | head -1) |"
    echo "| crashfwd | $("$root/.build/release/crashfwd" version), release build (\`make release\`) |"
    echo "| GNU grep | $(grep --version | head -1) |"
    echo "| syslog-ng | $(syslog-ng --version | head -1) |"
    echo "| journalctl | $(journalctl --version | head -1) |"
    echo "| curl | $(curl --version | head -1 | cut -d' ' -f1-2) |"
    echo "| hyperfine | $(hyperfine --version) |"
}

{
    echo "# Benchmarks"
    echo
    echo "Written by \`make bench\` (\`bench/run.sh\`$([ "$quick" = 1 ] && echo ", QUICK=1")) on $(date -u +%Y-%m-%d) in $((total_seconds / 60)) min $((total_seconds % 60)) s."
    echo "Each benchmark also runs alone: \`bench/NAME.sh\`, with the options in its header comment."
    echo "Every figure below comes from that one run on this machine; medians where a"
    echo "benchmark repeats, as each section says."
    echo
    echo "| | |"
    echo "|---|---|"
    machine
    echo
    echo "## Summary"
    echo
    echo "| benchmark | crashfwd | baseline, same run | target | result |"
    echo "|---|---|---|---|---|"
    cat "$BENCH_SUMMARY"
    echo
    cat "$sections"
} > "$out"
echo "bench: wrote $out in $total_seconds s" >&2
