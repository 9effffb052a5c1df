#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for FUZZ_SECONDS each, after building them.
#
# Each target's corpus is .build/fuzz/corpus/TARGET, seeded from Fuzz/Seeds/TARGET. A crash
# leaves its input in .build/fuzz/crashes/TARGET/ and makes this script exit non-zero; turn
# each one into a regression test before fixing it.
#
# Usage: FUZZ_SECONDS=60 Fuzz/run.sh [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
Fuzz/build.sh "$@"
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    for file in Fuzz/Targets/*.swift; do targets+=("$(basename "$file" .swift)"); done
fi

failed=()
for target in "${targets[@]}"; do
    corpus=.build/fuzz/corpus/$target
    crashes=.build/fuzz/crashes/$target
    mkdir -p "$corpus" "$crashes"
    # -rss_limit_mb bounds the fuzzer itself; -max_len matches the default line limit.
    # Leak detection is off: LeakSanitizer reports an array that a Swift global still
    # references (the Detector target's templates) as leaked, probably because Swift
    # stores enum payload pointers with tag bits that the scanner does not recognise.
    if ! ASAN_OPTIONS=detect_leaks=0 .build/fuzz/"$target" "$corpus" "Fuzz/Seeds/$target" -max_total_time="$seconds" \
        -max_len=65536 -rss_limit_mb=2048 -timeout=10 -detect_leaks=0 -artifact_prefix="$crashes/" \
        -print_final_stats=1 >".build/fuzz/$target.log" 2>&1; then
        failed+=("$target")
    fi
    stats=$(grep -E '^stat::number_of_executed_units' ".build/fuzz/$target.log" | awk '{print $2}')
    echo "fuzz: $target ran ${stats:-?} inputs in ${seconds} s; log in .build/fuzz/$target.log"
done
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz: crashes in ${failed[*]}; inputs in .build/fuzz/crashes/" >&2
    exit 1
fi
