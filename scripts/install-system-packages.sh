#!/usr/bin/env bash
# Installs the Debian packages the tests and the local twin run: a real redis-server stands in
# for ElastiCache Valkey, ffmpeg stands in for MediaConvert (and makes the tests' clips), and
# Debian's chromium runs the browser test (playwright-core never downloads a browser).
# Does nothing when they are already there.
set -euo pipefail

packages=()
command -v redis-server >/dev/null 2>&1 || packages+=(redis-server)
command -v ffmpeg >/dev/null 2>&1 || packages+=(ffmpeg)
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
[ ${#packages[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "Installing ${packages[*]} from Debian's repositories"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
