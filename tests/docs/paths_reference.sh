#!/bin/sh
# docs/PATHS.md is what `batagg --list-paths` prints (the reference of the
# paths a plugin can read).  After a change of the path table:
#   build/batagg --list-paths > docs/PATHS.md
#   paths_reference.sh BATAGG PATHS.md
set -e
# The emulator of a cross build, when there is one: words to split.
# shellcheck disable=SC2086
if ! $MESON_EXE_WRAPPER "$1" --list-paths | cmp -s - "$2"; then
	echo "docs/PATHS.md is not what batagg --list-paths prints: regenerate it" >&2
	exit 1
fi
echo "docs/PATHS.md: current"
