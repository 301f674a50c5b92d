#!/bin/sh
# The benchmark (not part of the test suite): what the whole system spends
# on K = 4, 16 and 64 batteries, each changing 15 of its ~40 paths once a
# second, the K spread evenly over the second.  Both kinds of member:
# "items" (one ItemsChanged per update) and "props" (one PropertiesChanged
# per changed path, as dbus-serialbattery sends them).  Each K and kind runs
# twice on a fresh private bus, with the same load and the same consumer
# (bench/consumer.py, which listens as velib's DbusMonitor does):
#
#   - with batagg: its CPU; the dbus-daemon's and the consumer's; the signals
#     the aggregate sends (ItemsChanged and PropertiesChanged) and the paths
#     they carry, per member update; the latency of a CCL decrease and of the
#     bank current; batagg's private dirty memory;
#   - without an aggregator (the baseline): the dbus-daemon's and the
#     consumer's CPU, so that with - without is what the aggregate costs
#     them.
#
# Then K = 64 in four virtual batteries of 16 (batagg's memory there), and
# instructions per member update under callgrind at each K (the difference
# of two run lengths, so start-up cancels out).  When dbus-systemcalc-py and
# velib_python are at hand (SYSTEMCALC=checkout, or the mirror), systemcalc
# runs as a second consumer and its extra CPU is reported too.
#
# usage: sh bench/run.sh [LABEL]   LABEL goes into the section's title.
# BATAGG_BENCH_SECONDS (20) is the measured window of each run;
# BATAGG_BENCH_CONFIG adds JSON members to batagg's config, e.g.
# '"publishInterval": 0'.
# Writes bench/RESULTS.md (the older sections are kept below the new one).
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
label=${1:-}
# What building and testing need, python3-dbus and python3-gi (the
# consumer) and valgrind (callgrind) among them.
sh tools/deps.sh
[ -d build-bench ] || meson setup build-bench --buildtype=release -Dtests=false >/dev/null
ninja -C build-bench >/dev/null
# Debian's python3-dbus is for Debian's python3, whatever else is on PATH.
py=/usr/bin/python3
[ -x "$py" ] || py=python3
if ! "$py" -c 'import dbus, dbus.mainloop.glib, gi.repository.GLib' 2>/dev/null; then
	echo "run.sh: $py cannot import dbus and gi (python3-dbus, python3-gi)" >&2
	exit 1
fi
seconds=${BATAGG_BENCH_SECONDS:-20}
started=$(date +%s)
warmup=5
out=$(mktemp -d)
cleanup() {
	if [ -f "$out/pids" ]; then
		while read -r p; do
			kill "$p" 2>/dev/null || true
		done <"$out/pids"
	fi
	rm -rf "$out"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

printf '{"startupBatteryWait": 60%s}\n' "${BATAGG_BENCH_CONFIG:+, $BATAGG_BENCH_CONFIG}" >"$out/config.json"

# ---- systemcalc, when it is at hand ----------------------------------------
systemcalc=""
why_no_systemcalc="not available (no dbus-systemcalc-py: set SYSTEMCALC to a checkout)"
mirror=/work/.mirror
sc_dir=$out/systemcalc
if [ -n "${SYSTEMCALC:-}" ] && [ -f "$SYSTEMCALC/dbus_systemcalc.py" ]; then
	sc_dir=$SYSTEMCALC
elif [ -d "$mirror/victronenergy+dbus-systemcalc-py/repo" ]; then
	mkdir -p "$sc_dir"
	git --git-dir="$mirror/victronenergy+dbus-systemcalc-py/repo" archive HEAD | tar -x -C "$sc_dir"
fi
if [ -f "$sc_dir/dbus_systemcalc.py" ]; then
	velib=""
	for d in "${VELIB:-}" "$sc_dir/ext/velib_python"; do
		if [ -n "$d" ] && [ -f "$d/vedbus.py" ]; then
			velib=$d
			break
		fi
	done
	if [ -z "$velib" ] && [ -d "$mirror/victronenergy+velib_python/repo" ]; then
		velib=$out/velib_python
		mkdir -p "$velib"
		git --git-dir="$mirror/victronenergy+velib_python/repo" archive HEAD | tar -x -C "$velib"
	fi
	if [ -n "$velib" ]; then
		systemcalc=$sc_dir/dbus_systemcalc.py
	else
		why_no_systemcalc="not available (dbus-systemcalc-py without velib_python: set VELIB)"
	fi
fi

# ---- one measurement ---------------------------------------------------------

# wait_for FILE TEXT PID: until FILE has TEXT (10 s at most, while PID lives)
wait_for() {
	tries=0
	until grep -q "$2" "$1" 2>/dev/null; do
		tries=$((tries + 1))
		if [ $tries -gt 100 ] || ! kill -0 "$3" 2>/dev/null; then
			return 1
		fi
		sleep 0.1
	done
}

# run NAME K KIND AGG [BATLOAD OPTION...]: one measurement on a fresh private
# bus; AGG is yes or no.  $CONFIG, $WRAPPER (a command batagg runs under),
# $CONSUMER (no: none), $SC (no: no systemcalc) and $COUNTS_ONLY (yes: no
# latencies) change it.  Appends "run=NAME", batload's line and what
# bench/latency.py makes of batload's events and the consumer's record to
# $out/all.
run() {
	name=$1 k=$2 kind=$3 agg=$4
	shift 4
	# shellcheck disable=SC2046 # two words: the address and the pid
	set -- $(dbus-daemon --session --fork --print-address=1 --print-pid=1) "$@"
	DBUS_SESSION_BUS_ADDRESS=$1
	export DBUS_SESSION_BUS_ADDRESS
	bus=$2
	shift 2
	echo "$bus" >"$out/pids"
	rm -f "$out/consumer.out"
	rm -f "$out/record" "$out/events"
	if [ "${CONSUMER:-yes}" = yes ]; then
		"$py" bench/consumer.py --record "$out/record" >"$out/consumer.out" 2>"$out/consumer.err" &
		cons=$!
		echo "$cons" >>"$out/pids"
		if ! wait_for "$out/consumer.out" ready "$cons"; then
			echo "run.sh: the consumer did not start:" >&2
			cat "$out/consumer.err" >&2
			exit 1
		fi
		set -- --consumer-pid "$cons" "$@"
	fi
	if [ -n "$systemcalc" ] && [ "${SC:-yes}" = yes ]; then
		build-bench/tools/sim/batsim --no-system --quiet "$out/empty.json" </dev/null >"$out/batsim.log" 2>&1 &
		echo $! >>"$out/pids"
		wait_for "$out/batsim.log" 'batsim: ready' $! || true
		(cd "$(dirname "$systemcalc")" && PYTHONPATH=$velib exec "$py" "$systemcalc") >"$out/systemcalc.log" 2>&1 &
		sc=$!
		echo "$sc" >>"$out/pids"
		sleep 3
		if kill -0 "$sc" 2>/dev/null; then
			set -- --pid "systemcalc=$sc" "$@"
		else
			why_no_systemcalc="not available (it did not start: $(tail -n 1 "$out/systemcalc.log"))"
			systemcalc=""
		fi
	fi
	if [ "$agg" = yes ]; then
		# shellcheck disable=SC2086 # the wrapper is a command line
		${WRAPPER:-} build-bench/batagg --config "${CONFIG:-$out/config.json}" 2>"$out/batagg.log" &
		aggpid=$!
		echo "$aggpid" >>"$out/pids"
		set -- --agg-pid "$aggpid" "$@"
	else
		set -- --no-aggregate "$@"
	fi
	ok=yes
	build-bench/bench/batload -k "$k" --kind "$kind" --bus-pid "$bus" --events "$out/events" "$@" >"$out/line" || ok=no
	# The last started first; the bus last.
	sed 1d "$out/pids" | tac >"$out/stop"
	while read -r p; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done <"$out/stop"
	if [ $ok = yes ]; then
		seen=""
		if [ "$agg" = yes ] && [ -f "$out/record" ]; then
			seen=$("$py" bench/latency.py ${COUNTS_ONLY:+--counts-only} "$out/events" "$out/record")
		fi
		echo "run=$name $(cat "$out/line") $seen" | tee -a "$out/all"
	else
		echo "run.sh: run $name failed" >&2
		tail -n 5 "$out/batagg.log" >&2 2>/dev/null || true
	fi
	[ ! -s "$out/consumer.out" ] || sed -n "s/^signals=/  consumer: signals=/p" "$out/consumer.out"
	kill "$bus" 2>/dev/null || true
	: >"$out/pids"
}
echo '{}' >"$out/empty.json"

: >"$out/all"
for kind in items props; do
	for k in 4 16 64; do
		n=$((k * seconds))
		run "$kind-$k-with" "$k" "$kind" yes -n "$n" --warmup "$warmup"
		run "$kind-$k-without" "$k" "$kind" no -n "$n" --warmup "$warmup"
	done
done

# K = 64 in four virtual batteries of 16: the aggregate has four members,
# each merging 16 by precedence (its bank current is no sum of the members',
# so it is not timed).
"$py" - >"$out/virtual.json" <<'PY'
import json, os
vb = {f"com.victronenergy.battery.virtual{g}":
      [f"com.victronenergy.battery.bench{i:02d}" for i in range(16 * g, 16 * g + 16)]
      for g in range(4)}
conf = {"startupBatteryWait": 60, "virtualBatteries": vb}
extra = os.environ.get("BATAGG_BENCH_CONFIG")
if extra:
    conf.update(json.loads("{" + extra + "}"))
print(json.dumps(conf))
PY
CONFIG="$out/virtual.json" SC=no COUNTS_ONLY=yes run virtual-64 64 items yes -n $((64 * seconds)) --warmup "$warmup"

# Instructions per member update: callgrind counts, so machines compare.
# Eight updates a second at every K (a member updates every K/8 s), which
# batagg keeps up with under callgrind (at 16 a second it falls behind at
# K = 64 and publishes some updates together); no consumer (it changes
# nothing in batagg) and no systemcalc.
ir_total() {
	callgrind_annotate "$out"/callgrind.* 2>/dev/null | sed -n 's/^\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d , | head -n1
}
ir_line=""
for k in 4 16 64; do
	period=$(awk "BEGIN { print $k / 8 }")
	rm -f "$out"/callgrind.*
	WRAPPER="valgrind --tool=callgrind --callgrind-out-file=$out/callgrind.%p" CONSUMER=no SC=no \
		run "callgrind-$k-80" "$k" items yes -n 80 --period "$period" --warmup 5
	small=$(ir_total)
	rm -f "$out"/callgrind.*
	WRAPPER="valgrind --tool=callgrind --callgrind-out-file=$out/callgrind.%p" CONSUMER=no SC=no \
		run "callgrind-$k-240" "$k" items yes -n 240 --period "$period" --warmup 5
	large=$(ir_total)
	if [ -n "$small" ] && [ -n "$large" ]; then
		ir_line="$ir_line${ir_line:+, }K = $k: **$(((large - small) / 160))**"
	else
		ir_line="$ir_line${ir_line:+, }K = $k: failed"
	fi
done

# ---- the section ---------------------------------------------------------------
rev=$(git rev-parse --short HEAD)
git diff --quiet HEAD -- core plugins include bench 2>/dev/null || rev="$rev with changes"
{
	echo "## $(date -u '+%Y-%m-%d %H:%M UTC') — batagg $(build-bench/batagg --version | cut -d' ' -f2), whole system${label:+ ($label)}"
	echo
	echo "Machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1),"
	echo "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); release build of $rev."
	echo "batagg's config: \`$(cat "$out/config.json")\`."
	echo
	echo "K members, each changing 15 paths once a second (spread evenly), and every"
	echo "3 s a CCL decrease (one member's, 100 A to 20 A, restored with its next update);"
	echo "${seconds} s measured after a ${warmup} s warm-up, so K × ${seconds} member updates. CPU is ms per"
	echo "1000 member updates (/proc/PID/task/*/schedstat before and after the window);"
	echo "\"extra\" is with batagg minus the same load without an aggregator. The"
	echo "aggregate's signals (sent by its unique name, arriving in the window) and"
	echo "latencies are taken at the consumer (batload listens to nothing, not to add"
	echo "to the bus's work):"
	echo "signals and paths per member update, as ItemsChanged + PropertiesChanged;"
	echo "latency from the member's signal to the consumer's receipt of the first"
	echo "aggregate signal carrying the new value, \"safety\" for the CCL decrease,"
	echo "\"other\" for the bank current (/Dc/0/Current) that one update explains."
	echo "\"Other load\" is the CPU time of everything else on the machine during the"
	echo "window (/proc/stat minus the measured processes and batload), in % of all cores:"
	echo "where it is high, other work disturbed the run."
	echo
	awk '
	{
		split($1, kv, "=")
		name = kv[2]
		for (i = 2; i <= NF; i++) {
			split($i, kv, "=")
			v[name, kv[1]] = kv[2]
		}
	}
	function per1000(name, key) { return v[name, key] * 1000 / v[name, "updates"] }
	# What else kept the machine busy in the window: all CPU time but the
	# measured processes (batload included), in % of the machine.
	function other(name,   key, sum, k) {
		if (v[name, "cpu_machine_ms"] == "")
			return "n/a"
		sum = 0
		for (key in v) {
			split(key, k, SUBSEP)
			if (k[1] == name && k[2] ~ /^cpu_/ && k[2] != "cpu_machine_ms")
				sum += v[key]
		}
		return sprintf("%.0f %%", 100 * (v[name, "cpu_machine_ms"] - sum) / (cores * 1000 * v[name, "seconds"]))
	}
	function ms(x) { return x == "nan" || x == "" ? "n/a" : sprintf("%.2f", x) }
	function lat(name, what) {
		s = ms(v[name, what "_p50"]) " / " ms(v[name, what "_p99"]) " (" v[name, what "_n"]
		if (v[name, what "_missed"] > 0)
			s = s ", " v[name, what "_missed"] " unanswered"
		return s ")"
	}
	END {
		split("items props", kinds, " ")
		split("4 16 64", ks, " ")
		for (j = 1; j <= 2; j++) {
			kind = kinds[j]
			if (kind == "items")
				print "**items** members (one ItemsChanged per update, 15 paths):"
			else
				print "**props** members (one PropertiesChanged per changed path, 15 per update):"
			print ""
			print "| K | member updates | batagg CPU | dbus-daemon without | dbus-daemon extra | consumer without | consumer extra | aggregate signals / update (IC + PC) | paths / update (in IC + in PC) | latency safety p50 / p99 ms (n) | latency other p50 / p99 ms (n) | batagg private dirty | other load with / without |"
			print "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
			for (i = 1; i <= 3; i++) {
				w = kind "-" ks[i] "-with"; b = kind "-" ks[i] "-without"
				if (v[w, "updates"] == "" || v[b, "updates"] == "") {
					printf "| %s | failed ||||||||||||\n", ks[i]
					continue
				}
				u = v[w, "updates"]
				printf "| %s | %d | %.1f | %.1f | %+.1f | %.1f | %+.1f | %.2f + %.2f | %.2f + %.2f | %s | %s | %s KiB | %s / %s |\n", \
					ks[i], u, per1000(w, "cpu_batagg_ms"), per1000(b, "cpu_bus_ms"), \
					per1000(w, "cpu_bus_ms") - per1000(b, "cpu_bus_ms"), \
					per1000(b, "cpu_consumer_ms"), \
					per1000(w, "cpu_consumer_ms") - per1000(b, "cpu_consumer_ms"), \
					v[w, "ic"] / u, v[w, "pc"] / u, v[w, "ic_paths"] / u, v[w, "pc"] / u, \
					lat(w, "safety"), lat(w, "lat"), v[w, "pd_kib"], other(w), other(b)
			}
			print ""
		}
		w = "virtual-64"
		if (v[w, "updates"] != "")
			printf "Memory: batagg at K = 64 in 4 virtual batteries of 16 members, steady load: **%s KiB private dirty** (Private_Dirty, /proc/PID/smaps_rollup; RSS %s KiB, peak %s KiB; CPU %.1f ms / 1000 updates, %.2f + %.2f signals / update from the aggregate).\n", \
				v[w, "pd_kib"], v[w, "rss_kib"], v[w, "hwm_kib"], per1000(w, "cpu_batagg_ms"), \
				v[w, "ic"] / v[w, "updates"], v[w, "pc"] / v[w, "updates"]
		else
			print "Memory: the virtual-battery run failed."
		sc = ""
		for (j = 1; j <= 2; j++)
			for (i = 1; i <= 3; i++) {
				w = kinds[j] "-" ks[i] "-with"; b = kinds[j] "-" ks[i] "-without"
				if (v[w, "cpu_systemcalc_ms"] != "" && v[b, "cpu_systemcalc_ms"] != "")
					sc = sc sprintf("| %s | %s | %.1f | %+.1f |\n", kinds[j], ks[i], \
						per1000(b, "cpu_systemcalc_ms"), \
						per1000(w, "cpu_systemcalc_ms") - per1000(b, "cpu_systemcalc_ms"))
			}
		if (sc != "") {
			print "\nsystemcalc as a second consumer (CPU, ms / 1000 member updates):\n"
			print "| members | K | systemcalc without | systemcalc extra |"
			printf "|---|---|---|---|\n%s", sc
		} else {
			print "\nsystemcalc as a second consumer: " nosc "."
		}
	}' nosc="$why_no_systemcalc" cores="$(nproc)" "$out/all"
	echo
	echo "Instructions per member update (callgrind, items members, 8 member updates a"
	echo "second at every K, the difference of an 80- and a 240-update run): $ir_line."
	echo
	echo "run.sh took $(( ($(date +%s) - started) / 60 )) min $(( ($(date +%s) - started) % 60 )) s."
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
