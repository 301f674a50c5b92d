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
# in tools/sim/scenarios (then config/examples/NAME.json, or else
# tools/sim/configs/NAME.json, is the default config), e.g. two strings of
# four 12.8 V modules in series:
#
#   sh tools/demo.sh --scenario series
#
# or packs modelled cell by cell, one with a runner cell and one cold, for
# the cell_voltage and temperature limiters:
#
#   sh tools/demo.sh --scenario cells
#
# When batagg refuses a scenario's default config (e.g. a strategy it names
# is not built), the demo says why and runs batagg without a config.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
config=config/examples/demo.json
scenario_config=
scenario=$top/tools/sim/scenarios/demo.json
if [ "${1:-}" = --scenario ] && [ $# -ge 2 ]; then
	if [ -f "$2" ]; then
		scenario=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
	elif [ -f "$top/tools/sim/scenarios/$2.json" ]; then
		scenario=$top/tools/sim/scenarios/$2.json
		if [ -f "$top/config/examples/$2.json" ]; then
			config=config/examples/$2.json
		elif [ -f "$top/tools/sim/configs/$2.json" ]; then
			config=tools/sim/configs/$2.json
			scenario_config=1
		fi
	else
		echo "$0: no scenario $2 (a file, or one of: $(cd "$top/tools/sim/scenarios" && for f in *.json; do printf '%s ' "${f%.json}"; done))" >&2
		exit 2
	fi
	shift 2
fi
if [ $# -gt 0 ]; then
	config=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
	scenario_config=
	shift
fi
cd "$top"
sh tools/deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null

tmp=$(mktemp -d)
refused=
if [ -n "$scenario_config" ] &&
	! build/batagg --check-config --config "$config" "$@" >/dev/null 2>"$tmp/check.log"; then
	echo "batagg refuses $config:" >&2
	cat "$tmp/check.log" >&2
	echo "the demo runs batagg without a config instead (Ctrl-C to stop)" >&2
	echo '{}' >"$tmp/config.json"
	refused=$config
	config=$tmp/config.json
	sleep 5
fi
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
	[ -z "$refused" ] || echo "batagg ran without a config: it refused $refused ($tmp/check.log)"
}
trap cleanup INT TERM EXIT

build/tools/sim/batsim --quiet "$scenario" >"$tmp/batsim.log" 2>&1 &
sim_pid=$!
build/batagg --config "$config" "$@" >"$tmp/batagg.log" 2>&1 &
agg_pid=$!
build/tools/sim/batwatch
