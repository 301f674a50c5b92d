/* SPDX-License-Identifier: MIT */
/*
 * No deaf daemon: the real batagg on a private bus while the bus goes away,
 * while it is reloaded fifty times with good and bad configs, and while
 * localsettings and the system service leave and come back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"

#define AGG "com.victronenergy.battery.aggregator"
#define V1 "com.victronenergy.battery.v1"
#define S1 "com.victronenergy.battery.ttyS1"
#define S2 "com.victronenergy.battery.ttyS2"
#define SETTINGS "com.victronenergy.settings"
#define INSTANCE_SETTING "/Settings/Devices/BatteryAggregator/ClassAndVrmInstance"
#define NAME_SETTING "/Settings/Battery/aggregator/CustomName"
#define WAIT_MS 10000

static const char scenario[] =
        "{\"dvcc\": 1, \"batteries\": {"
        " \"" S1 "\": {\"/Dc/0/Voltage\": 53.1, \"/InstalledCapacity\": 280.0,"
        "  \"/Info/MaxChargeCurrent\": 100.0, \"/Info/MaxDischargeCurrent\": 150.0,"
        "  \"/Info/MaxChargeVoltage\": 55.2, \"/Io/AllowToCharge\": 1},"
        " \"" S2 "\": {\"/Dc/0/Voltage\": 53.3, \"/InstalledCapacity\": 100.0,"
        "  \"/Info/MaxChargeCurrent\": 50.0, \"/Info/MaxDischargeCurrent\": 100.0,"
        "  \"/Info/MaxChargeVoltage\": 55.0, \"/Io/AllowToCharge\": 1}}}";
static const double ccl_capacity = 100.0 * 380 / 280;

static HarnessBank *bank_new(const char *config)
{
	return harness_bank_start(
	        &(HarnessBankOptions){.scenario = scenario, .sim_ready = {S1}, .config = config});
}

static void reload(HarnessBank *b, const char *config)
{
	harness_write_file(b->h, "config.json", config);
	kill(b->agg, SIGHUP);
}

/* What the process holds: open fds and resident memory (KiB). */
static int count_fds(GPid pid)
{
	g_autofree char *dir = g_strdup_printf("/proc/%d/fd", (int)pid);
	GDir *d = g_dir_open(dir, 0, NULL);
	int n = 0;

	while (d && g_dir_read_name(d))
		n++;
	if (d)
		g_dir_close(d);
	return n;
}

static long rss_kib(GPid pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/status", (int)pid);
	g_autofree char *text = NULL;
	const char *line;

	if (!g_file_get_contents(path, &text, NULL, NULL) || !(line = strstr(text, "VmRSS:")))
		return -1;
	return strtol(line + strlen("VmRSS:"), NULL, 10);
}

/* When the dbus-daemon goes, batagg says so once and ends with an error
 * within a second, so that daemontools starts it again. */
static void test_bus_loss_ends_batagg(void **state)
{
	HarnessBank *b = bank_new("{}");
	gint64 start;
	int status;

	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", ccl_capacity);
	start = g_get_monotonic_time();
	harness_kill_bus(b->h);
	status = harness_wait_exit(b->h, b->agg, 3000);
	assert_int_not_equal(status, -1);
	assert_true(g_get_monotonic_time() - start < G_USEC_PER_SEC);
	assert_true(WIFEXITED(status));
	assert_int_not_equal(WEXITSTATUS(status), 0);
	harness_bank_free(b);
}

static const char hooked[] =
        "{\"virtualBatteries\": {\"" V1 "\": [\"class:hooks.FixedValueHook\", \"" S2 "\"]},"
        " \"classes\": {\"hooks.FixedValueHook\": {\"path\": \"/Soc\", \"value\": 42}}}";

/* A reload whose hook refuses its options is refused as a whole: the
 * running config stays, with its virtual battery. */
static void test_reload_with_a_bad_hook_keeps_running(void **state)
{
	HarnessBank *b = bank_new(hooked);

	harness_expect_number(b->h, V1, "/Soc", 42);
	reload(b, "{\"virtualBatteries\": {\"" V1 "\": [\"class:hooks.FixedValueHook\"]},"
	          " \"classes\": {\"hooks.FixedValueHook\": {\"value\": 7}}}");
	g_usleep(1500 * 1000);
	assert_true(harness_has_name(b->h, AGG));
	assert_true(harness_has_name(b->h, V1));
	harness_expect_number(b->h, V1, "/Soc", 42);
	harness_expect_number(b->h, V1, "/Info/MaxChargeCurrent", 50);
	reload(b, "{\"currentRatioMethod\": \"count\"}");
	assert_true(harness_wait_number(b->h, AGG, "/Info/MaxChargeCurrent", 100, WAIT_MS));
	harness_bank_free(b);
}

/* Whether name lost its owner (NameOwnerChanged to "") within ms. */
static bool name_lost(DBusConnection *conn, const char *name, int ms)
{
	gint64 until = g_get_monotonic_time() + ms * 1000;
	bool lost = false;

	while (!lost && g_get_monotonic_time() < until) {
		DBusMessage *msg;
		const char *n, *old_owner, *new_owner;

		dbus_connection_read_write(conn, 20);
		while (!lost && (msg = dbus_connection_pop_message(conn))) {
			lost = dbus_message_is_signal(msg, DBUS_INTERFACE_DBUS,
			                              "NameOwnerChanged") &&
			       dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &n,
			                             DBUS_TYPE_STRING, &old_owner, DBUS_TYPE_STRING,
			                             &new_owner, DBUS_TYPE_INVALID) &&
			       strcmp(n, name) == 0 && !new_owner[0];
			dbus_message_unref(msg);
		}
	}
	return lost;
}

/* A virtual battery that stays in the config stays on the bus across a
 * reload, with its device instance. */
static void test_virtual_battery_stays_across_reloads(void **state)
{
	HarnessBank *b = bank_new(hooked);
	Value instance = VALUE_INIT;

	harness_expect_number(b->h, V1, "/Soc", 42);
	assert_true(harness_get_value(b->h, V1, "/DeviceInstance", &instance));
	dbus_bus_add_match(harness_conn(b->h),
	                   "type='signal',interface='" DBUS_INTERFACE_DBUS
	                   "',member='NameOwnerChanged',arg0='" V1 "'",
	                   NULL);
	reload(b, "{\"currentRatioMethod\": \"count\", \"virtualBatteries\": {\"" V1
	          "\": [\"class:hooks.FixedValueHook\", \"" S2 "\"]},"
	          " \"classes\": {\"hooks.FixedValueHook\": {\"path\": \"/Soc\", \"value\": 43}}}");
	if (name_lost(harness_conn(b->h), V1, 2000))
		fail_msg("%s left the bus during the reload", V1);
	harness_expect_number(b->h, V1, "/Soc", 43);
	assert_true(harness_wait_value(b->h, V1, "/DeviceInstance", &instance, WAIT_MS));
	harness_bank_free(b);
}

/* Fifty reloads, good and bad in turn: no match rule, fd or memory leaks. */
static void test_many_reloads_leak_nothing(void **state)
{
	static const char *const bad[] = {
	        "{\"currentRatioMethod\": ",
	        "{\"currentRatioMethod\": \"nonesuch\"}",
	        "{\"virtualBatteries\": {\"" V1 "\": [\"class:hooks.FixedValueHook\"]}}",
	};
	HarnessBank *b = bank_new(hooked);
	int rules = -1, fds = -1;
	long rss = -1;

	for (int i = 0; i < 50; i++) {
		gboolean count = i % 4 == 0;

		if (i % 2) {
			reload(b, bad[(i / 2) % G_N_ELEMENTS(bad)]);
			g_usleep(100 * 1000);
			continue;
		}
		reload(b, count ? "{\"currentRatioMethod\": \"count\", \"virtualBatteries\": {\"" V1
		                  "\": [\"" S2 "\"]}}"
		                : hooked);
		/* v1 (Rack B's values) is a member: count gives min(100, 50) * 2,
		 * capacity 100 * 380 / 280. */
		harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent",
		                      count ? 100 : ccl_capacity);
		harness_expect_number(b->h, V1, "/Soc", count ? NAN : 42);
		if (i == 10) {
			rules = harness_match_rules(b->h, AGG);
			fds = count_fds(b->agg);
			rss = rss_kib(b->agg);
		}
	}
	print_message("# match rules %d -> %d, fds %d -> %d, RSS %ld -> %ld KiB\n", rules,
	              harness_match_rules(b->h, AGG), fds, count_fds(b->agg), rss, rss_kib(b->agg));
	assert_true(rules > 0);
	assert_int_equal(harness_match_rules(b->h, AGG), rules);
	assert_int_equal(count_fds(b->agg), fds);
#if !defined(__SANITIZE_ADDRESS__)
	/* The sanitizers' allocator keeps freed memory in quarantine. */
	assert_true(rss_kib(b->agg) - rss < 512);
#endif
	harness_bank_free(b);
}

/* localsettings restarts: batagg keeps its device instance and name, and
 * registers them again when localsettings comes back without them. */
static void test_settings_restart(void **state)
{
	HarnessBank *b = bank_new("{}");
	Value name = value_text("Bank One");

	harness_send(b->sim, "settings /Settings/SystemSetup/MaxChargeCurrent 30");
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 30);
	assert_int_equal(harness_set_value(b->h, AGG, "/CustomName", &name), 0);
	harness_expect_text(b->h, SETTINGS, NAME_SETTING, "Bank One");

	/* Away with its values: the user's limit still holds meanwhile. */
	harness_send(b->sim, "restart " SETTINGS " 1.5");
	g_usleep(500 * 1000);
	assert_false(harness_has_name(b->h, SETTINGS));
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 30);
	assert_true(harness_wait_name(b->h, SETTINGS, WAIT_MS));
	harness_expect_text(b->h, AGG, "/CustomName", "Bank One");
	harness_expect_number(b->h, AGG, "/DeviceInstance", 1024);

	/* Back without our settings: registered again, same instance, same name. */
	harness_send(b->sim, "restart " SETTINGS " 1 {\"" INSTANCE_SETTING
	                     "\": null, \"" NAME_SETTING "\": null}");
	g_usleep(300 * 1000);
	assert_true(harness_wait_name(b->h, SETTINGS, WAIT_MS));
	harness_expect_text(b->h, SETTINGS, INSTANCE_SETTING, "battery:1024");
	harness_expect_text(b->h, SETTINGS, NAME_SETTING, "Bank One");

	/* Changed meanwhile: the name localsettings has wins. */
	harness_send(b->sim, "restart " SETTINGS " 1 {\"" NAME_SETTING "\": \"Renamed\"}");
	harness_expect_text(b->h, AGG, "/CustomName", "Renamed");
	harness_expect_number(b->h, AGG, "/DeviceInstance", 1024);
	value_clear(&name);
	harness_bank_free(b);
}

/* systemcalc restarts: DVCC and the user's limit are kept while it is away,
 * and read again when it is back. */
static void test_system_restart_keeps_dvcc(void **state)
{
	HarnessBank *b = bank_new("{}");
	gint64 until;

	harness_send(b->sim, "settings /Settings/SystemSetup/MaxChargeCurrent 30");
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 30);
	harness_send(b->sim, "restart com.victronenergy.system 1.5 {\"/Control/Dvcc\": 0}");
	g_usleep(200 * 1000);
	until = g_get_monotonic_time() + G_USEC_PER_SEC;
	while (g_get_monotonic_time() < until &&
	       !harness_has_name(b->h, "com.victronenergy.system")) {
		Value v = VALUE_INIT;
		double ccl;

		if (harness_get_value(b->h, AGG, "/Info/MaxChargeCurrent", &v) &&
		    value_number(&v, &ccl) && ccl != 30)
			fail_msg("the CCL was %g A while the system service was away", ccl);
		value_clear(&v);
		g_usleep(20 * 1000);
	}
	/* Back with DVCC off: the user's limit no longer caps. */
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", ccl_capacity);
	harness_bank_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_bus_loss_ends_batagg),
	        cmocka_unit_test(test_reload_with_a_bad_hook_keeps_running),
	        cmocka_unit_test(test_virtual_battery_stays_across_reloads),
	        cmocka_unit_test(test_many_reloads_leak_nothing),
	        cmocka_unit_test(test_settings_restart),
	        cmocka_unit_test(test_system_restart_keeps_dvcc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
