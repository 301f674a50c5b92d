#!/bin/sh
# The whole test suite, as CI runs it: installs dependencies, builds with
# warnings as errors, runs every test (unit, plugins, loader, integration),
# again under AddressSanitizer + UBSan, the independent acceptance check when
# ../shared/acceptance is present, the config generator page in a browser,
# and the release build (tools/release.sh).
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh tools/deps.sh

echo "== formatting (clang-format, .clang-format)"
git ls-files '*.c' '*.h' | xargs clang-format --dry-run -Werror
echo "== shellcheck (the scripts users and CI run)"
shellcheck venus/setup venus/check_config.sh venus/service/run venus/service/log/run cross/sysroot.sh tools/release.sh \
	tools/deps.sh tests/docs/plugins_guide.sh tests/docs/paths_reference.sh tests/venus/check-binaries.sh tests/venus/test_setup.sh tests/browser/run.sh \
	docs/config-generator/make-schema-js.sh bench/soak.sh
echo "== cppcheck"
cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --std=c11 --inline-suppr \
	-I include -I core -D'G_GNUC_PRINTF(a,b)=' --suppress=missingIncludeSystem \
	core plugins tools bench tests/fuzz examples

meson setup build-ci --wipe -Dwerror=true >/dev/null 2>&1 || meson setup build-ci -Dwerror=true
ninja -C build-ci
meson test -C build-ci --print-errorlogs

meson setup build-asan --wipe -Db_sanitize=address,undefined -Db_lundef=false >/dev/null 2>&1 ||
	meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false
ninja -C build-asan
# The bus fuzzer runs 60 s here (10 s in the plain run): sanitizers see most.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	BATAGG_BUSFUZZ_SECONDS=60 meson test -C build-asan --print-errorlogs

echo "== the example plugins, built out of tree from the installed SDK only (and the guide, followed from it)"
stage=$(mktemp -d)
DESTDIR="$stage" meson install -C build-ci --quiet
pc=$(dirname "$(find "$stage" -name batagg.pc | head -n 1)")
# In the build tree: batagg refuses plugins below a directory others can
# write, and /tmp is one.
plugins=$(mktemp -d "$top/build-ci/plugins-XXXXXX")
chmod 755 "$plugins"
# The examples as installed (<datadir>/doc/batagg/examples), copied out and
# built there: what is installed is enough.
docdir=$(PKG_CONFIG_PATH="$pc" PKG_CONFIG_SYSROOT_DIR="$stage" pkg-config --variable=docdir batagg)
cp -r "$docdir/examples" "$plugins/src"
for ex in "$plugins"/src/plugin-*/; do
	PKG_CONFIG_PATH="$pc" PKG_CONFIG_SYSROOT_DIR="$stage" make -s -C "$ex"
	cp "$ex"*.so "$plugins/"
done
rm -rf "$plugins/src"
# The same tests as in the build tree, against these builds.
BATAGG="$top/build-ci/batagg" BATSIM="$top/build-ci/tools/sim/batsim" \
	BATAGG_EXAMPLE_PLUGIN_DIR="$plugins" build-ci/tests/integration/test_plugins
sh tests/docs/plugins_guide.sh "$top/build-ci/batagg" "$pc" "$stage" "$top/build-ci"
rm -rf "$stage" "$plugins"
echo "example plugins: built from the SDK, loaded and tested"



echo "== fuzzing the config parser"
sh tests/fuzz/run.sh "$top/build-fuzz" 60

acc="$top/../shared/acceptance"
if [ -x "$acc/run.sh" ]; then
	echo "== acceptance check"
	"$acc/run.sh" "$top/build-ci/batagg"
fi

echo "== the config generator page, in Chromium (tests/browser)"
sh tests/browser/run.sh "$top/build-ci/batagg"

echo "== release: cross builds for GX devices, their tests under qemu, the bundles"
sh tools/release.sh
