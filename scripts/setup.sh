#!/bin/sh
# Installs the Debian packages stepwise builds and tests with, only if missing.
set -e
PKGS="gcc make pkg-config liblmdb-dev libssl-dev libmicrohttpd-dev zlib1g-dev libjansson-dev libcurl4-openssl-dev clang python3 python3-pytest python3-boto3 awscli wrk"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
# The JavaScript SDK tests (tests/e2e/js) need node and npm, from Debian
# unless some other installation already provides them.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
[ -z "$missing" ] && exit 0
echo "setup: installing$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
