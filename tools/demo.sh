#!/bin/sh
# The live demo: installs dependencies, builds, starts a private D-Bus with
# three simulated batteries of different sizes (plus simulated localsettings
# and system services), runs batagg on it and shows members and aggregate side
# by side until Ctrl-C.
#
#   sh tools/demo.sh [--scenario NAME|FILE] [CONFIG [BATAGG OPTION...]]
#
# runs batagg with CONFIG (config/examples/demo.json without one) and the
# options after it, e.g. a plugin of your own:
#
#   sh tools/demo.sh my.json --plugin-dir /data/batagg-plugins
#
# --scenario plays another simulator scenario: a file, or the NAME of one
# in tools/sim/scenarios (then config/examples/NAME.json is the default
# config), e.g. two strings of four 12.8 V modules in series:
#
#   sh tools/demo.sh --scenario series
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
config=config/examples/demo.json
scenario=$top/tools/sim/scenarios/demo.json
if [ "${1:-}" = --scenario ] && [ $# -ge 2 ]; then
	if [ -f "$2" ]; then
		scenario=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
	elif [ -f "$top/tools/sim/scenarios/$2.json" ]; then
		scenario=$top/tools/sim/scenarios/$2.json
		[ -f "$top/config/examples/$2.json" ] && config=config/examples/$2.json
	else
		echo "$0: no scenario $2 (a file, or one of: $(cd "$top/tools/sim/scenarios" && ls | sed 's/\.json$//' | tr '\n' ' '))" >&2
		exit 2
	fi
	shift 2
fi
if [ $# -gt 0 ]; then
	config=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
	shift
fi
cd "$top"
sh tools/deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null

tmp=$(mktemp -d)
bus=$(dbus-daemon --session --fork --print-address=1 --print-pid=1)
DBUS_SESSION_BUS_ADDRESS=$(echo "$bus" | sed -n 1p)
export DBUS_SESSION_BUS_ADDRESS
bus_pid=$(echo "$bus" | sed -n 2p)
cleanup() {
	trap - INT TERM EXIT
	kill $sim_pid $agg_pid 2>/dev/null || true
	wait $sim_pid $agg_pid 2>/dev/null || true
	kill "$bus_pid" 2>/dev/null || true
	echo "batagg's log: $tmp/batagg.log"
}
trap cleanup INT TERM EXIT

build/tools/sim/batsim --quiet "$scenario" >"$tmp/batsim.log" 2>&1 &
sim_pid=$!
build/batagg --config "$config" "$@" >"$tmp/batagg.log" 2>&1 &
agg_pid=$!
build/tools/sim/batwatch
