#!/usr/bin/env bash
# Builds crashfwd_VERSION_ARCH.deb with dpkg-deb from a built binary and packaging/.
#
#   scripts/build-deb.sh [--binary PATH] [--output DIR] [--allow-dynamic-swift]
#
# --binary defaults to .build/release/crashfwd (built by 'make release', which links the
# Swift runtime and Foundation statically). The script rejects a binary that needs a
# Swift shared library, because devices have no Swift runtime; --allow-dynamic-swift
# skips that check, for packaging tests with the debug binary. Depends: lists the Debian
# packages that provide the binary's NEEDED libraries on this machine, and libcurl, which
# the binary loads with dlopen when it first sends a request.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=.build/release/crashfwd
output=.
allow_dynamic_swift=0
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) binary=$2; shift 2 ;;
        --output) output=$2; shift 2 ;;
        --allow-dynamic-swift) allow_dynamic_swift=1; shift ;;
        *) echo "build-deb: unknown option '$1'" >&2; exit 2 ;;
    esac
done

for tool in dpkg-deb readelf gzip; do
    command -v "$tool" >/dev/null || { echo "build-deb: $tool not found; install dpkg-dev or binutils" >&2; exit 1; }
done
[ -x "$binary" ] || { echo "build-deb: $binary not found; run 'make release' first" >&2; exit 1; }

needed=$(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
loaded_at_run_time="libcurl.so.4"
swift_libraries=$(echo "$needed" | grep -E '^lib(swift|Foundation|dispatch|BlocksRuntime|_FoundationICU)' || true)
if [ -n "$swift_libraries" ] && [ "$allow_dynamic_swift" -ne 1 ]; then
    echo "build-deb: $binary needs Swift shared libraries: $(echo $swift_libraries)" >&2
    echo "build-deb: build it with 'swift build -c release --static-swift-stdlib'" >&2
    exit 1
fi

# Maps each library to the Debian package that ships it here.
depends=$(
    for soname in $needed $loaded_at_run_time; do
        echo "$swift_libraries" | grep -qx "$soname" && continue
        # ldd prints "NAME => PATH (ADDRESS)", or "PATH (ADDRESS)" for the dynamic loader.
        # A library that is not NEEDED is looked for next to the binary's libc, which is
        # the directory of the binary's architecture.
        path=$(ldd "$binary" | awk -v name="$soname" '
            $1 == name && $2 == "=>" { print $3; exit }
            $1 ~ ("/" name "$") { print $1; exit }')
        if [ -z "$path" ]; then
            libc=$(ldd "$binary" | awk '$1 == "libc.so.6" { print $3; exit }')
            [ -e "$(dirname "$libc")/$soname" ] && path="$(dirname "$libc")/$soname"
        fi
        [ -n "$path" ] || { echo "build-deb: cannot resolve $soname" >&2; exit 1; }
        package=$(dpkg -S "$(realpath "$path")" 2>/dev/null || dpkg -S "$path") || {
            echo "build-deb: no package ships $path" >&2; exit 1; }
        echo "${package%%:*}"
    done | sed 's/:.*//' | sort -u
)
depends="$(echo $depends systemd | tr ' ' '\n' | sort -u | paste -sd, | sed 's/,/, /g')"

version=$("$binary" version | awk '{ print $2 }')
arch=$(dpkg --print-architecture)
root=$(mktemp -d)
chmod 0755 "$root"
trap 'rm -rf "$root"' EXIT

install -D -m 0755 "$binary" "$root/usr/sbin/crashfwd"
[ "$allow_dynamic_swift" -eq 1 ] || strip --strip-unneeded "$root/usr/sbin/crashfwd"
install -D -m 0644 packaging/systemd/crashfwd.service "$root/lib/systemd/system/crashfwd.service"
install -D -m 0644 packaging/sysusers.d/crashfwd.conf "$root/usr/lib/sysusers.d/crashfwd.conf"
install -D -m 0644 packaging/tmpfiles.d/crashfwd.conf "$root/usr/lib/tmpfiles.d/crashfwd.conf"
install -D -m 0644 config/crashfwd.yaml "$root/etc/crashfwd/crashfwd.yaml"
install -D -m 0644 packaging/man/crashfwd.8 "$root/usr/share/man/man8/crashfwd.8"
install -D -m 0644 packaging/man/crashfwd.yaml.5 "$root/usr/share/man/man5/crashfwd.yaml.5"
gzip -9n "$root/usr/share/man/man8/crashfwd.8" "$root/usr/share/man/man5/crashfwd.yaml.5"
install -D -m 0644 docs/service.md "$root/usr/share/doc/crashfwd/service.md"
install -D -m 0644 README.md "$root/usr/share/doc/crashfwd/README.md"

install -d "$root/DEBIAN"
install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$root/DEBIAN/"
install -m 0644 packaging/debian/conffiles "$root/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@DEPENDS@/$depends/" \
    -e "s/@SIZE@/$size/" packaging/debian/control.in >"$root/DEBIAN/control"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\n' | LC_ALL=C sort \
    | xargs md5sum >DEBIAN/md5sums)

mkdir -p "$output"
package="$output/crashfwd_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$package" >/dev/null
echo "$package"
