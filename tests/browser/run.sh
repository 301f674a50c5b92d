#!/bin/sh
# Browser tests of docs/config-generator: Playwright (playwright-core, from
# npm, no browser download) driving Debian's Chromium, headless, with Node's
# test runner.  Installs Chromium from Debian's packages when it is missing.
# Usage: tests/browser/run.sh PATH-TO-BATAGG   (for the corpus comparison)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 1 ] || { echo "usage: $0 PATH-TO-BATAGG" >&2; exit 2; }
batagg=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
[ -x "$batagg" ] || { echo "$0: $batagg is not an executable" >&2; exit 2; }

# Debian's Chromium and a font; npm where Node.js came without it.
pkgs="chromium fonts-dejavu-core"
command -v npm >/dev/null 2>&1 || pkgs="$pkgs nodejs npm"
# shellcheck disable=SC2086
sh "$here/../../tools/deps.sh" $pkgs

cd "$here"
npm ci --no-audit --no-fund --loglevel=error
BATAGG="$batagg" CHROMIUM=/usr/bin/chromium exec node --test page.test.mjs corpus.test.mjs
