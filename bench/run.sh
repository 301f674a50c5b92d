#!/bin/sh
# The benchmark (not part of the test suite): for K = 4, 16, 64 simulated
# batteries changing all ~40 paths once a second, and a burst, it measures
# batagg's CPU per 1000 member updates against the dbus-daemon's cost of
# routing the same traffic, its peak RSS, the latency from a member's update
# to the aggregate's, and instructions per member update under callgrind.
# Writes bench/RESULTS.md (the previous results are kept below the new ones).
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh tools/deps.sh
[ -d build-bench ] || meson setup build-bench --buildtype=release -Dtests=false >/dev/null
ninja -C build-bench >/dev/null
out=$(mktemp -d)
echo '{"startupBatteryWait": 60}' > "$out/config.json"

# run K MODE UPDATES [WRAPPER...]: one measurement on a fresh private bus
run() {
	k=$1 mode=$2 updates=$3
	shift 3
	set -- $(dbus-daemon --session --fork --print-address=1 --print-pid=1) "$@"
	DBUS_SESSION_BUS_ADDRESS=$1
	export DBUS_SESSION_BUS_ADDRESS
	bus=$2
	shift 2
	"$@" build-bench/batagg --config "${CONFIG:-$out/config.json}" 2>"$out/batagg.log" &
	agg=$!
	sleep 0.5
	build-bench/bench/batload "$k" "$updates" "$agg" "$bus" "$mode" >"$out/line" || true
	kill "$agg" 2>/dev/null; wait "$agg" 2>/dev/null || true
	kill "$bus" 2>/dev/null || true
	cat "$out/line"
}

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" "$2"; }

: >"$out/all"
for k in 4 16 64; do
	run "$k" steady $((k * 30)) | tee -a "$out/all"
	run "$k" burst $((k * 200)) | tee -a "$out/all"
done

# Once with a virtual battery per four members (the aggregate then has K/4
# members, each merging four by precedence).  The bank current then follows
# only the first member of each group, so latency is not timed here.
k=16
python3 - "$k" >"$out/virtual.json" <<'PY'
import json, sys
k = int(sys.argv[1])
vb = {f"com.victronenergy.battery.virtual{g}":
      [f"com.victronenergy.battery.bench{i:02d}" for i in range(4 * g, 4 * g + 4)]
      for g in range(k // 4)}
print(json.dumps({"startupBatteryWait": 60, "virtualBatteries": vb}))
PY
CONFIG="$out/virtual.json" run "$k" steady $((k * 30)) | sed 's/mode=steady/mode=virtual/; s/latency_n=[0-9]*/latency_n=0/; s/p50_ms=[^ ]*/p50_ms=nan/; s/p99_ms=[^ ]*/p99_ms=nan/; s/max_ms=[^ ]*/max_ms=nan/' | tee -a "$out/all"
unset CONFIG

# Instructions per member update: callgrind counts, so machines compare.
rm -f "$out"/callgrind.*
run 16 steady 160 valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.%p" >/dev/null
ir_small=$(callgrind_annotate "$out"/callgrind.* 2>/dev/null | sed -n 's/^\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d , | head -n1)
rm -f "$out"/callgrind.*
run 16 steady 480 valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.%p" >/dev/null
ir_large=$(callgrind_annotate "$out"/callgrind.* 2>/dev/null | sed -n 's/^\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d , | head -n1)
ir_per_update=$(( (ir_large - ir_small) / 320 ))

{
	echo "## $(date -u '+%Y-%m-%d %H:%M UTC') — batagg $(build-bench/batagg --version | cut -d' ' -f2)"
	echo
	echo "Machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1),"
	echo "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); release build."
	echo
	echo "| K | load | member updates | batagg CPU ms / 1000 updates | batagg / dbus-daemon CPU | peak RSS | latency p50 | p99 | max |"
	echo "|---|---|---|---|---|---|---|---|---|"
	while read -r line; do
		echo "$line" >"$out/one"
		printf '| %s | %s | %s | %s | %s | %s KiB | %s ms | %s ms | %s ms |\n' \
			"$(sed -n 's/^K=\([0-9]*\).*/\1/p' "$out/one")" \
			"$(field mode "$out/one")" "$(field updates "$out/one")" \
			"$(field batagg_ms_per_1000 "$out/one")" "$(field ratio "$out/one")" \
			"$(field rss_kib "$out/one")" "$(field p50_ms "$out/one")" \
			"$(field p99_ms "$out/one")" "$(field max_ms "$out/one")"
	done <"$out/all" | sed "s/nan ms/n\/a/g"
	echo
	echo "Instructions per member update (callgrind, K=16, steady, the difference of a"
	echo "160- and a 480-update run, so start-up cancels out): **$ir_per_update**."
	echo
	echo "In burst runs every member changes as fast as the bus takes it, so latency is"
	echo "not timed (n/a); CPU per update is the figure to read there. In the virtual"
	echo "run, each group of four members is one virtual battery (same process)."
	echo
} >"$out/new.md"
if [ -f bench/RESULTS.md ]; then
	# Everything but the title line: the older sections stay.
	sed '1{/^# /d}' bench/RESULTS.md >"$out/old.md"
else
	: >"$out/old.md"
fi
{
	echo "# Benchmark results (newest first)"
	echo
	cat "$out/new.md" "$out/old.md"
} >bench/RESULTS.md
cat "$out/new.md"
rm -rf "$out"
