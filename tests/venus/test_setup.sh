#!/bin/bash
# The setup script of a release bundle, run as a user (or SetupHelper) would
# on a GX device, against a fake root directory (BATAGG_ROOT): install,
# reinstall, update, uninstall, an existing config and rc.local kept intact,
# a wrong or unknown architecture refused, and SetupHelper's conventions.
# svc and svstat are stand-ins that record how they were called, except
# where the Python daemon's commands are checked: there daemontools' own
# supervise and svc run the installed service directory (when installed), and
# check_config.sh runs the bundle's batagg, natively or through EMULATOR
# (release.sh passes qemu-arm -L SYSROOT or qemu-aarch64 -L SYSROOT).
#
# usage: test_setup.sh BatteryAggregator-vX-ARCH.tar.gz [EMULATOR...]
set -u
tarball=$(realpath "$1")
shift
emulator=("$@")
# Beside the bundle, not in /tmp: where the bundle's batagg runs (a native
# build, or binfmt qemu), setup runs its --check-config, and batagg refuses
# plugins below a directory others can write, as /tmp is.
work=$(mktemp -d "$(dirname "$tarball")/test_setup.XXXXXX")
supervise_pid=""
cleanup() {
	if [ -n "$supervise_pid" ]; then
		kill "$supervise_pid" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT
passed=0
failed=0

check() { # check NAME COMMAND...: the command must succeed
	local name=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
		echo "ok - $name"
	else
		failed=$((failed + 1))
		echo "not ok - $name"
	fi
}

# Every file and directory below a root, with type, mode and content hash;
# the stand-ins' files are the test's, not the device's.
snapshot() {
	(cd "$1" && find . \( -path ./svc.log -o -path ./stuck \) -prune -o -printf '%p %y %m\n' | sort | while read -r p t m; do
		if [ "$t" = f ]; then
			echo "$p $t $m $(md5sum <"$p" | cut -c1-32)"
		else
			echo "$p $t $m"
		fi
	done)
}

# A fresh fake device: the bundle unpacked in /data, the dynamic loader of
# the given architecture (or none), stand-in svc and svstat.
new_root() {
	local root=$work/$1 arch=$2
	mkdir -p "$root/data" "$root/lib" "$root/var/log" "$root/bin" "$root/service"
	tar -xzf "$tarball" -C "$root/data"
	case $arch in
	armhf) touch "$root/lib/ld-linux-armhf.so.3" ;;
	arm64) touch "$root/lib/ld-linux-aarch64.so.1" ;;
	esac
	printf '#!/bin/sh\necho "svc $*" >>"%s/svc.log"\n' "$root" >"$root/bin/svc"
	# shellcheck disable=SC2016
	printf '#!/bin/sh\necho "$1: up (pid 42) 7 seconds"\n' >"$root/bin/svstat"
	# supervise has exited unless the test says it is stuck
	printf '#!/bin/sh\n[ -e "%s/stuck" ]\n' "$root" >"$root/bin/svok"
	chmod 755 "$root/bin/svc" "$root/bin/svstat" "$root/bin/svok"
	echo "$root"
}

setup() { # setup ROOT ARGS...: runs the bundle's setup on that fake device
	local root=$1
	shift
	PATH="$root/bin:$PATH" BATAGG_ROOT="$root" "$root/data/BatteryAggregator/setup" "$@"
}

bundle_arch=$(tar -xzf "$tarball" -O BatteryAggregator/arch)
other_arch=arm64
[ "$bundle_arch" = arm64 ] && other_arch=armhf
pkgdir=data/BatteryAggregator
cfg=data/setupOptions/BatteryAggregator/config.json

echo "# the plugin SDK in the bundle"
contents=$(tar -tzf "$tarball")
for f in sdk/include/batagg/plugin.h sdk/PLUGINS.md sdk/PATHS.md sdk/examples/plugin-limiter-derate/Makefile; do
	check "the bundle ships $f" grep -qx "BatteryAggregator/$f" <<<"$contents"
done

echo "# fresh install, reinstall, update, uninstall ($bundle_arch)"
root=$(new_root fresh "$bundle_arch")
before=$(snapshot "$root")
out=$(setup "$root" install 2>&1)
check "install succeeds" test $? = 0
check "install creates the default config" cmp -s "$root/$cfg" "$root/$pkgdir/config.json"
check "install puts the service in /service" cmp -s "$root/service/BatteryAggregator/run" "$root/$pkgdir/service/run"
check "the service has its logger" cmp -s "$root/service/BatteryAggregator/log/run" "$root/$pkgdir/service/log/run"
check "the run script starts batagg with the config" grep -q "exec /$pkgdir/batagg --config /$cfg" "$root/service/BatteryAggregator/run"
check "the logger writes /var/log/BatteryAggregator" grep -q "multilog t .* /var/log/BatteryAggregator$" "$root/service/BatteryAggregator/log/run"
check "rc.local restores the service at boot" grep -qx "/$pkgdir/setup reinstall auto # BatteryAggregator: restores its service at boot" "$root/data/rc.local"
check "a created rc.local is executable" test -x "$root/data/rc.local"
check "install says where the config is" grep -q "created /$cfg" <<<"$out"
installed=$(snapshot "$root")
setup "$root" reinstall auto >/dev/null 2>&1
check "reinstall (as at boot) succeeds" test $? = 0
check "reinstall changes nothing when all is there" test "$(snapshot "$root")" = "$installed"
check "reinstall with auto prints nothing" test -z "$(setup "$root" reinstall auto 2>&1)"
rm -rf "$root/service/BatteryAggregator"
setup "$root" reinstall auto >/dev/null 2>&1
check "reinstall after a reboot or firmware update restores the service" test "$(snapshot "$root")" = "$installed"
: >"$root/svc.log"
setup "$root" install >/dev/null 2>&1
check "installing again (an update) restarts the service" grep -qx "svc -t $root/service/BatteryAggregator $root/service/BatteryAggregator/log" "$root/svc.log"
check "installing again keeps the same files" test "$(snapshot "$root")" = "$installed"
status=$(setup "$root" status 2>&1)
check "status shows the version and architecture" grep -q "BatteryAggregator v.*, $bundle_arch, in /$pkgdir" <<<"$status"
check "status shows the service state" grep -q "service: *installed: .*up (pid 42)" <<<"$status"
check "status shows how it comes back at boot" grep -q "at boot: *restored by /data/rc.local" <<<"$status"
touch "$root/stuck"
installed=$(snapshot "$root")
out=$(BATAGG_STOP_WAIT=1 setup "$root" uninstall 2>&1)
check "uninstall fails if supervise does not stop" test $? = 255
check "and says so" grep -q "the service did not stop within 1 seconds; nothing was removed" <<<"$out"
check "and removes nothing" test "$(snapshot "$root")" = "$installed"
rm "$root/stuck"
: >"$root/svc.log"
out=$(setup "$root" uninstall 2>&1)
check "uninstall succeeds" test $? = 0
check "uninstall stops the service and its logger" grep -qx "svc -dx $root/service/BatteryAggregator $root/service/BatteryAggregator/log" "$root/svc.log"
expected=$(printf '%s\n%s\n' "$before" "$(snapshot "$root" | grep setupOptions)" | sort)
check "uninstall leaves nothing behind but the config" test "$(snapshot "$root")" = "$expected"
check "uninstall says the config stays" grep -q "your config stays in /$cfg" <<<"$out"
check "status after uninstall: not installed" grep -q "service: *not installed" <<<"$(setup "$root" status)"

echo "# the Python daemon's commands still work"
root=$(new_root compat "$bundle_arch")
setup "$root" install >/dev/null 2>&1
pkg=$root/$pkgdir
svcdir=$root/service/BatteryAggregator
check "check_config.sh is in the bundle" test -f "$pkg/check_config.sh"
check "check_config.sh is executable" test -x "$pkg/check_config.sh"
check "check_config.sh needs no Python" test -z "$(grep -w python "$pkg/check_config.sh")"
# wait_for SECONDS COMMAND...: until the command succeeds, polling
wait_for() {
	local tries=$(($1 * 10))
	shift
	until "$@"; do
		tries=$((tries - 1))
		[ $tries -gt 0 ] || return 1
		sleep 0.1
	done
}
svstat_says() { # svstat_says DIR REGEX
	svstat "$1" 2>/dev/null | grep -Eq "$2"
}
not_running() {
	! kill -0 "$1" 2>/dev/null
}
# The bundle's batagg where it runs: natively, or behind a wrapper that runs
# it through the emulator (it finds its plugins beside batagg.target).
if ! "$pkg/batagg" --version >/dev/null 2>&1 && [ ${#emulator[@]} -gt 0 ]; then
	mv "$pkg/batagg" "$pkg/batagg.target"
	{
		echo '#!/bin/sh'
		printf 'exec'
		printf ' %q' "${emulator[@]}" "$pkg/batagg.target"
		# shellcheck disable=SC2016 # "$@" of the wrapper
		echo ' "$@"'
	} >"$pkg/batagg"
	chmod 755 "$pkg/batagg"
fi
if "$pkg/batagg" --version >/dev/null 2>&1; then
	out=$(BATAGG_ROOT="$root" bash "$pkg/check_config.sh" 2>&1)
	check "check_config.sh on the installed default config: status 0" test $? = 0
	check "check_config.sh on the installed default config: says OK" grep -qx OK <<<"$out"
	check "check_config.sh reads /data/setupOptions/BatteryAggregator/config.json" grep -q "^service: *com.victronenergy.battery.aggregator$" <<<"$out"
	printf '{"serviceName": "com.victronenergy.battery.house"}\n' >"$root/$cfg"
	out=$(BATAGG_ROOT="$root" "$pkg/check_config.sh" 2>&1)
	check "check_config.sh with no argument checks the installed config" grep -q "^service: *com.victronenergy.battery.house$" <<<"$out"
	printf '{"pluginDirectory": "/nonexistent/batagg-plugins"}\n' >"$work/warn.json"
	out=$(sh "$pkg/check_config.sh" "$work/warn.json" 2>&1)
	check "check_config.sh FILE with only warnings: status 0" test $? = 0
	check "check_config.sh FILE with only warnings: prints them" grep -q "WARNING.*/nonexistent/batagg-plugins" <<<"$out"
	check "check_config.sh FILE with only warnings: says OK" grep -qx OK <<<"$out"
	printf '{\n "capacity": "big"\n}\n' >"$work/bad.json"
	out=$(sh "$pkg/check_config.sh" "$work/bad.json" 2>&1)
	check "check_config.sh FILE with an error: status 1" test $? = 1
	check "check_config.sh FILE with an error: names the file, line and key" grep -q "bad.json:2:.*key 'capacity'" <<<"$out"
	rm "$root/$cfg"
	out=$(BATAGG_ROOT="$root" sh "$pkg/check_config.sh" 2>&1)
	check "check_config.sh without a config: status 0 (the defaults)" test $? = 0
	check "check_config.sh without a config: says there is none" grep -q "there is no /.*/data/setupOptions/BatteryAggregator/config.json; batagg runs with the default settings" <<<"$out"
else
	echo "# SKIP check_config.sh runs: the bundle's batagg does not run here (give the emulator: test_setup.sh TARBALL qemu-arm -L SYSROOT)"
fi
printf '#!/bin/sh\necho "multilog $*" >"%s/multilog.args"\n' "$root" >"$root/bin/multilog"
chmod 755 "$root/bin/multilog"
PATH="$root/bin:$PATH" "$svcdir/log/run"
check "the log run script runs multilog into /var/log/BatteryAggregator (current), timestamped" grep -qx "multilog t .* /var/log/BatteryAggregator" "$root/multilog.args"
check "the service is /service/BatteryAggregator, its run scripts executable" test -x "$svcdir/run" -a -x "$svcdir/log/run"
if command -v supervise >/dev/null && command -v svc >/dev/null; then
	# daemontools' own: batagg itself is not there to run (the run script
	# names /data/BatteryAggregator/batagg), so supervise restarts the
	# failing run script every second until told down.
	supervise "$svcdir" >"$work/supervise.log" 2>&1 &
	supervise_pid=$!
	check "supervise takes /service/BatteryAggregator" wait_for 5 svok "$svcdir"
	svc -d "$svcdir"
	check "svc -d /service/BatteryAggregator stops it" wait_for 10 svstat_says "$svcdir" ': down [0-9]+ seconds, normally up$'
	svc -u "$svcdir"
	check "svc -u /service/BatteryAggregator starts it" wait_for 10 svstat_says "$svcdir" ': up \(pid|want up'
	svc -dx "$svcdir"
	check "svc -dx ends its supervise" wait_for 10 not_running "$supervise_pid"
	supervise_pid=""
else
	echo "# SKIP svc -d/-u: daemontools (supervise, svc) is not installed"
fi

echo "# a device with a config and an rc.local of its own"
root=$(new_root user "$bundle_arch")
mkdir -p "$root/data/setupOptions/BatteryAggregator"
printf '{"capacity": 560, "excludedServices": ["com.victronenergy.battery.ttyS5"]}\n' >"$root/$cfg"
printf '#!/bin/bash\n/data/myscript.sh &\n' >"$root/data/rc.local"
chmod 700 "$root/data/rc.local"
before=$(snapshot "$root")
out=$(setup "$root" install 2>&1)
check "install succeeds" test $? = 0
check "install keeps the existing config" test "$(cat "$root/$cfg")" = '{"capacity": 560, "excludedServices": ["com.victronenergy.battery.ttyS5"]}'
check "install says it keeps the config" grep -q "keeping your config" <<<"$out"
check "rc.local keeps its lines" test "$(head -n 2 "$root/data/rc.local")" = "$(printf '#!/bin/bash\n/data/myscript.sh &')"
check "rc.local gets one line more" test "$(wc -l <"$root/data/rc.local")" = 3
setup "$root" install >/dev/null 2>&1
check "a second install adds no second line" test "$(grep -c BatteryAggregator "$root/data/rc.local")" = 1
setup "$root" uninstall >/dev/null 2>&1
check "uninstall restores the device exactly (config, rc.local and its mode)" test "$(snapshot "$root")" = "$before"

echo "# architectures"
# refused ARCH MESSAGE: on a device whose dynamic loader is ARCH's (or none),
# install is refused with SetupHelper's "incompatible platform" code and
# MESSAGE, and changes nothing.
refused() {
	local root before out code
	root=$(new_root "refused-$1" "$1")
	before=$(snapshot "$root")
	out=$(setup "$root" install 2>&1)
	code=$?
	check "device with loader '$1': refused with code 253" test $code = 253
	check "device with loader '$1': says \"$2\"" grep -q "$2" <<<"$out"
	check "device with loader '$1': nothing changed" test "$(snapshot "$root")" = "$before"
	setup "$root" check >/dev/null 2>&1
	check "device with loader '$1': 'check' says no (253)" test $? = 253
}
refused "$other_arch" "this bundle is for $bundle_arch but this device runs $other_arch; use the BatteryAggregator-v.*-$other_arch bundle"
refused none "this device's architecture (unknown) is not one batagg is built for"
root=$(new_root check "$bundle_arch")
before=$(snapshot "$root")
out=$(setup "$root" check 2>&1)
check "'check' on the right device says yes" test $? = 0
check "'check' says what it checked" grep -q "can be installed here" <<<"$out"
check "'check' changes nothing" test "$(snapshot "$root")" = "$before"
setup "$root" frobnicate >/dev/null 2>&1
check "an unknown command is a usage error" test $? = 2

echo "# under SetupHelper"
# A stand-in for SetupHelper's IncludeHelpers with the conventions the setup
# script relies on (SetupHelper's own documentation): it reads the command
# line into scriptAction, provides installService/removeService, which copy
# the package's service directory, setInstallFailed, which turns the action
# into UNINSTALL, and endScript, which exits with the recorded code.
root=$(new_root helper "$bundle_arch")
mkdir -p "$root/data/SetupHelper/HelperResources"
cat >"$root/data/SetupHelper/HelperResources/IncludeHelpers" <<EOF
scriptDir=\$(cd "\$(dirname "\$0")" && pwd)
packageName=\$(basename "\$scriptDir")
EXIT_INCOMPATIBLE_PLATFORM=253
exitCode=0
scriptAction=NONE
for a in "\$@"; do
	case \$a in
	install | reinstall) scriptAction=INSTALL ;;
	uninstall) scriptAction=UNINSTALL ;;
	esac
done
echo "IncludeHelpers \$*" >>"$root/helper.log"
installService() { echo "installService \$1" >>"$root/helper.log"; mkdir -p "$root/service"; cp -R "\$scriptDir/service" "$root/service/\$1"; }
removeService() { echo "removeService \$1" >>"$root/helper.log"; rm -rf "$root/service/\$1"; }
setInstallFailed() { exitCode=\$1; echo "setInstallFailed \$*" >>"$root/helper.log"; scriptAction=UNINSTALL; }
standardActionPrompt() { echo "standardActionPrompt" >>"$root/helper.log"; exit 0; }
endScript() { echo "endScript" >>"$root/helper.log"; exit \$exitCode; }
EOF
setup "$root" install runFromPm >/dev/null 2>&1
check "SetupHelper install from PackageManager (runFromPm) succeeds" test $? = 0
check "SetupHelper installs the service through installService" grep -qx "installService BatteryAggregator" "$root/helper.log"
check "the service is the package's" cmp -s "$root/service/BatteryAggregator/run" "$root/$pkgdir/service/run"
check "SetupHelper install creates the config" cmp -s "$root/$cfg" "$root/$pkgdir/config.json"
check "under SetupHelper no rc.local line (PackageManager reinstalls)" test ! -e "$root/data/rc.local"
check "the script ends through endScript" test "$(tail -n 1 "$root/helper.log")" = endScript
setup "$root" >/dev/null 2>&1
check "without arguments SetupHelper's prompt is shown" grep -qx standardActionPrompt "$root/helper.log"
setup "$root" install auto deferReboot deferGuiRestart >/dev/null 2>&1
check "SetupHelper install at boot (auto deferReboot deferGuiRestart) succeeds" test $? = 0
setup "$root" uninstall auto >/dev/null 2>&1
check "SetupHelper uninstall removes the service through removeService" grep -qx "removeService BatteryAggregator" "$root/helper.log"
check "SetupHelper uninstall keeps the config" test -s "$root/$cfg"
root=$(new_root helper-wrong "$other_arch")
mkdir -p "$root/data/SetupHelper/HelperResources"
sed "s|$work/helper|$root|g" "$work/helper/data/SetupHelper/HelperResources/IncludeHelpers" >"$root/data/SetupHelper/HelperResources/IncludeHelpers"
setup "$root" install auto >/dev/null 2>&1
code=$?
check "SetupHelper install on another architecture fails with 253" test $code = 253
check "and is undone through removeService" grep -qx "removeService BatteryAggregator" "$root/helper.log"
check "and installs no service" test ! -e "$root/service/BatteryAggregator"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
