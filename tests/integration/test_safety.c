/* SPDX-License-Identifier: MIT */
/*
 * Limits that stay safe whatever the batteries send: the real batagg on a
 * private bus with simulated batteries that send their changes in either
 * form, NaN, infinities and negative numbers, answer their first read late,
 * or are no BMS at all.  Each test is one way a bank limit used to come out
 * too high or invalid.
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
#define S1 "com.victronenergy.battery.ttyS1"
#define S2 "com.victronenergy.battery.ttyS2"
#define S3 "com.victronenergy.battery.ttyS3"
#define WAIT_MS 10000

/* Rack A (280 Ah) and Rack B (100 Ah): with capacity ratios 380/280 and
 * 380/100 the bank CCL is min(100 * 380/280, 50 * 3.8) = 135.71 A. */
#define RACK_A                                                                                     \
	"\"" S1 "\": {\"/Dc/0/Voltage\": 53.1, \"/Dc/0/Current\": 10.0, \"/Soc\": 80.0,"           \
	" \"/InstalledCapacity\": 280.0, \"/Info/MaxChargeCurrent\": 100.0,"                       \
	" \"/Info/MaxDischargeCurrent\": 150.0, \"/Info/MaxChargeVoltage\": 55.2,"                 \
	" \"/Io/AllowToCharge\": 1, \"/Io/AllowToDischarge\": 1, \"/System/MinCellVoltage\": "     \
	"3.30,"                                                                                    \
	" \"/System/MinVoltageCellId\": \"C3\", \"/Alarms/LowVoltage\": 0, \"/Balancing\": 0}"
#define RACK_B                                                                                     \
	"\"" S2 "\": {\"/Dc/0/Voltage\": 53.3, \"/Dc/0/Current\": 5.0, \"/Soc\": 70.0,"            \
	" \"/InstalledCapacity\": 100.0, \"/Info/MaxChargeCurrent\": 50.0,"                        \
	" \"/Info/MaxDischargeCurrent\": 100.0, \"/Info/MaxChargeVoltage\": 55.0,"                 \
	" \"/Io/AllowToCharge\": 1, \"/Io/AllowToDischarge\": 1, \"/System/MinCellVoltage\": "     \
	"3.28,"                                                                                    \
	" \"/System/MinVoltageCellId\": \"C1\", \"/Alarms/LowVoltage\": 1, \"/Balancing\": 0}"

static const char two_racks[] = "{\"dvcc\": 1, \"batteries\": {" RACK_A ", " RACK_B "}}";
static const double ccl_two = 100.0 * 380 / 280;
static const double dcl_two = 150.0 * 380 / 280;

/* Starts the simulator with scenario and batagg with config; waits for
 * the aggregate only when wait is true. */
static HarnessBank *bank_start(const char *scenario, const char *config, bool wait)
{
	return harness_bank_start(&(HarnessBankOptions){
	        .scenario = scenario, .sim_ready = {S1}, .config = config, .agg_no_wait = !wait});
}

/* Case 1: a change counts in whichever form it comes.  The CCL drops from
 * 100 A to 30 A with a PropertiesChanged after the battery has sent an
 * ItemsChanged; and a malformed ItemsChanged mutes nothing. */
static void test_every_change_counts(void **state)
{
	HarnessBank *b = bank_start(two_racks, "{}", true);

	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", ccl_two);
	harness_send(b->sim, "set " S1 " /Info/MaxChargeCurrent 90.0");
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 90.0 * 380 / 280);
	harness_send(b->sim, "props " S1 " /Info/MaxChargeCurrent 30.0");
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 30.0 * 380 / 280);
	harness_send(b->sim, "garbage " S2);
	harness_send(b->sim, "props " S2 " /Info/MaxChargeCurrent 5.0");
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 5.0 * 3.8);
	harness_send(b->sim, "props " S2 " /Soc 50.0");
	harness_expect_number(b->h, AGG, "/Soc", 65.0);
	harness_bank_free(b);
}

/* Case 2: NaN is invalid for its path, wherever the member stands in the
 * min, and the DVCC user cap still applies. */
static void test_nan_is_invalid(void **state)
{
	HarnessBank *b = bank_start(two_racks, "{}", true);

	harness_send(b->sim, "settings /Settings/SystemSetup/MaxChargeCurrent 150");
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", ccl_two);
	harness_send(b->sim, "set " S1 " /Info/MaxChargeCurrent nan");
	/* Only Rack B's limit counts: 50 * 3.8 = 190, capped by the user's 150. */
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 150);
	harness_send(b->sim, "set " S1 " /Info/MaxDischargeCurrent nan");
	harness_expect_number(b->h, AGG, "/Info/MaxDischargeCurrent", 100.0 * 3.8);
	harness_send(b->sim, "set " S1 " /Info/MaxChargeVoltage inf");
	harness_expect_number(b->h, AGG, "/Info/MaxChargeVoltage", 55.0);
	harness_send(b->sim, "set " S1 " /Info/MaxChargeCurrent 100.0");
	harness_send(b->sim, "set " S1 " /Info/MaxDischargeCurrent 150.0");
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", ccl_two);

	/* A NaN capacity: the capacity method cannot serve, count takes over;
	 * the ratios stay JSON; the CCL recovers with the capacity. */
	harness_send(b->sim, "set " S1 " /InstalledCapacity nan");
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 50.0 * 2);
	harness_expect_text(b->h, AGG, "/System/ChargeCurrentRatios", "[2, 2]");
	harness_expect_number(b->h, AGG, "/InstalledCapacity", 100.0);
	harness_send(b->sim, "set " S1 " /InstalledCapacity 280.0");
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", ccl_two);
	harness_expect_number(b->h, AGG, "/Info/MaxDischargeCurrent", dcl_two);

	/* The first member's NaN hides nobody's alarms, flags or cells. */
	harness_send(b->sim, "set " S1 " /Alarms/LowVoltage nan");
	harness_send(b->sim, "set " S1 " /Io/AllowToCharge nan");
	harness_send(b->sim, "set " S1 " /System/MinCellVoltage -inf");
	harness_send(b->sim, "set " S1 " /Dc/0/Voltage nan");
	harness_send(b->sim, "set " S1 " /Dc/0/Current inf");
	harness_expect_number(b->h, AGG, "/Alarms/LowVoltage", 1);
	harness_expect_number(b->h, AGG, "/Io/AllowToCharge", 1);
	harness_expect_number(b->h, AGG, "/System/MinCellVoltage", 3.28);
	harness_expect_text(b->h, AGG, "/System/MinVoltageCellId", "ttyS2 C1");
	harness_expect_number(b->h, AGG, "/Dc/0/Voltage", 53.3);
	harness_expect_number(b->h, AGG, "/Dc/0/Current", 5.0);
	harness_bank_free(b);
}

/* Case 3: a negative CCL refuses (0), a negative capacity is no capacity. */
static void test_negative_values(void **state)
{
	HarnessBank *b = bank_start(two_racks, "{}", true);

	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", ccl_two);
	harness_send(b->sim, "set " S1 " /Info/MaxChargeCurrent -5.0");
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 0);
	harness_send(b->sim, "set " S1 " /Info/MaxChargeCurrent 100.0");
	harness_send(b->sim, "set " S2 " /InstalledCapacity -100.0");
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 50.0 * 2);
	harness_expect_text(b->h, AGG, "/System/ChargeCurrentRatios", "[2, 2]");
	harness_send(b->sim, "set " S2 " /Info/MaxChargeVoltage -1.0");
	harness_expect_number(b->h, AGG, "/Info/MaxChargeVoltage", 55.2);
	harness_bank_free(b);
}

/* Case 4: a battery whose first read answers late: the aggregate publishes
 * no limit that could be too high meanwhile.  With count ratios the bank
 * may take 2 * 10 A; Rack A alone would say 100 A. */
static void test_no_limits_before_every_battery_is_read(void **state)
{
	static const char slow[] = "{\"dvcc\": 1, \"slow\": {\"" S2 "\": 3},"
	                           " \"batteries\": {" RACK_A ", " RACK_B "}}";
	HarnessBank *b = bank_start(slow, "{\"currentRatioMethod\": \"count\"}", false);
	gint64 until = g_get_monotonic_time() + 9 * G_USEC_PER_SEC;
	bool both = false;

	harness_send(b->sim, "set " S2 " /Info/MaxChargeCurrent 10.0");
	while (!both && g_get_monotonic_time() < until) {
		Value v = VALUE_INIT;
		double ccl;

		if (harness_get_value(b->h, AGG, "/Info/MaxChargeCurrent", &v) &&
		    value_number(&v, &ccl) && ccl > 20 + 1e-9)
			fail_msg("the bank CCL was %g A before every battery was read", ccl);
		if (harness_get_value(b->h, AGG, "/System/NrOfBatteries", &v) &&
		    value_number(&v, &ccl) && ccl == 2)
			both = true;
		value_clear(&v);
		g_usleep(20 * 1000);
	}
	assert_true(both);
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 20);

	/* After a reload the members are read again: Rack B stalls, and the
	 * aggregate holds what it had until Rack B has answered. */
	harness_send(b->sim, "stall " S2 " 3.5");
	g_usleep(200 * 1000);
	kill(b->agg, SIGHUP);
	until = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (g_get_monotonic_time() < until) {
		Value v = VALUE_INIT;
		double ccl;

		if (harness_get_value(b->h, AGG, "/Info/MaxChargeCurrent", &v) &&
		    value_number(&v, &ccl) && ccl > 20 + 1e-9)
			fail_msg("the bank CCL was %g A while a battery was read again", ccl);
		value_clear(&v);
		g_usleep(20 * 1000);
	}
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 20);
	harness_bank_free(b);
}

/* A battery that never answers its first read is not waited for forever. */
static void test_a_stuck_battery_is_not_waited_for(void **state)
{
	static const char stuck[] = "{\"dvcc\": 1, \"slow\": {\"" S2 "\": 60},"
	                            " \"batteries\": {" RACK_A ", " RACK_B "}}";
	gint64 start = g_get_monotonic_time();
	HarnessBank *b = bank_start(stuck, "{\"currentRatioMethod\": \"count\"}", false);

	assert_true(harness_wait_name(b->h, AGG, WAIT_MS));
	assert_true(g_get_monotonic_time() - start > 4 * G_USEC_PER_SEC);
	harness_expect_number(b->h, AGG, "/System/NrOfBatteries", 1);
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 100);
	harness_bank_free(b);
}

/* Case 6: a battery monitor (no CVL) shares no current.  Two 100 A
 * batteries and a forgotten shunt: 200 A, not 300 A, with count and with
 * capacity ratios. */
static void test_only_bmses_share_the_current(void **state)
{
	static const char with_shunt[] =
	        "{\"dvcc\": 1, \"batteries\": {"
	        " \"" S1 "\": {\"/Dc/0/Voltage\": 53.1, \"/InstalledCapacity\": 100.0,"
	        "  \"/Info/MaxChargeCurrent\": 100.0, \"/Info/MaxDischargeCurrent\": 100.0,"
	        "  \"/Info/MaxChargeVoltage\": 55.2},"
	        " \"" S2 "\": {\"/Dc/0/Voltage\": 53.2, \"/InstalledCapacity\": 100.0,"
	        "  \"/Info/MaxChargeCurrent\": 100.0, \"/Info/MaxDischargeCurrent\": 100.0,"
	        "  \"/Info/MaxChargeVoltage\": 55.2},"
	        " \"" S3 "\": {\"/Dc/0/Voltage\": 53.2, \"/Dc/0/Current\": -20.0,"
	        "  \"/Soc\": 60.0, \"/InstalledCapacity\": 200.0}}}";
	static const char *const configs[] = {"{\"currentRatioMethod\": \"count\"}",
	                                      "{\"currentRatioMethod\": \"capacity\"}"};

	for (size_t i = 0; i < G_N_ELEMENTS(configs); i++) {
		HarnessBank *b = bank_start(with_shunt, configs[i], true);

		print_message("# %s\n", configs[i]);
		harness_expect_number(b->h, AGG, "/System/NrOfBatteries", 3);
		harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 200);
		harness_expect_number(b->h, AGG, "/Info/MaxDischargeCurrent", 200);
		harness_expect_text(b->h, AGG, "/System/ChargeCurrentRatios", "[2, 2, null]");
		/* Its measurements still count. */
		harness_expect_number(b->h, AGG, "/Dc/0/Current", -20.0);
		/* Once it reports a CVL it is a BMS. */
		harness_send(b->sim, "setmany " S3 " {\"/Info/MaxChargeVoltage\": 55.0,"
		                     " \"/Info/MaxChargeCurrent\": 300.0}");
		harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", i == 0 ? 300 : 400);
		harness_bank_free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_every_change_counts),
	        cmocka_unit_test(test_nan_is_invalid),
	        cmocka_unit_test(test_negative_values),
	        cmocka_unit_test(test_no_limits_before_every_battery_is_read),
	        cmocka_unit_test(test_a_stuck_battery_is_not_waited_for),
	        cmocka_unit_test(test_only_bmses_share_the_current),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
