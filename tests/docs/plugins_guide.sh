#!/bin/sh
# docs/PLUGINS.md, followed as a reader would: its below.c and Makefile,
# built against an installed SDK, loaded by batagg from a trusted directory,
# its config checked, and a wrong option reported as the guide shows.
#
#   sh tests/docs/plugins_guide.sh BATAGG PKG_CONFIG_DIR SYSROOT SCRATCH
set -e
batagg=$1 pc=$2 sysroot=$3 scratch=$4
guide=$(cd "$(dirname "$0")/../.." && pwd)/docs/PLUGINS.md
work=$(mktemp -d "$scratch/guide-XXXXXX")
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

# The n-th fenced block of a language.
block() { awk -v lang="$1" -v n="$2" '
	/^```/ && inside { inside = 0; next }
	$0 == "```" lang { k++; inside = (k == n); next }
	inside' "$guide"; }

block c 1 >"$work/below.c"
block make 1 >"$work/Makefile"
block json 1 >"$work/config.json"
(cd "$work" && PKG_CONFIG_PATH="$pc" PKG_CONFIG_SYSROOT_DIR="$sysroot" make -s)
mkdir "$work/plugins"
chmod 755 "$work/plugins"
install -m 0644 "$work/below.so" "$work/plugins/"
sed -i "s|/data/batagg-plugins|$work/plugins|" "$work/config.json"

out=$("$batagg" --check-config "$work/config.json")
echo "$out" | grep -q "^CVL mode: *below$"
echo "$out" | grep -q "^strategy options: *below: margin=0.3$"
"$batagg" --list-strategies --plugin-dir "$work/plugins" | grep -q "^CVL mode below$"

# The error the guide shows, for "margin": 3.
want=$(grep "^config.json:.*margin" "$guide")
sed -i 's/"margin": 0.3/"margin": 3/' "$work/config.json"
if "$batagg" --check-config "$work/config.json" >"$work/said" 2>&1; then
	echo "plugins guide: a margin of 3 was accepted" >&2
	exit 1
fi
if ! grep -qF "$work/$want" "$work/said"; then
	echo "plugins guide: expected '$want', got:" >&2
	cat "$work/said" >&2
	exit 1
fi
echo "plugins guide: built, loaded, checked"
