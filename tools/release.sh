#!/bin/sh
# Cross-builds batagg for Venus OS GX devices and packs one release bundle
# per architecture:
#   dist/BatteryAggregator-vVERSION-armhf.tar.gz   32-bit ARM (Cerbo GX, Venus GX, most)
#   dist/BatteryAggregator-vVERSION-arm64.tar.gz   64-bit ARM (Ekrano GX, 64-bit Raspberry Pi)
# Each unpacks into /data as /data/BatteryAggregator (README: "On a GX device").
#
# Installs what it needs from Debian's packages, builds in build-cross/ARCH
# against a Debian 11 sysroot (cross/sysroot.sh), runs the whole test suite of
# each build under qemu user emulation, checks the binaries (machine, ABI,
# needed libraries), packs the bundles (with the plugin SDK in sdk/: header,
# guide, path reference, examples) and tests the setup script on them
# against a fake root.
#
# usage: sh tools/release.sh [--no-tests] [ARCH...]     (ARCH: armhf arm64)
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tests=yes
if [ "$1" = --no-tests ]; then
	tests=no
	shift
fi
arches=${*:-armhf arm64}

sh tools/deps.sh meson ninja-build pkg-config python3 python3-jsonschema dbus file binutils \
	qemu-user gcc-arm-linux-gnueabihf gcc-aarch64-linux-gnu daemontools

version=v$(meson introspect --projectinfo meson.build | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
# Reproducible archives: every file dated by the last commit.
stamp=$(git log -1 --format=%ct 2>/dev/null || date +%s)
mkdir -p dist build-cross

for arch in $arches; do
	case $arch in
	armhf) triplet=arm-linux-gnueabihf qemu=qemu-arm ;;
	arm64) triplet=aarch64-linux-gnu qemu=qemu-aarch64 ;;
	*)
		echo "release: unknown architecture '$arch' (armhf or arm64)" >&2
		exit 2
		;;
	esac
	echo "== $arch: sysroot"
	sysroot=$top/build-cross/sysroot-$arch
	sh cross/sysroot.sh "$arch" "$sysroot"
	printf "[constants]\nsysroot = '%s'\n" "$sysroot" >"build-cross/$arch-sysroot.ini"

	echo "== $arch: build"
	build=build-cross/$arch
	if [ -f "$build/build.ninja" ]; then
		meson setup --reconfigure "$build" >/dev/null
	else
		meson setup "$build" --cross-file "build-cross/$arch-sysroot.ini" \
			--cross-file "cross/$arch.ini" --buildtype=release -Dwerror=true >/dev/null
	fi
	ninja -C "$build" >/dev/null
	if [ $tests = yes ]; then
		echo "== $arch: the test suite under qemu"
		meson test -C "$build" --print-errorlogs
	fi

	echo "== $arch: bundle"
	stage=build-cross/stage-$arch
	pkg=$stage/BatteryAggregator
	rm -rf "$stage"
	mkdir -p "$pkg/plugins" "$pkg/service/log" "$pkg/examples"
	"$triplet-strip" -o "$pkg/batagg" "$build/batagg"
	for so in "$build"/plugins/*.so; do
		"$triplet-strip" --strip-unneeded -o "$pkg/plugins/$(basename "$so")" "$so"
	done
	cp venus/setup venus/check_config.sh venus/config.json config/config-schema.json "$pkg/"
	cp venus/service/run "$pkg/service/run"
	cp venus/service/log/run "$pkg/service/log/run"
	cp config/examples/*.json "$pkg/examples/"
	# The plugin SDK: the header, the guide, the path reference (generated
	# by this build's batagg) and the example plugins, as meson installs
	# them (docs/meson.build).
	mkdir -p "$pkg/sdk/include/batagg"
	cp include/batagg/plugin.h "$pkg/sdk/include/batagg/"
	cp docs/PLUGINS.md "$build/docs/PATHS.md" "$pkg/sdk/"
	for ex in examples/plugin-*/; do
		mkdir -p "$pkg/sdk/examples/$(basename "$ex")"
		cp "$ex"*.c "$ex"Makefile "$ex"README.md "$pkg/sdk/examples/$(basename "$ex")/"
	done
	echo "$version" >"$pkg/version"
	echo "$arch" >"$pkg/arch"
	find "$stage" -type d -exec chmod 755 {} +
	find "$stage" -type f -exec chmod 644 {} +
	chmod 755 "$pkg/batagg" "$pkg/setup" "$pkg/check_config.sh" "$pkg/service/run" "$pkg/service/log/run"
	tarball=dist/BatteryAggregator-$version-$arch.tar.gz
	tar --sort=name --mtime="@$stamp" --owner=0 --group=0 --numeric-owner \
		-C "$stage" -cf - BatteryAggregator | gzip -9n >"$tarball"
	sh tests/venus/check-binaries.sh "$(sed -n "s/^cpu_family = '\(.*\)'/\1/p" "cross/$arch.ini")" \
		"$pkg/batagg" "$pkg"/plugins/*.so
	if [ $tests = yes ]; then
		echo "== $arch: setup script, against a fake root"
		bash tests/venus/test_setup.sh "$tarball" "$qemu" -L "$sysroot"
	fi
	echo "sizes ($arch, stripped): batagg $(stat -c %s "$pkg/batagg") bytes;" \
		"plugins $(cat "$pkg"/plugins/*.so | wc -c) bytes in $(find "$pkg/plugins" -name '*.so' | wc -l) files;" \
		"bundle $(stat -c %s "$tarball") bytes"
	file "$pkg/batagg"
done
ls -l dist/
