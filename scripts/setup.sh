#!/usr/bin/env bash
# Installs the Debian packages crashfwd builds, tests and demos with, if any is missing.
set -euo pipefail

packages=(
    libsystemd-dev libcurl4-openssl-dev libpcre2-dev libyaml-dev libmicrohttpd-dev
    zlib1g-dev libzstd-dev pkg-config systemd systemd-journal-remote util-linux
    curl python3 ca-certificates openssl
)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

echo "setup: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    sudo=sudo
else
    sudo=
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
