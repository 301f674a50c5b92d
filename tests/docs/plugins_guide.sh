#!/bin/sh
# docs/PLUGINS.md, followed as a reader would, from an installed SDK only
# (no checkout): the guide, PATHS.md and the examples are installed; its
# below.c and Makefile build against the installed header, batagg loads the
# plugin from a trusted directory, checks its config and reports a wrong
# option as the guide shows; then its "Try it" blocks run as written, on a
# private bus with the installed batsim and batwatch: the CVL follows a
# battery changed with dbus-send, and the installed limiter example caps a
# hot battery's CCL at once and lifts the cap after its hold.
#
#   sh tests/docs/plugins_guide.sh BATAGG PKG_CONFIG_DIR SYSROOT SCRATCH
#
# BATAGG is a built batagg (one that finds its built-in plugins); the SDK
# and the simulator are those installed under SYSROOT (DESTDIR), whose
# batagg.pc is in PKG_CONFIG_DIR.
set -e
batagg=$1 pc=$2 sysroot=$3 scratch=$4
guide=$(cd "$(dirname "$0")/../.." && pwd)/docs/PLUGINS.md
work=$(mktemp -d "$scratch/guide-XXXXXX")
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

fail() {
	echo "plugins guide: $*" >&2
	exit 1
}

# The n-th fenced block of a language.
block() { awk -v lang="$1" -v n="$2" '
	/^```/ && inside { inside = 0; next }
	$0 == "```" lang { k++; inside = (k == n); next }
	inside' "$guide"; }
# The fenced block after the line <!-- test: MARK -->.
after() { awk -v mark="<!-- test: $1 -->" '
	$0 == mark { armed = 1; next }
	/^```/ && inside { exit }
	/^```/ && armed { inside = 1; next }
	inside' "$guide"; }

# What is installed: the guide as in the source, the path reference, every
# example with its Makefile, and the simulator.
real_pkg_config=$(command -v pkg-config)
docdir=$sysroot$(PKG_CONFIG_PATH="$pc" "$real_pkg_config" --variable=docdir batagg)
scenariodir=$sysroot$(PKG_CONFIG_PATH="$pc" "$real_pkg_config" --variable=scenariodir batagg)
cmp -s "$docdir/PLUGINS.md" "$guide" || fail "$docdir/PLUGINS.md is not docs/PLUGINS.md"
grep -qF "| \`/Dc/0/Temperature\` |" "$docdir/PATHS.md" || fail "no path reference in $docdir"
[ -f "$scenariodir/basic.json" ] || fail "no scenario basic.json in $scenariodir"
for ex in "$(dirname "$guide")"/../examples/plugin-*/; do
	name=$(basename "$ex")
	for f in "$ex"*; do
		[ -f "$docdir/examples/$name/$(basename "$f")" ] || fail "$name/$(basename "$f") is not installed"
	done
done

# The reader's PATH: the installed simulator, a batagg, and pkg-config as it
# answers for the installed SDK (staged: pkg-config prefixes the sysroot to
# paths and variables alike).
mkdir "$work/bin"
for tool in batsim batwatch; do
	found=$(find "$sysroot" -path "*/bin/$tool" -type f | head -n 1)
	[ -n "$found" ] || fail "$tool is not installed"
	ln -s "$found" "$work/bin/$tool"
done
ln -s "$batagg" "$work/bin/batagg"
cat >"$work/bin/pkg-config" <<EOS
#!/bin/sh
PKG_CONFIG_PATH="$pc" PKG_CONFIG_SYSROOT_DIR="$sysroot" exec "$real_pkg_config" "\$@"
EOS
chmod 755 "$work/bin/pkg-config"
PATH=$work/bin:$PATH
export PATH

block c 1 >"$work/below.c"
block make 1 >"$work/Makefile"
block json 1 >"$work/config.json"
block json 2 >"$work/limiter.json"
(cd "$work" && make -s)
mkdir "$work/plugins"
chmod 755 "$work/plugins"
install -m 0644 "$work/below.so" "$work/plugins/"
sed -i "s|/data/batagg-plugins|$work/plugins|" "$work/config.json" "$work/limiter.json"

out=$(batagg --check-config "$work/config.json")
echo "$out" | grep -q "^CVL mode: *below$"
echo "$out" | grep -q "^strategy options: *below: margin=0.3$"
batagg --list-strategies --plugin-dir "$work/plugins" | grep -q "^CVL mode below$"

# Section 6, as written: the bus, batsim, batagg; a battery changed with
# dbus-send; the aggregate's CVL follows.
{
	after try
	after change
	after stop
} >"$work/try.sh"
[ "$(wc -l <"$work/try.sh")" -ge 11 ] || fail "the Try it blocks are missing"
(cd "$work" && sh "$work/try.sh" >"$work/try.out" 2>&1) || true
grep -q "^CVL  *55.200V  *55.000V  *54.700V" "$work/try.out" ||
	fail "the CVL was not 54.7 V; got: $(cat "$work/try.out" "$work/batagg.log")"
grep -q "^CVL  *55.200V  *54.000V  *53.700V" "$work/try.out" ||
	fail "the CVL did not follow to 53.7 V; got: $(cat "$work/try.out" "$work/batagg.log")"

# The limiter, built from the installed example as the guide says, with a
# hold of 2 s instead of 10 (and the wait to match).
after limiter-build | sed "s|/data/batagg-plugins|$work/plugins|" >"$work/build.sh"
(cd "$work" && sh -e "$work/build.sh" >/dev/null) || fail "the limiter example did not build"
sed -i 's/"hold": 10/"hold": 2/' "$work/limiter.json"
{
	after limiter-hot
	after limiter-cool | sed 's/^sleep 10$/sleep 3/'
} >"$work/limiter.sh"
(cd "$work" && sh "$work/limiter.sh" >"$work/limiter.out" 2>&1) || true
grep -q "^CCL  *100.000A  *50.000A  *27.143A" "$work/limiter.out" ||
	fail "a hot battery did not cap the bank's CCL; got: $(cat "$work/limiter.out" "$work/batagg.log")"
grep -qF "Rack A 20 A cap (derate_temp: 50.0 °C) × 1.36 (capacity)" "$work/limiter.out" ||
	fail "the charge limitation does not name the limiter; got: $(cat "$work/limiter.out")"
grep -q "^CCL  *100.000A  *50.000A  *135.714A" "$work/limiter.out" ||
	fail "the cap did not rise after its hold; got: $(cat "$work/limiter.out" "$work/batagg.log")"

# The error the guide shows, for "margin": 3.
want=$(grep "^config.json:.*margin" "$guide")
sed -i 's/"margin": 0.3/"margin": 3/' "$work/config.json"
if batagg --check-config "$work/config.json" >"$work/said" 2>&1; then
	fail "a margin of 3 was accepted"
fi
if ! grep -qF "$work/$want" "$work/said"; then
	echo "plugins guide: expected '$want', got:" >&2
	cat "$work/said" >&2
	exit 1
fi
echo "plugins guide: installed, built, loaded, checked, tried on batsim (CVL, limiter)"
