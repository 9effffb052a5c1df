#!/usr/bin/env bash
# Times `crashfwd journal-scan` (default watch.journal matches) against
# `journalctl --file=... -o export > /dev/null` on a generated journal file.
#
# usage: bench/journal.sh [ENTRIES] [RUNS]   (defaults: 500000 entries, 5 runs)
# Needs systemd-journal-remote and a release build (make release).
set -euo pipefail

entries=${1:-500000}
runs=${2:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
crashfwd="$root/.build/release/crashfwd"
work=$(mktemp -d /tmp/crashfwd-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

[ -x "$crashfwd" ] || { echo "missing $crashfwd: run make release" >&2; exit 1; }

# One entry in 100,000 is a coredump; a few percent are kernel or err-level lines, the rest
# are ordinary info lines, roughly the mix of a busy device.
awk -v n="$entries" 'BEGIN {
    boot = "3d1219c7c4c5404aaa1f6d2a48adfda4"; t = 1700000000000000
    for (i = 0; i < n; i++) {
        printf "__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=%s\n", t + i * 1000, 1000000 + i * 1000, boot
        if (i % 100000 == 50000) {
            printf "MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1\nPRIORITY=2\nSYSLOG_IDENTIFIER=systemd-coredump\n"
            printf "COREDUMP_EXE=/usr/bin/demo-app\nCOREDUMP_PID=%d\nCOREDUMP_SIGNAL_NAME=SIGSEGV\n", i
            printf "MESSAGE=Process %d (demo-app) of user 0 dumped core.\n", i
        } else if (i % 50 == 7) {
            printf "_TRANSPORT=kernel\nPRIORITY=4\nSYSLOG_IDENTIFIER=kernel\nMESSAGE=usb 1-1: reset high-speed USB device number %d\n", i
        } else if (i % 40 == 3) {
            printf "_TRANSPORT=journal\nPRIORITY=3\nSYSLOG_IDENTIFIER=sensord\nMESSAGE=sensor %d read failed: timeout\n", i
        } else {
            printf "_TRANSPORT=stdout\nPRIORITY=6\nSYSLOG_IDENTIFIER=app\n_PID=%d\nMESSAGE=request %d handled in 12 ms status=200 path=/api/v1/items\n", 1000 + i % 7, i
        }
        printf "_HOSTNAME=rig01\n_UID=1000\n_COMM=app\n\n"
    }
}' > "$work/entries.export"
/lib/systemd/systemd-journal-remote --output="$work/bench.journal" "$work/entries.export" 2>/dev/null
files=("$work"/bench*.journal)

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
seconds() { local start end; start=$(date +%s.%N); "$@" > /dev/null; end=$(date +%s.%N); echo "$end - $start" | bc -l; }

echo "journal: $entries entries in ${#files[@]} file(s), $(du -ch "${files[@]}" | tail -1 | cut -f1)"
"$crashfwd" journal-scan "${files[@]}"
"$crashfwd" journal-scan --all "${files[@]}"

export_times=$(for _ in $(seq "$runs"); do seconds journalctl "${files[@]/#/--file=}" -o export; done | median)
scan_times=$(for _ in $(seq "$runs"); do seconds "$crashfwd" journal-scan "${files[@]}"; done | median)
all_times=$(for _ in $(seq "$runs"); do seconds "$crashfwd" journal-scan --all "${files[@]}"; done | median)

report() { printf '%-42s median %7.3f s  %10.0f entries/s\n' "$1" "$2" "$(echo "$entries / $2" | bc -l)"; }
report "journalctl -o export > /dev/null" "$export_times"
report "crashfwd journal-scan (default matches)" "$scan_times"
report "crashfwd journal-scan --all" "$all_times"
printf 'ratio journalctl / crashfwd (default matches): %.1f\n' "$(echo "$export_times / $scan_times" | bc -l)"
printf 'ratio journalctl / crashfwd (--all):           %.2f\n' "$(echo "$export_times / $all_times" | bc -l)"
