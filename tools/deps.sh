#!/bin/sh
# Installs what building, testing and the demo need, from Debian's packages.
# Skips apt-get entirely when everything is already there.
set -e
pkgs="meson ninja-build pkg-config gcc libc6-dev libdbus-1-dev libglib2.0-dev libyajl-dev
libcmocka-dev dbus make python3 python3-dbus python3-gi python3-jsonschema valgrind clang libclang-rt-dev clang-format cppcheck"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
