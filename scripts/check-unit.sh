#!/usr/bin/env bash
# Checks packaging/systemd/crashfwd.service: `systemd-analyze verify` must be clean and
# `systemd-analyze security --offline=true` must rate the exposure at 1.5 or lower.
#
# verify requires ExecStart's binary to exist, so the unit is checked as a copy whose
# ExecStart names the built binary (BINARY, default .build/debug/crashfwd). Its man pages
# are looked up in packaging/man through MANPATH. Neither command loads or starts the unit.
set -euo pipefail
cd "$(dirname "$0")/.."

unit=packaging/systemd/crashfwd.service
binary=${BINARY:-.build/debug/crashfwd}
maximum_exposure=15   # tenths: 15 means 1.5

if [ ! -x "$binary" ]; then
    echo "check-unit: $binary not found; run 'swift build' first or set BINARY" >&2
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed "s|/usr/sbin/crashfwd|$(realpath "$binary")|g" "$unit" >"$work/crashfwd.service"
mkdir -p "$work/man/man5" "$work/man/man8"
cp packaging/man/crashfwd.8 "$work/man/man8/"
cp packaging/man/crashfwd.yaml.5 "$work/man/man5/"

echo "==> systemd-analyze verify $unit"
output=$(cd "$work" && MANPATH="$work/man" systemd-analyze verify crashfwd.service 2>&1) || {
    echo "$output" >&2
    echo "check-unit: verify failed" >&2
    exit 1
}
if [ -n "$output" ]; then
    echo "$output" >&2
    echo "check-unit: verify printed warnings; fix them" >&2
    exit 1
fi

echo "==> systemd-analyze security --offline=true $unit"
if ! (cd "$work" && systemd-analyze security --offline=true --threshold="$maximum_exposure" \
    crashfwd.service >"$work/security.txt" 2>&1); then
    grep -E '✗|Overall' "$work/security.txt" >&2 || cat "$work/security.txt" >&2
    echo "check-unit: exposure is above 1.5" >&2
    exit 1
fi
tail -n 1 "$work/security.txt"
