#!/bin/sh
# Builds a target sysroot for cross-compiling batagg: the Debian packages of
# the libraries batagg links (and their run-time dependencies, so that the
# tests run under qemu), downloaded for the target architecture with a
# private apt configuration and unpacked with dpkg -x.
#
# The packages come from Debian 11 "bullseye": its glibc (2.31) is the one of
# the oldest Venus OS releases we support (v2.80 to v3.5x are built on Yocto
# "dunfell", glibc 2.31), and a binary linked against an older glibc runs on
# every newer one, never the reverse.  Its GLib (2.66) is newer than what
# batagg may use (meson.build caps the API at 2.58).
#
# Why not multiarch (`dpkg --add-architecture`): it could only give the
# host's own release, and Multi-Arch "same" packages must have the same
# version for every architecture, which fails whenever the host's updates and
# the foreign index are out of step; a foreign architecture also makes every
# later `apt-get update` on the machine depend on its indexes.  A private
# sysroot leaves the host's package database untouched.
#
# usage: cross/sysroot.sh ARCH DIR     (ARCH: armhf or arm64)
set -e
arch=$1
dir=$2
if [ -z "$arch" ] || [ -z "$dir" ]; then
	echo "usage: $0 armhf|arm64 DIR" >&2
	exit 2
fi
case $arch in
armhf) triplet=arm-linux-gnueabihf ;;
arm64) triplet=aarch64-linux-gnu ;;
*) echo "$0: unknown architecture '$arch' (armhf or arm64)" >&2; exit 2 ;;
esac

suite=bullseye
# What batagg links, what those libraries need at run time, and cmocka for
# the unit tests.
pkgs="libc6 libc6-dev linux-libc-dev libcrypt1 libcrypt-dev libgcc-s1
libdbus-1-3 libdbus-1-dev libsystemd0 libcap2 libgcrypt20 libgpg-error0 liblz4-1 liblzma5 libzstd1
libglib2.0-0 libglib2.0-dev libffi7 libmount1 libblkid1 libselinux1 libpcre3 libpcre3-dev libpcre2-8-0 zlib1g
libyajl2 libyajl-dev libcmocka0 libcmocka-dev"

stamp="$dir/.batagg-sysroot"
want=$(echo "$arch $suite $pkgs" | tr -s ' \n' ' ')
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
	exit 0
fi

apt="$dir.apt"
rm -rf "$dir" "$apt"
mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$dir"
: >"$apt/status"
# The host's own Debian mirror, as its apt is configured, for another suite.
# shellcheck disable=SC1091
host_suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
host_mirror() {
	# shellcheck disable=SC2016
	apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
		awk -v s="$host_suite" '$2 == s { print $1; exit }'
}
mirror=$(host_mirror)
if [ -z "$mirror" ]; then
	# apt lists only the indexes it has downloaded
	apt-get update -qq >/dev/null 2>&1 || true
	mirror=$(host_mirror)
fi
if [ -z "$mirror" ]; then
	echo "$0: found no Debian mirror for '$host_suite' in this machine's apt sources" >&2
	exit 1
fi
echo "deb $mirror $suite main" >"$apt/sources.list"
cat >"$apt/apt.conf" <<CONF
Dir::State "$apt";
Dir::State::lists "$apt/lists";
Dir::State::status "$apt/status";
Dir::Cache "$apt";
Dir::Cache::archives "$apt/archives";
Dir::Etc::SourceList "$apt/sources.list";
Dir::Etc::SourceParts "$apt/none";
APT::Architecture "$arch";
APT::Architectures { "$arch"; };
Acquire::Languages "none";
CONF
export APT_CONFIG="$apt/apt.conf"
echo "sysroot $arch: fetching the $suite package lists"
# An index that fails (a repository without this architecture, a mirror in
# the middle of a sync) is not fatal: the download below says what is missing.
apt-get update -qq 2>"$apt/update.log" || true
cd "$apt/archives"
echo "sysroot $arch: downloading $(echo "$pkgs" | wc -w) packages"
# shellcheck disable=SC2086
if ! apt-get download -qq $pkgs >"$apt/download.log" 2>&1; then
	cat "$apt/update.log" "$apt/download.log" >&2
	echo "$0: could not download the $arch packages" >&2
	exit 1
fi
for deb in *.deb; do
	dpkg -x "$deb" "$dir"
done

# Absolute symlinks inside the packages (libfoo.so -> /lib/...) must point
# into the sysroot, not at the host.
find "$dir" -type l | while read -r link; do
	target=$(readlink "$link")
	case $target in
	/*) ln -sfn "$dir$target" "$link" ;;
	esac
done
echo "$want" >"$stamp"
rm -rf "$apt"
echo "sysroot $arch: ready in $dir ($triplet)"
