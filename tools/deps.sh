#!/bin/sh
# Installs Debian packages: those named as arguments, else what building,
# testing and the demo need.  Skips apt-get entirely when all are there.
set -e
pkgs="$*"
[ -n "$pkgs" ] || pkgs="meson ninja-build pkg-config gcc libc6-dev libdbus-1-dev libglib2.0-dev libyajl-dev
libcmocka-dev dbus make python3 python3-dbus python3-gi python3-jsonschema valgrind clang libclang-rt-dev clang-format cppcheck shellcheck"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
# A list that fails to download (a mirror in the middle of a sync) is not
# fatal by itself: the install below says what it cannot find.
$SUDO apt-get update -qq || echo "deps: apt-get update reported errors; trying the install anyway" >&2
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
