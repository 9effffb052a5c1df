#!/usr/bin/env bash
# Builds one libFuzzer binary per file in Fuzz/Targets into .build/fuzz/.
#
# CrashfwdCore is compiled once, with coverage instrumentation and AddressSanitizer, into a
# static library with testing enabled, so each target can reach internal types through
# `@testable import CrashfwdCore`. Package.swift is not involved: SwiftPM cannot add the
# fuzzer runtime to one product only.
#
# Usage: Fuzz/build.sh [TARGET...]   (default: every target)
set -euo pipefail
cd "$(dirname "$0")/.."

SWIFTC=${SWIFTC:-swiftc}
OUT=.build/fuzz
# lld rather than gold: gold prints a warning for every AddressSanitizer helper symbol.
SANITIZE=(-sanitize=fuzzer,address -parse-as-library -g -Onone -use-ld=lld)
INCLUDES=()
for map in Sources/*/module.modulemap; do INCLUDES+=(-I "$(dirname "$map")"); done
LIBS=(-lsystemd -lpcre2-8 -lyaml -lz)

mkdir -p "$OUT/module" "$OUT/ccurl"
# CCurl is a C target, which loads libcurl at run time: SwiftPM writes its module map, so
# write one here, and compile its source into an object that each target links.
cat >"$OUT/ccurl/module.modulemap" <<EOF
module CCurl {
    header "$PWD/Sources/CCurl/include/CCurl.h"
    export *
}
EOF
INCLUDES+=(-I "$OUT/ccurl")
${CLANG:-clang} -c -g -fsanitize=address -I Sources/CCurl/include Sources/CCurl/loader.c \
    -o "$OUT/ccurl/loader.o"
mapfile -t core_sources < <(find Sources/CrashfwdCore -name '*.swift' | sort)

# Rebuild the library only when a source is newer than it.
library="$OUT/libCrashfwdCore.a"
if [[ ! -f $library ]] || [[ -n $(find Sources/CrashfwdCore -name '*.swift' -newer "$library") ]]; then
    echo "fuzz: compiling CrashfwdCore (${#core_sources[@]} files)"
    "$SWIFTC" "${SANITIZE[@]}" -enable-testing -module-name CrashfwdCore \
        -emit-library -static -emit-module -emit-module-path "$OUT/module/CrashfwdCore.swiftmodule" \
        "${INCLUDES[@]}" "${core_sources[@]}" -o "$library"
fi

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    for file in Fuzz/Targets/*.swift; do targets+=("$(basename "$file" .swift)"); done
fi
for target in "${targets[@]}"; do
    echo "fuzz: linking $OUT/$target"
    "$SWIFTC" "${SANITIZE[@]}" -module-name "Fuzz$target" -I "$OUT/module" "${INCLUDES[@]}" \
        "Fuzz/Targets/$target.swift" "$library" "$OUT/ccurl/loader.o" "${LIBS[@]}" -o "$OUT/$target"
done
