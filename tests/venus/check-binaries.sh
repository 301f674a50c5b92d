#!/bin/sh
# A release build runs on a GX device only if it was built for the device's
# processor and ABI and needs nothing Venus OS lacks.  Checks each ELF file
# named: its machine (and, for 32-bit ARM, the hard-float ABI); that every
# library it needs is one a GX device has (glibc's libc, libm, libpthread,
# libdl and dynamic loader; libdbus-1, GLib and GModule: yajl must be linked
# in); and that no glibc symbol it uses is newer than 2.31, the glibc of the
# oldest Venus OS we support (v2.80 to v3.5x, Yocto "dunfell").
#
# usage: check-binaries.sh CPU_FAMILY FILE...     (CPU_FAMILY as meson names it)
set -u
cpu=$1
shift
case $cpu in
arm) machine="ARM" ;;
aarch64) machine="AArch64" ;;
x86_64) machine="Advanced Micro Devices X86-64" ;;
*)
	echo "check-binaries: no rule for cpu family '$cpu'" >&2
	exit 2
	;;
esac
allowed="libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 libdbus-1.so.3 libglib-2.0.so.0 libgmodule-2.0.so.0
ld-linux-armhf.so.3 ld-linux-aarch64.so.1 ld-linux-x86-64.so.2"
passed=0
failed=0
for f in "$@"; do
	problems=""
	header=$(readelf -h "$f" 2>&1) || problems="not an ELF file"
	have=$(echo "$header" | sed -n 's/^ *Machine: *//p')
	[ "$have" = "$machine" ] || problems="$problems; machine is '$have', not '$machine'"
	if [ "$cpu" = arm ] && ! echo "$header" | grep -q "hard-float ABI"; then
		problems="$problems; not the hard-float ABI (armhf)"
	fi
	needed=$(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
	for lib in $needed; do
		echo "$allowed" | tr ' ' '\n' | grep -qxF "$lib" || problems="$problems; needs $lib, which a GX device lacks"
	done
	glibc=$(readelf -V "$f" | grep -o 'GLIBC_[0-9][0-9.]*' | sort -u -t. -k2,2n -k3,3n | tail -n 1)
	if [ -n "$glibc" ] && [ "$(printf '%s\nGLIBC_2.31\n' "$glibc" | sort -t. -k2,2n -k3,3n | tail -n 1)" != GLIBC_2.31 ]; then
		problems="$problems; uses $glibc symbols, newer than Venus OS's glibc 2.31"
	fi
	if [ -n "$problems" ]; then
		failed=$((failed + 1))
		echo "FAIL $(basename "$f"):${problems#;}"
	else
		passed=$((passed + 1))
		# shellcheck disable=SC2086,SC2116 # one line, the names separated by spaces
		needs=$(echo ${needed:-nothing})
		echo "ok   $(basename "$f"): $machine, $(stat -c %s "$f") bytes, needs $needs (newest symbol ${glibc:-none})"
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
