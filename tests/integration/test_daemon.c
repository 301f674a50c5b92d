/* SPDX-License-Identifier: MIT */
/*
 * The real batagg on a private bus with simulated batteries (batsim): what
 * the aggregate publishes, read with real D-Bus calls, as members change,
 * vanish and return, and as clients write to it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "bus/dbus_value.h"
#include "harness.h"

#define AGG "com.victronenergy.battery.aggregator"
#define S1 "com.victronenergy.battery.ttyS1"
#define S2 "com.victronenergy.battery.ttyS2"
#define S10 "com.victronenergy.battery.ttyS10"
#define WAIT_MS 10000

static const char scenario[] =
        "{\"dvcc\": 1, \"batteries\": {"
        " \"" S1 "\": {\"/CustomName\": \"Rack A\", \"/Dc/0/Voltage\": 53.1,"
        "  \"/Dc/0/Current\": 10.0, \"/Dc/0/Power\": 531.0, \"/Soc\": 80.0,"
        "  \"/InstalledCapacity\": 280.0, \"/Info/MaxChargeCurrent\": 100.0,"
        "  \"/Info/MaxDischargeCurrent\": 150.0, \"/Info/MaxChargeVoltage\": 55.2,"
        "  \"/Io/AllowToCharge\": 1, \"/Io/AllowToDischarge\": 1,"
        "  \"/System/MinCellVoltage\": 3.30, \"/System/MinVoltageCellId\": \"C3\","
        "  \"/Alarms/LowVoltage\": 0, \"/Balancing\": 0},"
        " \"" S2 "\": {\"/CustomName\": \"\", \"/Dc/0/Voltage\": 53.3,"
        "  \"/Dc/0/Current\": 5.0, \"/Dc/0/Power\": 266.5, \"/Soc\": 70.0,"
        "  \"/InstalledCapacity\": 100.0, \"/Info/MaxChargeCurrent\": 50.0,"
        "  \"/Info/MaxDischargeCurrent\": 100.0, \"/Info/MaxChargeVoltage\": 55.0,"
        "  \"/Io/AllowToCharge\": 1, \"/Io/AllowToDischarge\": 1,"
        "  \"/System/MinCellVoltage\": 3.28, \"/System/MinVoltageCellId\": \"C1\","
        "  \"/Alarms/LowVoltage\": 1, \"/Balancing\": 0}}}";

static HarnessBank *bank_new(const char *config, const char *sim_flag)
{
	return harness_bank_start(&(HarnessBankOptions){
	        .scenario = scenario, .sim_flag = sim_flag, .sim_ready = {S1}, .config = config});
}

/* Finds key in an a{sv} dict reply (possibly wrapped in a variant). */
static bool dict_has(DBusMessage *reply, const char *key, Value *out)
{
	DBusMessageIter it, dict, entry;

	if (!reply || dbus_message_get_type(reply) != DBUS_MESSAGE_TYPE_METHOD_RETURN)
		return false;
	dbus_message_iter_init(reply, &it);
	if (dbus_message_iter_get_arg_type(&it) == DBUS_TYPE_VARIANT) {
		DBusMessageIter inner;

		dbus_message_iter_recurse(&it, &inner);
		it = inner;
	}
	if (dbus_message_iter_get_arg_type(&it) != DBUS_TYPE_ARRAY)
		return false;
	dbus_message_iter_recurse(&it, &dict);
	while (dbus_message_iter_get_arg_type(&dict) == DBUS_TYPE_DICT_ENTRY) {
		const char *k;

		dbus_message_iter_recurse(&dict, &entry);
		dbus_message_iter_get_basic(&entry, &k);
		if (strcmp(k, key) == 0) {
			dbus_message_iter_next(&entry);
			if (out)
				dbus_value_read(&entry, out);
			return true;
		}
		dbus_message_iter_next(&dict);
	}
	return false;
}

static void test_publishes_the_aggregate(void **state)
{
	HarnessBank *b = bank_new("{}", NULL);
	DBusMessage *reply;
	Value v = VALUE_INIT;
	char *text;

	harness_expect_number(b->h, AGG, "/Dc/0/Current", 15.0);
	harness_expect_number(b->h, AGG, "/Dc/0/Voltage", 53.2);
	harness_expect_number(b->h, AGG, "/Soc", 75.0);
	harness_expect_number(b->h, AGG, "/InstalledCapacity", 380.0);
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 100.0 * 380 / 280);
	harness_expect_number(b->h, AGG, "/Info/MaxChargeVoltage", 55.0);
	harness_expect_number(b->h, AGG, "/Alarms/LowVoltage", 1);
	harness_expect_number(b->h, AGG, "/DeviceInstance", 1024);
	harness_expect_number(b->h, AGG, "/Connected", 1);
	harness_expect_text(b->h, AGG, "/ProductName", "Battery Aggregator");
	harness_expect_text(b->h, AGG, "/System/MinVoltageCellId", "ttyS2 C1");
	harness_expect_text(b->h, AGG, "/System/Batteries", "[\"" S1 "\", \"" S2 "\"]");
	assert_true(harness_get_value(b->h, AGG, "/TimeToGo", &v));
	assert_int_equal(v.type, VALUE_INVALID);

	text = harness_get_text(b->h, AGG, "/Dc/0/Voltage");
	assert_string_equal(text, "53.200V");
	g_free(text);
	text = harness_get_text(b->h, AGG, "/TimeToGo");
	assert_string_equal(text, "---");
	g_free(text);

	/* "/" answers with every leaf, keyed without the leading slash. */
	reply = harness_call(b->h, AGG, "/", "GetValue");
	assert_true(dict_has(reply, "Dc/0/Current", &v));
	assert_int_equal(v.type, VALUE_DOUBLE);
	assert_true(fabs(v.u.d - 15.0) < 1e-9);
	assert_true(dict_has(reply, "Mgmt/ProcessVersion", NULL));
	dbus_message_unref(reply);
	/* An intermediate node answers with its sub-tree, keys relative to it. */
	reply = harness_call(b->h, AGG, "/Dc/0", "GetValue");
	assert_true(dict_has(reply, "Voltage", NULL));
	assert_false(dict_has(reply, "Soc", NULL));
	dbus_message_unref(reply);
	reply = harness_call(b->h, AGG, "/", "GetItems");
	assert_true(dict_has(reply, "/Info/MaxChargeCurrent", NULL));
	dbus_message_unref(reply);
	reply = harness_call(b->h, AGG, "/No/Such/Path", "GetValue");
	assert_non_null(reply);
	assert_int_equal(dbus_message_get_type(reply), DBUS_MESSAGE_TYPE_ERROR);
	dbus_message_unref(reply);
	value_clear(&v);
	harness_bank_free(b);
}

static void test_members_change_vanish_and_join(void **state)
{
	HarnessBank *b = bank_new("{}", NULL);

	harness_send(b->sim, "set " S1 " /Dc/0/Current 20.0");
	harness_expect_number(b->h, AGG, "/Dc/0/Current", 25.0);
	harness_send(b->sim, "setmany " S2 " {\"/Balancing\": 1, \"/Soc\": 60.0}");
	harness_expect_number(b->h, AGG, "/Balancing", 1);
	harness_expect_number(b->h, AGG, "/Soc", 70.0);
	harness_expect_number(b->h, AGG, "/Info/MaxChargeVoltage", 55.2);
	harness_send(b->sim, "set " S2 " /Io/AllowToCharge 0");
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 100.0);

	/* Gone without invalidating its values first. */
	harness_send(b->sim, "remove " S2);
	harness_expect_number(b->h, AGG, "/System/NrOfBatteries", 1);
	harness_expect_number(b->h, AGG, "/Dc/0/Voltage", 53.1);
	harness_expect_number(b->h, AGG, "/Alarms/LowVoltage", 0);
	harness_expect_text(b->h, AGG, "/System/MinVoltageCellId", "Rack A C3");

	harness_send(b->sim, "add " S10 " {\"/Dc/0/Voltage\": 53.2, \"/Dc/0/Current\": 3.0,"
	                     " \"/InstalledCapacity\": 100.0, \"/Info/MaxChargeCurrent\": 40.0,"
	                     " \"/Info/MaxChargeVoltage\": 55.0, \"/Io/AllowToCharge\": 1}");

	harness_expect_number(b->h, AGG, "/System/NrOfBatteries", 2);
	harness_expect_number(b->h, AGG, "/Dc/0/Current", 23.0);
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 100.0 * 380 / 280);

	/* Older publishers send only PropertiesChanged. */
	harness_send(b->sim, "props " S10 " /Dc/0/Current 4.0");
	harness_expect_number(b->h, AGG, "/Dc/0/Current", 24.0);
	harness_bank_free(b);
}

static void test_wrong_types_never_crash(void **state)
{
	HarnessBank *b = bank_new("{}", NULL);
	Value v = VALUE_INIT;

	harness_send(b->sim, "set " S2 " /Dc/0/Voltage \"fifty\"");
	harness_expect_number(b->h, AGG, "/Dc/0/Voltage", 53.1);
	harness_send(b->sim, "set " S2 " /Dc/0/Voltage [1, 2]");
	harness_send(b->sim, "set " S2 " /Soc {\"a\": 1}");
	harness_send(b->sim, "set " S2 " /Info/MaxChargeCurrent true");
	harness_expect_number(b->h, AGG, "/Soc", 80.0);
	harness_send(b->sim, "set " S2 " /Dc/0/Voltage 53");
	harness_expect_number(b->h, AGG, "/Dc/0/Voltage", 53.05);
	assert_true(harness_get_value(b->h, AGG, "/Dc/0/Current", &v));
	value_clear(&v);
	harness_bank_free(b);
}

/* A member gone while it is being read, or right after it came: no crash,
 * no stale member. */
static void test_vanishing_mid_read(void **state)
{
	HarnessBank *b = bank_new("{}", NULL);

	for (int i = 0; i < 20; i++) {
		harness_send(b->sim,
		             "add " S10 " {\"/Dc/0/Voltage\": 52.0, \"/Dc/0/Current\": 100.0}");
		harness_send(b->sim, "remove " S10);
	}
	harness_send(b->sim, "set " S1 " /Dc/0/Current 11.0");
	harness_expect_number(b->h, AGG, "/Dc/0/Current", 16.0);
	harness_expect_number(b->h, AGG, "/System/NrOfBatteries", 2);
	harness_expect_text(b->h, AGG, "/System/Batteries", "[\"" S1 "\", \"" S2 "\"]");
	harness_bank_free(b);
}

/* Calls with the wrong arguments get an error, not a crash. */
static void test_bad_calls(void **state)
{
	HarnessBank *b = bank_new("{}", NULL);
	DBusMessage *msg =
	        dbus_message_new_method_call(AGG, "/Soc", "com.victronenergy.BusItem", "GetValue");
	const char *extra = "surprise";
	DBusMessage *reply;

	dbus_message_append_args(msg, DBUS_TYPE_STRING, &extra, DBUS_TYPE_INVALID);
	reply = dbus_connection_send_with_reply_and_block(harness_conn(b->h), msg, 5000, NULL);
	assert_null(reply);
	dbus_message_unref(msg);
	msg = dbus_message_new_method_call(AGG, "/CustomName", NULL, "SetValue");
	reply = dbus_connection_send_with_reply_and_block(harness_conn(b->h), msg, 5000, NULL);
	assert_null(reply);
	dbus_message_unref(msg);
	harness_expect_number(b->h, AGG, "/Soc", 75.0);
	harness_bank_free(b);
}

static void test_writes(void **state)
{
	HarnessBank *b = bank_new("{}", NULL);
	Value name = value_text("Bank One");
	Value number = value_int(3);
	Value level = value_text("DEBUG");
	Value bad_level = value_text("LOUD");
	Value volts = value_double(1.0);

	assert_int_equal(harness_set_value(b->h, AGG, "/CustomName", &name), 0);
	harness_expect_text(b->h, AGG, "/CustomName", "Bank One");
	/* Persisted in localsettings under the Python daemon's path. */
	assert_true(harness_wait_value(b->h, "com.victronenergy.settings",
	                               "/Settings/Battery/aggregator/CustomName", &name, WAIT_MS));
	assert_int_not_equal(harness_set_value(b->h, AGG, "/CustomName", &number), 0);
	harness_expect_text(b->h, AGG, "/CustomName", "Bank One");
	assert_int_not_equal(harness_set_value(b->h, AGG, "/Dc/0/Voltage", &volts), 0);
	harness_expect_number(b->h, AGG, "/Dc/0/Voltage", 53.2);
	assert_int_equal(harness_set_value(b->h, AGG, "/LogLevel", &level), 0);
	harness_expect_text(b->h, AGG, "/LogLevel", "DEBUG");
	assert_int_not_equal(harness_set_value(b->h, AGG, "/LogLevel", &bad_level), 0);
	harness_expect_text(b->h, AGG, "/LogLevel", "DEBUG");
	assert_int_not_equal(harness_set_value(b->h, AGG, "/", &volts), 0);
	value_clear(&name);
	value_clear(&level);
	value_clear(&bad_level);
	harness_bank_free(b);
}

static void test_dvcc_and_user_limit(void **state)
{
	HarnessBank *b = bank_new("{}", NULL);

	harness_send(b->sim, "settings /Settings/SystemSetup/MaxChargeCurrent 30");
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 30);
	harness_send(b->sim, "system /Control/Dvcc 0");
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 100.0 * 380 / 280);
	harness_send(b->sim, "settings /Settings/SystemSetup/MaxChargeVoltage 54.0");
	harness_expect_number(b->h, AGG, "/Info/MaxChargeVoltage", 55.0);
	harness_send(b->sim, "system /Control/Dvcc 1");
	harness_expect_number(b->h, AGG, "/Info/MaxChargeVoltage", 54.0);
	harness_bank_free(b);
}

static void test_excluded_is_matched_exactly(void **state)
{
	HarnessBank *b = bank_new("{\"excludedServices\": [\"" S1 "\"]}", NULL);

	harness_send(b->sim, "add " S10 " {\"/Dc/0/Voltage\": 52.0}");
	harness_expect_text(b->h, AGG, "/System/Batteries", "[\"" S2 "\", \"" S10 "\"]");
	harness_expect_number(b->h, AGG, "/Dc/0/Voltage", (53.3 + 52.0) / 2);
	harness_bank_free(b);
}

/* "name:X" names the battery whose /CustomName is X, also one that appears
 * later. */
static void test_custom_names(void **state)
{
	HarnessBank *b = bank_new("{\"excludedServices\": [\"name:Rack A\"],"
	                          " \"primaryServices\": {\"name:Shunt\": [\"/Soc\"]}}",
	                          NULL);

	harness_expect_text(b->h, AGG, "/System/Batteries", "[\"" S2 "\"]");
	harness_expect_number(b->h, AGG, "/Soc", 70.0);
	harness_send(b->sim, "add " S10 " {\"/CustomName\": \"Shunt\", \"/Soc\": 55.5}");
	harness_expect_number(b->h, AGG, "/Soc", 55.5);
	harness_expect_text(b->h, AGG, "/System/Batteries", "[\"" S2 "\"]");
	harness_bank_free(b);
}

static void test_reconnect_timeout_keeps_the_member(void **state)
{
	HarnessBank *b = bank_new("{\"reconnectTimeout\": 30}", NULL);

	harness_send(b->sim, "remove " S2);
	/* Still a member with its last values while it may come back. */
	g_usleep(500 * 1000);
	harness_expect_number(b->h, AGG, "/System/NrOfBatteries", 2);
	harness_expect_number(b->h, AGG, "/Dc/0/Voltage", 53.2);
	harness_send(b->sim, "add " S2 " {\"/Dc/0/Voltage\": 53.5}");
	/* Its fresh values replace the kept ones at once. */
	harness_expect_number(b->h, AGG, "/Dc/0/Voltage", 53.3);
	harness_expect_number(b->h, AGG, "/Dc/0/Current", 10.0);
	harness_expect_number(b->h, AGG, "/System/NrOfBatteries", 2);
	harness_bank_free(b);
}

static void test_without_localsettings(void **state)
{
	HarnessBank *b = bank_new("{}", "--no-settings");

	harness_expect_number(b->h, AGG, "/DeviceInstance", 1024);
	harness_expect_text(b->h, AGG, "/CustomName", "");
	harness_expect_number(b->h, AGG, "/Dc/0/Current", 15.0);
	harness_bank_free(b);
}

static void test_sigterm_releases_the_name(void **state)
{
	HarnessBank *b = bank_new("{}", NULL);
	int status = harness_terminate(b->h, b->agg, WAIT_MS);

	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_false(harness_has_name(b->h, AGG));
	harness_bank_free(b);
}

static void test_gives_up_without_batteries(void **state)
{
	HarnessBank *b = harness_bank_start(
	        &(HarnessBankOptions){.scenario = "{\"batteries\": {\"" S1 "\": {\"/Soc\": 50.0}}}",
	                              .sim_ready = {S1},
	                              .config = "{\"startupBatteryWait\": 2}",
	                              .agg_no_wait = true});
	int status;

	g_usleep(4500 * 1000);
	assert_false(harness_has_name(b->h, AGG));
	status = harness_terminate(b->h, b->agg, WAIT_MS);
	assert_true(WIFEXITED(status));
	assert_int_not_equal(WEXITSTATUS(status), 0);
	harness_bank_free(b);
}

/* SIGHUP: a valid config is applied without dropping the bus name; a bad
 * one is refused and the running config kept. */
static void test_reload(void **state)
{
	HarnessBank *b = bank_new("{}", NULL);

	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 100.0 * 380 / 280);
	harness_write_file(b->h, "config.json", "{\"currentRatioMethod\": \"count\"}");
	kill(b->agg, SIGHUP);
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 100.0);
	assert_true(harness_has_name(b->h, AGG));

	harness_write_file(b->h, "config.json", "{\"currentRatioMethod\": ");
	kill(b->agg, SIGHUP);
	g_usleep(1000 * 1000);
	assert_true(harness_has_name(b->h, AGG));
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 100.0);

	harness_write_file(b->h, "config.json",
	                   "{\"virtualBatteries\": {\"com.victronenergy.battery.v1\": [\"" S2
	                   "\"]}}");
	kill(b->agg, SIGHUP);
	assert_true(harness_wait_name(b->h, "com.victronenergy.battery.v1", WAIT_MS));
	/* ttyS2 now belongs to the virtual battery, which is a member. */
	harness_expect_text(b->h, AGG, "/System/Batteries",
	                    "[\"" S1 "\", \"com.victronenergy.battery.v1\"]");
	assert_true(harness_wait_number(b->h, "com.victronenergy.battery.v1", "/Dc/0/Voltage", 53.3,
	                                WAIT_MS));
	assert_true(harness_has_name(b->h, AGG));
	harness_bank_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_publishes_the_aggregate),
	        cmocka_unit_test(test_members_change_vanish_and_join),
	        cmocka_unit_test(test_wrong_types_never_crash),
	        cmocka_unit_test(test_vanishing_mid_read),
	        cmocka_unit_test(test_bad_calls),
	        cmocka_unit_test(test_writes),
	        cmocka_unit_test(test_dvcc_and_user_limit),
	        cmocka_unit_test(test_excluded_is_matched_exactly),
	        cmocka_unit_test(test_custom_names),
	        cmocka_unit_test(test_reconnect_timeout_keeps_the_member),
	        cmocka_unit_test(test_without_localsettings),
	        cmocka_unit_test(test_sigterm_releases_the_name),
	        cmocka_unit_test(test_gives_up_without_batteries),
	        cmocka_unit_test(test_reload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
