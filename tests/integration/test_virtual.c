/* SPDX-License-Identifier: MIT */
/*
 * Virtual batteries and hooks (SPEC.md section 6) with the real batagg on a
 * private bus: precedence per path, path lists, members leaving and
 * returning, each hook (a fixed value over every member, a charging limit
 * that holds), and one process serving every service.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <signal.h>
#include <string.h>

#include "harness.h"

#define AGG "com.victronenergy.battery.aggregator"
#define BMS "com.victronenergy.battery.bms"
#define SHUNT "com.victronenergy.battery.shunt"
#define OTHER "com.victronenergy.battery.other"
#define V1 "com.victronenergy.battery.virtual1"
#define V2 "com.victronenergy.battery.virtual2"
#define WAIT_MS 10000

static const char scenario[] =
        "{\"batteries\": {"
        " \"" BMS "\": {\"/Dc/0/Voltage\": 52.0, \"/Dc/0/Current\": 1.0, \"/Soc\": 90.0,"
        "  \"/Info/MaxChargeCurrent\": 100.0, \"/Dc/0/Temperature\": 20.0,"
        "  \"/Info/MaxChargeVoltage\": 55.0},"
        " \"" SHUNT "\": {\"/Dc/0/Voltage\": 52.1, \"/Dc/0/Current\": 12.5, \"/Soc\": 61.0},"
        " \"" OTHER "\": {\"/Dc/0/Voltage\": 52.4, \"/Dc/0/Current\": 2.0, \"/Soc\": 50.0}}}";

/* The Python daemon's hook test: a 12 V battery with a CCL of 20 A. */
static const char scenario_12v[] =
        "{\"batteries\": {"
        " \"" BMS "\": {\"/Dc/0/Voltage\": 11.9, \"/Dc/0/Current\": 1.0, \"/Soc\": 50.0,"
        "  \"/Info/MaxChargeCurrent\": 20.0, \"/Info/MaxChargeVoltage\": 14.2}}}";

static HarnessBank *setup_with(const char *scenario_text, const char *config)
{
	return harness_bank_start(&(HarnessBankOptions){.scenario = scenario_text,
	                                                .sim_ready = {BMS},
	                                                .config = config,
	                                                .agg_ready = {V1, AGG}});
}

static HarnessBank *setup_new(const char *config)
{
	return setup_with(scenario, config);
}

/* The value a path has now, with no waiting: a number close to x. */
static void expect_now(HarnessBank *s, const char *service, const char *path, double x)
{
	Value v = VALUE_INIT;
	double got = NAN;

	assert_true(harness_get_value(s->h, service, path, &v));
	if (!value_number(&v, &got) || fabs(got - x) > 1e-9 * fmax(1, fabs(x)))
		fail_msg("%s %s is %.12g, not %.12g", service, path, got, x);
	value_clear(&v);
}

static void test_object_form_path_lists(void **state)
{
	HarnessBank *s =
	        setup_new("{\"virtualBatteries\": {\"" V1 "\": {"
	                  " \"" SHUNT "\": [\"/Soc\", \"/Dc/0/Current\"], \"" BMS "\": []}}}");

	harness_expect_number(s->h, V1, "/Soc", 61.0);
	harness_expect_number(s->h, V1, "/Dc/0/Current", 12.5);
	harness_expect_number(s->h, V1, "/Dc/0/Voltage", 52.0);
	harness_expect_number(s->h, V1, "/Info/MaxChargeCurrent", 100.0);
	harness_expect_text(s->h, V1, "/ProductName", "Virtual Battery");
	harness_expect_text(s->h, V1, "/System/Batteries", "[\"" SHUNT "\", \"" BMS "\"]");
	/* The aggregate sees the virtual battery, not its members. */
	harness_expect_text(s->h, AGG, "/System/Batteries", "[\"" OTHER "\", \"" V1 "\"]");
	harness_expect_number(s->h, AGG, "/Dc/0/Current", 14.5);

	/* The first member's value invalid: the next one's counts. */
	harness_send(s->sim, "set " SHUNT " /Soc null");
	harness_expect_number(s->h, V1, "/Soc", 90.0);
	/* A member leaving and returning. */
	harness_send(s->sim, "remove " SHUNT);
	harness_expect_number(s->h, V1, "/Dc/0/Current", 1.0);
	harness_expect_text(s->h, V1, "/System/Batteries", "[\"" BMS "\"]");
	harness_send(s->sim, "add " SHUNT " {\"/Dc/0/Current\": -3.0, \"/Soc\": 40.0}");
	harness_expect_number(s->h, V1, "/Dc/0/Current", -3.0);
	harness_expect_number(s->h, V1, "/Soc", 40.0);
	harness_bank_free(s);
}

static void test_array_form_and_all_absent(void **state)
{
	HarnessBank *s =
	        setup_new("{\"virtualBatteries\": {\"" V1 "\": [\"" SHUNT "\", \"" BMS "\"],"
	                  " \"" V2 "\": [\"com.victronenergy.battery.nobody\"]}}");
	Value v = VALUE_INIT;

	harness_expect_number(s->h, V1, "/Dc/0/Voltage", 52.1);
	harness_expect_number(s->h, V1, "/Info/MaxChargeCurrent", 100.0);
	/* A virtual battery whose members are all absent stays, invalid. */
	assert_true(harness_wait_name(s->h, V2, WAIT_MS));
	assert_true(harness_get_value(s->h, V2, "/Dc/0/Voltage", &v));
	assert_int_equal(v.type, VALUE_INVALID);
	harness_expect_text(s->h, V2, "/System/Batteries", "[]");
	value_clear(&v);
	harness_bank_free(s);
}

static void test_hooks(void **state)
{
	HarnessBank *s = setup_new(
	        "{\"virtualBatteries\": {\"" V1 "\": [\"class:hooks.FixedValueHook#soc\","
	        " \"class:hooks.CustomChargingHook\", \"" BMS "\","
	        " \"class:hooks.FixedValueHook#cvl\", \"class:hooks.TemperatureChargingHook\"]},"
	        " \"classes\": {"
	        "  \"hooks.FixedValueHook#soc\": {\"path\": \"/Soc\", \"value\": 55},"
	        "  \"hooks.FixedValueHook#cvl\": {\"path\": \"/Info/MaxChargeVoltage\", "
	        "\"value\": 54.0},"
	        "  \"hooks.CustomChargingHook\": {\"ccls\": {\"50\": 80, \"53\": 20}},"
	        "  \"hooks.TemperatureChargingHook\": {\"dcls\": {\"0\": 10, \"15\": 200}}}}");

	harness_expect_number(s->h, V1, "/Soc", 55);
	harness_expect_number(s->h, V1, "/Info/MaxChargeCurrent", 80);
	/* A fixed value wins over the BMS listed before it. */
	harness_expect_number(s->h, V1, "/Info/MaxChargeVoltage", 54.0);
	harness_expect_number(s->h, V1, "/Info/MaxDischargeCurrent", 200);
	harness_send(s->sim,
	             "setmany " BMS " {\"/Dc/0/Voltage\": 53.5, \"/Info/MaxChargeVoltage\": null,"
	             " \"/Dc/0/Temperature\": 5.0}");
	harness_expect_number(s->h, V1, "/Info/MaxChargeCurrent", 20);
	harness_expect_number(s->h, V1, "/Info/MaxChargeVoltage", 54.0);
	harness_expect_number(s->h, V1, "/Info/MaxDischargeCurrent", 10);
	harness_bank_free(s);
}

/* As in the Python daemon, a FixedValueHook holds its path wherever it is
 * listed: a fixed CVL below the BMS's, the hook after the BMS.  The fixed
 * value is sanitized like any: a CVL of 0 V is no CVL, and the BMS's comes
 * through. */
static void test_fixed_value_over_the_bms_before_it(void **state)
{
	HarnessBank *s =
	        setup_new("{\"virtualBatteries\": {"
	                  "  \"" V1 "\": [\"" BMS "\", \"class:hooks.FixedValueHook#cvl\"],"
	                  "  \"" V2 "\": [\"" BMS "\", \"class:hooks.FixedValueHook#zero\"]},"
	                  " \"classes\": {"
	                  "  \"hooks.FixedValueHook#cvl\": {\"path\": \"/Info/MaxChargeVoltage\", "
	                  "\"value\": 54.0},"
	                  "  \"hooks.FixedValueHook#zero\": {\"path\": \"/Info/MaxChargeVoltage\", "
	                  "\"value\": 0}}}");

	assert_true(harness_wait_name(s->h, V2, WAIT_MS));
	harness_expect_number(s->h, V2, "/Info/MaxChargeVoltage", 55.0);
	harness_expect_number(s->h, V1, "/Info/MaxChargeVoltage", 54.0);
	expect_now(s, V1, "/Info/MaxChargeCurrent", 100.0);
	/* The BMS's CVL changes, then goes: the fixed one stays. */
	harness_send(s->sim, "set " BMS " /Info/MaxChargeVoltage 56.0");
	harness_expect_number(s->h, V2, "/Info/MaxChargeVoltage", 56.0);
	expect_now(s, V1, "/Info/MaxChargeVoltage", 54.0);
	harness_send(s->sim, "set " BMS " /Info/MaxChargeVoltage null");
	harness_expect_number(s->h, V2, "/Info/MaxChargeVoltage", NAN);
	expect_now(s, V1, "/Info/MaxChargeVoltage", 54.0);
	harness_bank_free(s);
}

/* The Python daemon's hook test ({"ccls": {"13": 15, "12": 10}}, the hook
 * before the battery, whose CCL is 20 A), continued: started at 11.9 V
 * the hook has given nothing, so the battery's 20 A counts; 12.6 V gives
 * 10 A, and 10 A holds at 11.9 V and without a voltage until another
 * threshold matches.  A reload starts the hook again: 20 A. */
static void test_charging_limit_holds(void **state)
{
	static const char config[] = "{\"virtualBatteries\": {\"" V1
	                             "\": [\"class:hooks.CustomChargingHook\", \"" BMS "\"]},"
	                             " \"classes\": {\"hooks.CustomChargingHook\": {\"ccls\": "
	                             "{\"13\": 15, \"12\": 10}}}}";
	HarnessBank *s = setup_with(scenario_12v, config);

	harness_expect_number(s->h, V1, "/Dc/0/Voltage", 11.9);
	harness_expect_number(s->h, V1, "/Info/MaxChargeCurrent", 20.0);
	harness_send(s->sim, "set " BMS " /Dc/0/Voltage 12.6");
	harness_expect_number(s->h, V1, "/Dc/0/Voltage", 12.6);
	expect_now(s, V1, "/Info/MaxChargeCurrent", 10.0);
	harness_send(s->sim, "set " BMS " /Dc/0/Voltage 11.9");
	harness_expect_number(s->h, V1, "/Dc/0/Voltage", 11.9);
	expect_now(s, V1, "/Info/MaxChargeCurrent", 10.0);
	harness_send(s->sim, "set " BMS " /Dc/0/Voltage null");
	harness_expect_number(s->h, V1, "/Dc/0/Voltage", NAN);
	expect_now(s, V1, "/Info/MaxChargeCurrent", 10.0);
	harness_send(s->sim, "set " BMS " /Dc/0/Voltage 11.9");
	harness_expect_number(s->h, V1, "/Dc/0/Voltage", 11.9);
	expect_now(s, V1, "/Info/MaxChargeCurrent", 10.0);
	harness_write_file(s->h, "config.json", config);
	kill(s->agg, SIGHUP);
	harness_expect_number(s->h, V1, "/Info/MaxChargeCurrent", 20.0);
	harness_bank_free(s);
}

static unsigned pid_of(HarnessBank *s, const char *name)
{
	DBusMessage *msg =
	        dbus_message_new_method_call("org.freedesktop.DBus", "/org/freedesktop/DBus",
	                                     "org.freedesktop.DBus", "GetConnectionUnixProcessID");
	DBusMessage *reply;
	dbus_uint32_t pid = 0;

	dbus_message_append_args(msg, DBUS_TYPE_STRING, &name, DBUS_TYPE_INVALID);
	reply = dbus_connection_send_with_reply_and_block(harness_conn(s->h), msg, 5000, NULL);
	dbus_message_unref(msg);
	assert_non_null(reply);
	assert_true(dbus_message_get_args(reply, NULL, DBUS_TYPE_UINT32, &pid, DBUS_TYPE_INVALID));
	dbus_message_unref(reply);
	return pid;
}

static void test_one_process_serves_all(void **state)
{
	HarnessBank *s = setup_new("{\"virtualBatteries\": {\"" V1 "\": [\"" BMS "\"],"
	                           " \"" V2 "\": [\"" SHUNT "\"]}}");

	assert_true(harness_wait_name(s->h, V2, WAIT_MS));
	assert_int_equal(pid_of(s, AGG), (unsigned)s->agg);
	assert_int_equal(pid_of(s, V1), (unsigned)s->agg);
	assert_int_equal(pid_of(s, V2), (unsigned)s->agg);
	harness_expect_number(s->h, AGG, "/System/NrOfBatteries", 3);
	/* Device instances: 1056 plus the first byte of SHA-1("virtual1"). */
	harness_expect_number(s->h, V1, "/DeviceInstance", 1056 + 0xa1);
	harness_bank_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_object_form_path_lists),
	        cmocka_unit_test(test_array_form_and_all_absent),
	        cmocka_unit_test(test_hooks),
	        cmocka_unit_test(test_fixed_value_over_the_bms_before_it),
	        cmocka_unit_test(test_charging_limit_holds),
	        cmocka_unit_test(test_one_process_serves_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
