/* SPDX-License-Identifier: MIT */
/*
 * Limits users can read, with the real batagg on a private bus: every form
 * of /Info/ChargeLimitation, /Info/DischargeLimitation and
 * /Info/ChargeVoltageLimitation as the inputs change; expectedBatteries
 * raising /Alarms/BmsCable and clearing it; the SoC of the packs that can
 * discharge; a time to go computed from the remaining Ah.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "harness.h"

#define B "com.victronenergy.battery."
#define AGG B "aggregator"
#define S1 B "ttyS1"
#define S2 B "ttyS2"
#define S3 B "ttyS3"
#define CHARGE "/Info/ChargeLimitation"
#define DISCHARGE "/Info/DischargeLimitation"
#define VOLTAGE "/Info/ChargeVoltageLimitation"
#define WAIT_MS 10000

/* Rack A 280 Ah, 100 A; Rack B 100 Ah, 50 A: by capacity the CCL is
 * min(100 * 380/280, 50 * 3.8) = 135.7 A, Rack A's. */
#define RACK_A                                                                                     \
	"\"" S1 "\": {\"/CustomName\": \"Rack A\", \"/Dc/0/Voltage\": 53.1, \"/Dc/0/Current\": "   \
	"-10.0, \"/Soc\": 80.0, \"/Capacity\": 200.0, \"/InstalledCapacity\": 280.0,"              \
	" \"/Info/MaxChargeCurrent\": 100.0, \"/Info/MaxDischargeCurrent\": 150.0,"                \
	" \"/Info/MaxChargeVoltage\": 55.2, \"/Io/AllowToCharge\": 1, \"/Io/AllowToDischarge\": "  \
	"1, \"/Balancing\": 0}"
#define RACK_B                                                                                     \
	"\"" S2 "\": {\"/CustomName\": \"Rack B\", \"/Dc/0/Voltage\": 53.3, \"/Dc/0/Current\": "   \
	"-15.0, \"/Soc\": 70.0, \"/Capacity\": 50.0, \"/InstalledCapacity\": 100.0,"               \
	" \"/Info/MaxChargeCurrent\": 50.0, \"/Info/MaxDischargeCurrent\": 100.0,"                 \
	" \"/Info/MaxChargeVoltage\": 55.0, \"/Io/AllowToCharge\": 1, \"/Io/AllowToDischarge\": "  \
	"1, \"/Balancing\": 0}"
#define RACK_C                                                                                     \
	"{\"/CustomName\": \"Rack C\", \"/Dc/0/Voltage\": 53.2, \"/Dc/0/Current\": 1.0,"           \
	" \"/Soc\": 75.0, \"/InstalledCapacity\": 100.0, \"/Info/MaxChargeCurrent\": 50.0,"        \
	" \"/Info/MaxDischargeCurrent\": 100.0, \"/Info/MaxChargeVoltage\": 55.0}"

static const char two_racks[] = "{\"dvcc\": 1, \"batteries\": {" RACK_A ", " RACK_B "}}";

static HarnessBank *bank_start(const char *config)
{
	return harness_bank_start(
	        &(HarnessBankOptions){.scenario = two_racks, .sim_ready = {S2}, .config = config});
}

static void test_charge_and_discharge_texts(void **state)
{
	HarnessBank *b = bank_start("{\"currentRatioMethod\": \"capacity\"}");

	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 100.0 * 380 / 280);
	harness_expect_text(b->h, AGG, CHARGE, "Rack A 100 A × 1.36 (capacity)");
	harness_expect_text(b->h, AGG, DISCHARGE, "Rack A 150 A × 1.36 (capacity)");
	/* The DVCC user limit below the batteries'. */
	harness_send(b->sim, "settings /Settings/SystemSetup/MaxChargeCurrent 60");
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 60);
	harness_expect_text(b->h, AGG, CHARGE, "DVCC limit 60 A");
	harness_send(b->sim, "settings /Settings/SystemSetup/MaxChargeCurrent -1");
	harness_expect_text(b->h, AGG, CHARGE, "Rack A 100 A × 1.36 (capacity)");
	/* One refuses: the other takes it all. */
	harness_send(b->sim, "set " S1 " /Io/AllowToCharge 0");
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 50);
	harness_expect_text(b->h, AGG, CHARGE, "Rack A refuses; Rack B 50 A × 1.00 (capacity)");
	/* Both refuse. */
	harness_send(b->sim, "set " S2 " /Io/AllowToCharge 0");
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 0);
	harness_expect_text(b->h, AGG, CHARGE, "all batteries refuse charge");
	/* None reports a limit (the DCL: neither reports one any more). */
	harness_send(b->sim, "set " S1 " /Info/MaxDischargeCurrent null");
	harness_send(b->sim, "set " S2 " /Info/MaxDischargeCurrent null");
	harness_expect_text(b->h, AGG, DISCHARGE, "no battery reports a limit");
	harness_bank_free(b);
}

static void test_the_method_that_gave_the_ratio(void **state)
{
	HarnessBank *b = bank_start("{\"currentRatioMethod\": \"count\"}");

	/* count: min(100, 50) * 2, Rack B's. */
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 100);
	harness_expect_text(b->h, AGG, CHARGE, "Rack B 50 A × 2.00 (count)");
	harness_bank_free(b);
}

static void test_voltage_texts(void **state)
{
	HarnessBank *b = bank_start("{}");

	/* max_when_balancing, nobody balancing: the lowest CVL. */
	harness_expect_number(b->h, AGG, "/Info/MaxChargeVoltage", 55.0);
	harness_expect_text(b->h, AGG, VOLTAGE,
	                    "Rack B 55.00 V (max_when_balancing, not balancing)");
	harness_send(b->sim, "set " S1 " /Balancing 1");
	harness_expect_number(b->h, AGG, "/Info/MaxChargeVoltage", 55.2);
	harness_expect_text(b->h, AGG, VOLTAGE, "Rack A 55.20 V (max_when_balancing, balancing)");
	harness_send(b->sim, "settings /Settings/SystemSetup/MaxChargeVoltage 54.5");
	harness_expect_number(b->h, AGG, "/Info/MaxChargeVoltage", 54.5);
	harness_expect_text(b->h, AGG, VOLTAGE, "DVCC limit 54.50 V");
	harness_bank_free(b);
}

/* expectedBatteries 3 with two there: the alarm and the texts say so; the
 * third comes, the alarm clears; all go, the aggregate stays. */
static void test_a_missing_battery_is_noticed(void **state)
{
	HarnessBank *b =
	        bank_start("{\"currentRatioMethod\": \"count\", \"expectedBatteries\": 3}");

	harness_expect_number(b->h, AGG, "/System/NrOfBatteriesExpected", 3);
	harness_expect_number(b->h, AGG, "/System/NrOfBatteries", 2);
	harness_expect_number(b->h, AGG, "/Alarms/BmsCable", 2);
	harness_expect_text(b->h, AGG, CHARGE, "2 of 3 batteries; Rack B 50 A × 2.00 (count)");
	harness_expect_text(b->h, AGG, VOLTAGE,
	                    "2 of 3 batteries; Rack B 55.00 V (max_when_balancing, not balancing)");
	harness_send(b->sim, "add " S3 " " RACK_C);
	harness_expect_number(b->h, AGG, "/System/NrOfBatteries", 3);
	harness_expect_number(b->h, AGG, "/Alarms/BmsCable", 0);
	harness_expect_text(b->h, AGG, CHARGE, "Rack B 50 A × 3.00 (count)");
	harness_send(b->sim, "remove " S3);
	harness_expect_number(b->h, AGG, "/Alarms/BmsCable", 2);
	harness_send(b->sim, "remove " S1);
	harness_send(b->sim, "remove " S2);
	harness_expect_number(b->h, AGG, "/System/NrOfBatteries", 0);
	harness_expect_number(b->h, AGG, "/Alarms/BmsCable", 2);
	assert_true(harness_has_name(b->h, AGG));
	harness_bank_free(b);
}

/* Without the key nothing of it is there. */
static void test_no_expected_batteries_no_alarm(void **state)
{
	HarnessBank *b = bank_start("{}");
	Value v = VALUE_INIT;

	harness_expect_number(b->h, AGG, "/System/NrOfBatteries", 2);
	harness_expect_number(b->h, AGG, "/Alarms/BmsCable", 0);
	assert_false(harness_get_value(b->h, AGG, "/System/NrOfBatteriesExpected", &v));
	harness_bank_free(b);
}

/* available_mean: a pack that blocks discharge is out of the SoC; all
 * blocking, their mean. */
static void test_soc_of_the_packs_that_can_discharge(void **state)
{
	HarnessBank *b = bank_start("{\"mergePolicies\": {\"/Soc\": \"available_mean\"}}");

	harness_expect_number(b->h, AGG, "/Soc", 75);
	harness_send(b->sim, "set " S2 " /Io/AllowToDischarge 0");
	harness_expect_number(b->h, AGG, "/Soc", 80);
	harness_send(b->sim, "set " S1 " /Io/AllowToDischarge 0");
	harness_expect_number(b->h, AGG, "/Soc", 75);
	harness_bank_free(b);
}

/* capacity_time_to_go: no member has a /TimeToGo, so 250 Ah at 25 A of
 * discharge is 10 h; charging, none. */
static void test_time_to_go_from_the_remaining_ah(void **state)
{
	HarnessBank *b =
	        bank_start("{\"mergePolicies\": {\"/TimeToGo\": \"capacity_time_to_go\"}}");

	harness_expect_number(b->h, AGG, "/TimeToGo", 250.0 / 25 * 3600);
	harness_send(b->sim, "set " S1 " /Dc/0/Current 5.0");
	harness_expect_number(b->h, AGG, "/TimeToGo", 250.0 / 10 * 3600);
	harness_send(b->sim, "set " S2 " /Dc/0/Current 5.0");
	harness_expect_number(b->h, AGG, "/TimeToGo", NAN);
	/* A member's own figure wins. */
	harness_send(b->sim, "set " S1 " /TimeToGo 1200.0");
	harness_expect_number(b->h, AGG, "/TimeToGo", 1200);
	harness_bank_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_charge_and_discharge_texts),
	        cmocka_unit_test(test_the_method_that_gave_the_ratio),
	        cmocka_unit_test(test_voltage_texts),
	        cmocka_unit_test(test_a_missing_battery_is_noticed),
	        cmocka_unit_test(test_no_expected_batteries_no_alarm),
	        cmocka_unit_test(test_soc_of_the_packs_that_can_discharge),
	        cmocka_unit_test(test_time_to_go_from_the_remaining_ah),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
