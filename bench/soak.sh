#!/bin/sh
# The soak (issue "No crash, no deaf daemon", point 9): on a private bus with
# a simulated localsettings and system service, batagg aggregates three
# steady members while flapping members appear and vanish every 50 ms (many
# of them sending garbage first) for SECONDS; then they stop, and the
# aggregate must be what the steady members alone give.  bench/flap is the
# load and measures batagg; this script judges:
#
#   - batagg's private dirty memory grows by at most BATAGG_SOAK_MAX_PD_KIB
#     (default 256 KiB; 1 MiB in the short test, see below) from the end of
#     the warm-up to the end of the run, both measured at a quiet moment (the
#     flapping members gone).
#     A member that joins and leaves must leave nothing behind: ten minutes
#     bring ~7000 joins, so 256 KiB catches a leak of ~40 bytes per join,
#     while the allocator's own noise stays inside it (the heap's high-water
#     mark, reached during the minute of warm-up: members hold up to 64 KiB
#     of /CustomName each, messages are up to ~100 KiB);
#   - its open fds do not grow at all, and its match rules on the bus are
#     back to the steady members' once the flapping ones are gone;
#   - the final aggregate is right, batagg answered every ping (a GetItems
#     each second), never published NaN or Inf, kept its bus name, and exits
#     0 on SIGTERM (under AddressSanitizer that is also the leak check);
#   - no sanitizer report in its log.
#
# usage: sh bench/soak.sh [SECONDS]   (default 600) the release build in
#            build-bench/; writes a "## Soak" section to bench/RESULTS.md
#        sh bench/soak.sh --test      the test suite's short soak: the build's
#            own $BATAGG, $BATSIM and $FLAP, BATAGG_SOAK_SECONDS (default 20)
#            long; writes nothing.  With BATAGG_SANITIZE naming "address"
#            (ASan keeps freed memory in quarantine, so RSS grows whatever
#            batagg does) the memory limit is not checked; fds still are.
# BATAGG_SOAK_FLAP_ARGS passes options to bench/flap (e.g. "--kinds
# clean,mute --plain" to find which members a problem comes from).
# BATAGG_SOAK_WRAPPER runs batagg under a command (e.g. "valgrind
# --leak-check=full"); the logs are kept when that or BATAGG_SOAK_KEEP is set, or
# the soak fails.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
mode=bench
if [ "${1:-}" = --test ]; then
	mode='test'
	shift
fi
if [ $mode = test ]; then
	seconds=${BATAGG_SOAK_SECONDS:-20}
	: "${BATAGG:?the test sets BATAGG}" "${BATSIM:?the test sets BATSIM}" "${FLAP:?the test sets FLAP}"
else
	seconds=${1:-600}
	cd "$top"
	sh tools/deps.sh
	[ -d build-bench ] || meson setup build-bench --buildtype=release -Dtests=false >/dev/null
	ninja -C build-bench >/dev/null
	BATAGG=$top/build-bench/batagg
	BATSIM=$top/build-bench/tools/sim/batsim
	FLAP=$top/build-bench/bench/flap
fi
case $seconds in
'' | *[!0-9]*)
	echo "soak: SECONDS must be a number, not '$seconds'" >&2
	exit 2
	;;
esac
# The warm-up lets the heap reach its working size: 10 % of a bench run (a
# minute of ten), a quarter of a test run.  The test's memory limit is only
# for gross leaks: in 15 measured seconds (~250 joins) the heap's high-water
# mark alone moves by up to ~200 KiB (measured: -190 to +200 KiB over 9 runs),
# so 1 MiB catches a leak of ~4 KiB per join (a member kept whole, with its
# names); the ten-minute soak is the precise one, and in the ASan build
# LeakSanitizer reports, at exit, anything leaked that nothing points to.
if [ $mode = test ]; then
	warmup=$((seconds / 4))
	max_pd=${BATAGG_SOAK_MAX_PD_KIB:-1024}
else
	warmup=$((seconds / 10))
	max_pd=${BATAGG_SOAK_MAX_PD_KIB:-256}
fi
[ $warmup -ge 2 ] || warmup=2
check_memory=yes
case ${BATAGG_SANITIZE:-none} in
*address*) check_memory=no ;;
esac

out=$(mktemp -d)
bus="" sim="" agg="" keep=${BATAGG_SOAK_KEEP:-}
cleanup() {
	for pid in $agg $sim $bus; do
		kill "$pid" 2>/dev/null || true
	done
	if [ -n "$keep" ]; then
		echo "soak: logs kept in $out" >&2
	else
		rm -rf "$out"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo '{"currentRatioMethod": "count", "startupBatteryWait": 60}' >"$out/config.json"
echo '{}' >"$out/empty.json"

# shellcheck disable=SC2046 # two words: the address and the pid
set -- $(dbus-daemon --session --fork --print-address=1 --print-pid=1)
DBUS_SESSION_BUS_ADDRESS=$1
bus=$2
export DBUS_SESSION_BUS_ADDRESS

"$BATSIM" --quiet "$out/empty.json" </dev/null >"$out/batsim.log" 2>&1 &
sim=$!
tries=0
until grep -q 'batsim: ready' "$out/batsim.log"; do
	tries=$((tries + 1))
	if [ $tries -gt 300 ] || ! kill -0 "$sim" 2>/dev/null; then
		echo "soak: the simulator did not start:" >&2
		cat "$out/batsim.log" >&2
		exit 1
	fi
	sleep 0.1
done

# shellcheck disable=SC2086 # the wrapper is a command line
${BATAGG_SOAK_WRAPPER:-} "$BATAGG" --config "$out/config.json" 2>"$out/batagg.log" &
agg=$!
[ -z "${BATAGG_SOAK_WRAPPER:-}" ] || keep=yes

started=$(date +%s)
rc=0
# shellcheck disable=SC2086 # options, word by word
"$FLAP" --warmup $warmup ${BATAGG_SOAK_FLAP_ARGS:-} "$seconds" "$agg" >"$out/line" 2>"$out/flap.log" || rc=$?
took=$(($(date +%s) - started))
cat "$out/flap.log" >&2

status=0
if kill "$agg" 2>/dev/null; then
	wait "$agg" || status=$?
else
	status=dead
fi
agg=''
kill "$sim" 2>/dev/null || true
wait "$sim" 2>/dev/null || true
sim=''
kill "$bus" 2>/dev/null || true
bus=''

line=$(cat "$out/line")
field() { echo "$line" | sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
echo "$line"

fail=''
problem() {
	fail="$fail
  - $1"
}
if [ -z "$line" ]; then
	problem "flap printed no result (exit $rc)"
else
	[ "$rc" = 0 ] || problem "flap failed (exit $rc, failure=$(field failure))"
	[ "$(field agg_ok)" = 1 ] || problem "the final aggregate was wrong ($(field agg_bad) paths, see above)"
	[ "$(field ping_fail)" = 0 ] || problem "batagg did not answer $(field ping_fail) of $(field pings) pings"
	[ "$(field nonfinite)" = 0 ] || problem "batagg published $(field nonfinite) non-finite values"
	# batagg's fds do not depend on its members: flat throughout.  Its
	# match rules do (one per member): back to the steady members' once
	# the flapping ones are gone.
	base=$(field fds_base) start=$(field fds_start) end=$(field fds_end) final=$(field fds_final)
	if [ "$base" -lt 0 ] || [ "$start" -gt "$base" ] || [ "$end" -gt "$base" ] || [ "$final" -gt "$base" ]; then
		problem "open fds grew: $base before flapping, $start after the warm-up, $end at the end, $final after"
	fi
	base=$(field rules_base) final=$(field rules_final)
	if [ "$base" -lt 0 ] || [ "$final" -gt "$base" ]; then
		problem "match rules grew: $base before flapping, $final after (the bus keeps rules for members that left)"
	fi
	pd_growth=$(($(field pd_final_kib) - $(field pd_start_kib)))
	if [ $check_memory = yes ] && [ "$pd_growth" -gt "$max_pd" ]; then
		problem "private dirty memory grew by $pd_growth KiB (limit $max_pd KiB)"
	fi
fi
[ "$status" = 0 ] || problem "batagg did not exit 0 on SIGTERM (status $status)"
if grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:|CRITICAL' "$out/batagg.log"; then
	problem "batagg's log has a sanitizer report or a critical message"
fi
if [ -n "$fail" ]; then
	keep=yes
	echo "soak: batagg's log (last lines):" >&2
	tail -n 40 "$out/batagg.log" >&2
fi

if [ $mode = bench ] && [ -n "$line" ]; then
	if [ -z "$fail" ]; then verdict="**pass**"; else verdict="**FAIL**:$fail"; fi
	if [ "$(field agg_ok)" = 1 ]; then agg_text="yes, $(field settle_ms) ms after the last member went"; else agg_text="**no** ($(field agg_bad) paths wrong)"; fi
	{
		echo "## Soak $(date -u '+%Y-%m-%d %H:%M UTC') — batagg $("$BATAGG" --version | cut -d' ' -f2)"
		echo
		echo "Machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1),"
		echo "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); release build$(git describe --always --dirty 2>/dev/null | sed 's/^/ of /')."
		echo
		echo "\`sh bench/soak.sh $seconds\`: $(field seconds) s of flapping ($took s in all), 3 steady members,"
		echo "$(field slots) names flapping, one change every $(field period_ms) ms: $(field joins) joins, $(field leaves) leaves"
		echo "($(field handovers) by a new connection taking the name over, $(field from_queue) to a connection"
		echo "waiting in the bus's queue), $(field signals) garbage or odd signals. Kinds of member that joined:"
		echo "$(field kinds | sed 's/,/, /g; s/:/ /g')."
		echo
		echo "| batagg | before flapping | after the warm-up (quiet) | end of flapping | after it (quiet) |"
		echo "|---|---|---|---|---|"
		echo "| RSS | $(field rss_base_kib) KiB | $(field rss_start_kib) KiB | $(field rss_end_kib) KiB | $(field rss_final_kib) KiB |"
		echo "| private dirty | $(field pd_base_kib) KiB | $(field pd_start_kib) KiB | $(field pd_end_kib) KiB | $(field pd_final_kib) KiB |"
		echo "| open fds | $(field fds_base) | $(field fds_start) | $(field fds_end) | $(field fds_final) |"
		echo "| match rules on the bus | $(field rules_base) | $(field rules_start) | $(field rules_end) | $(field rules_final) |"
		echo
		echo "Private dirty memory over the run (KiB, every 5 %): $(field pd_trend_kib | sed 's/,/, /g')."
		echo "Pings (GetItems on the aggregate, one a second): $(field pings), $(field ping_fail) unanswered,"
		echo "slowest $(field ping_max_ms) ms; non-finite values published: $(field nonfinite); squatters that"
		echo "got the aggregate's or a steady member's name: $(field squat_won) of $(field squats)."
		echo "Final aggregate matched the steady members': $agg_text."
		echo "Verdict (private dirty growth after the warm-up ≤ $max_pd KiB, fds and match rules flat,"
		echo "aggregate right, every ping answered, exit 0): $verdict"
		echo
	} >"$out/new.md"
	# Keep everything below the title (run.sh's format: title, then the
	# sections, newest first).
	if [ -f bench/RESULTS.md ]; then
		awk 'NR == 1 && /^# / { next } !seen && /^$/ { next } { seen = 1; print }' bench/RESULTS.md >"$out/old.md"
	else
		: >"$out/old.md"
	fi
	{
		echo "# Benchmark results (newest first)"
		echo
		cat "$out/new.md" "$out/old.md"
	} >bench/RESULTS.md
	cat "$out/new.md"
fi

if [ -n "$fail" ]; then
	echo "soak: FAILED:$fail" >&2
	exit 1
fi
echo "soak: passed ($(field seconds) s, $(field joins) joins)"
