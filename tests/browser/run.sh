#!/bin/sh
# Browser tests of docs/config-generator: Playwright (playwright-core, from
# npm, no browser download) driving Debian's Chromium, headless, with Node's
# test runner.  Installs Chromium with apt-get when it is missing.
# Usage: tests/browser/run.sh PATH-TO-BATAGG   (for the corpus comparison)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 1 ] || { echo "usage: $0 PATH-TO-BATAGG" >&2; exit 2; }
batagg=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
[ -x "$batagg" ] || { echo "$0: $batagg is not an executable" >&2; exit 2; }

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
missing=
[ -x /usr/bin/chromium ] || missing="chromium fonts-dejavu-core"
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
if [ -n "$missing" ]; then
	echo "run.sh: installing $missing"
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	# shellcheck disable=SC2086
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

cd "$here"
npm ci --no-audit --no-fund --loglevel=error
BATAGG="$batagg" CHROMIUM=/usr/bin/chromium exec node --test page.test.mjs corpus.test.mjs
