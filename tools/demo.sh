#!/bin/sh
# The live demo: installs dependencies, builds, starts a private D-Bus with
# three simulated batteries of different sizes (plus simulated localsettings
# and system services), runs batagg on it and shows members and aggregate side
# by side until Ctrl-C.  batagg's log goes to $TMPDIR/batagg-demo.log.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh tools/deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null

tmp=$(mktemp -d)
set -- $(dbus-daemon --session --fork --print-address=1 --print-pid=1)
export DBUS_SESSION_BUS_ADDRESS="$1"
bus_pid=$2
cleanup() {
	trap - INT TERM EXIT
	kill $sim_pid $agg_pid 2>/dev/null || true
	wait $sim_pid $agg_pid 2>/dev/null || true
	kill "$bus_pid" 2>/dev/null || true
	echo "batagg's log: $tmp/batagg.log"
}
trap cleanup INT TERM EXIT

build/tools/sim/batsim --quiet tools/sim/scenarios/demo.json >"$tmp/batsim.log" 2>&1 &
sim_pid=$!
build/batagg --config config/examples/demo.json >"$tmp/batagg.log" 2>&1 &
agg_pid=$!
build/tools/sim/batwatch
