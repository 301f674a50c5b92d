#!/bin/sh
# Writes schema.js: config/config-schema.json, byte for byte, as a script the
# page can load from file:// (where fetch() of a local file is refused).
# Usage: make-schema-js.sh [OUTPUT]   (default: schema.js beside this script)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
schema="$here/../../config/config-schema.json"
out="${1:-$here/schema.js}"
{
	printf '/* Generated from config/config-schema.json by make-schema-js.sh: do not edit. */\n'
	printf 'window.BATAGG_SCHEMA = '
	cat "$schema"
	printf ';\n'
} >"$out.tmp"
mv "$out.tmp" "$out"
