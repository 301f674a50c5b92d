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

typedef struct {
	Harness *h;
	int sim;
} Bank;

static const char *env_or_fail(const char *name)
{
	const char *v = g_getenv(name);

	if (!v)
		fail_msg("%s is not set (run through meson test)", name);
	return v;
}

static Bank *bank_start(const char *config)
{
	Bank *b = g_new0(Bank, 1);
	const char *scen, *cfg;

	b->h = harness_new();
	scen = harness_write_file(b->h, "scenario.json", two_racks);
	cfg = harness_write_file(b->h, "config.json", config);
	{
		char *sim[] = {(char *)env_or_fail("BATSIM"), (char *)scen, NULL};
		char *agg[] = {(char *)env_or_fail("BATAGG"), (char *)"--config", (char *)cfg,
		               NULL};

		harness_spawn(b->h, sim, &b->sim);
		assert_true(harness_wait_name(b->h, S2, WAIT_MS));
		harness_spawn(b->h, agg, NULL);
	}
	assert_true(harness_wait_name(b->h, AGG, WAIT_MS));
	return b;
}

static void bank_free(Bank *b)
{
	harness_free(b->h);
	g_free(b);
}

static void says(Bank *b, const char *path, const char *text)
{
	Value v = value_text(text);
	bool ok = harness_wait_value(b->h, AGG, path, &v, WAIT_MS);

	value_clear(&v);
	if (!ok) {
		g_autofree char *now = harness_get_text(b->h, AGG, path);

		fail_msg("%s never said '%s' (it says '%s')", path, text, now);
	}
}

static void expect(Bank *b, const char *path, double x)
{
	if (!harness_wait_number(b->h, AGG, path, x, WAIT_MS)) {
		g_autofree char *now = harness_get_text(b->h, AGG, path);

		fail_msg("%s never became %.12g (it is %s)", path, x, now);
	}
}

static void test_charge_and_discharge_texts(void **state)
{
	Bank *b = bank_start("{\"currentRatioMethod\": \"capacity\"}");

	expect(b, "/Info/MaxChargeCurrent", 100.0 * 380 / 280);
	says(b, CHARGE, "Rack A 100 A × 1.36 (capacity)");
	says(b, DISCHARGE, "Rack A 150 A × 1.36 (capacity)");
	/* The DVCC user limit below the batteries'. */
	harness_send(b->sim, "settings /Settings/SystemSetup/MaxChargeCurrent 60");
	expect(b, "/Info/MaxChargeCurrent", 60);
	says(b, CHARGE, "DVCC limit 60 A");
	harness_send(b->sim, "settings /Settings/SystemSetup/MaxChargeCurrent -1");
	says(b, CHARGE, "Rack A 100 A × 1.36 (capacity)");
	/* One refuses: the other takes it all. */
	harness_send(b->sim, "set " S1 " /Io/AllowToCharge 0");
	expect(b, "/Info/MaxChargeCurrent", 50);
	says(b, CHARGE, "Rack A refuses; Rack B 50 A × 1.00 (capacity)");
	/* Both refuse. */
	harness_send(b->sim, "set " S2 " /Io/AllowToCharge 0");
	expect(b, "/Info/MaxChargeCurrent", 0);
	says(b, CHARGE, "all batteries refuse charge");
	/* None reports a limit (the DCL: neither reports one any more). */
	harness_send(b->sim, "set " S1 " /Info/MaxDischargeCurrent null");
	harness_send(b->sim, "set " S2 " /Info/MaxDischargeCurrent null");
	says(b, DISCHARGE, "no battery reports a limit");
	bank_free(b);
}

static void test_the_method_that_gave_the_ratio(void **state)
{
	Bank *b = bank_start("{\"currentRatioMethod\": \"count\"}");

	/* count: min(100, 50) * 2, Rack B's. */
	expect(b, "/Info/MaxChargeCurrent", 100);
	says(b, CHARGE, "Rack B 50 A × 2.00 (count)");
	bank_free(b);
}

static void test_voltage_texts(void **state)
{
	Bank *b = bank_start("{}");

	/* max_when_balancing, nobody balancing: the lowest CVL. */
	expect(b, "/Info/MaxChargeVoltage", 55.0);
	says(b, VOLTAGE, "Rack B 55.00 V (max_when_balancing, not balancing)");
	harness_send(b->sim, "set " S1 " /Balancing 1");
	expect(b, "/Info/MaxChargeVoltage", 55.2);
	says(b, VOLTAGE, "Rack A 55.20 V (max_when_balancing, balancing)");
	harness_send(b->sim, "settings /Settings/SystemSetup/MaxChargeVoltage 54.5");
	expect(b, "/Info/MaxChargeVoltage", 54.5);
	says(b, VOLTAGE, "DVCC limit 54.50 V");
	bank_free(b);
}

/* expectedBatteries 3 with two there: the alarm and the texts say so; the
 * third comes, the alarm clears; all go, the aggregate stays. */
static void test_a_missing_battery_is_noticed(void **state)
{
	Bank *b = bank_start("{\"currentRatioMethod\": \"count\", \"expectedBatteries\": 3}");

	expect(b, "/System/NrOfBatteriesExpected", 3);
	expect(b, "/System/NrOfBatteries", 2);
	expect(b, "/Alarms/BmsCable", 2);
	says(b, CHARGE, "2 of 3 batteries; Rack B 50 A × 2.00 (count)");
	says(b, VOLTAGE, "2 of 3 batteries; Rack B 55.00 V (max_when_balancing, not balancing)");
	harness_send(b->sim, "add " S3 " " RACK_C);
	expect(b, "/System/NrOfBatteries", 3);
	expect(b, "/Alarms/BmsCable", 0);
	says(b, CHARGE, "Rack B 50 A × 3.00 (count)");
	harness_send(b->sim, "remove " S3);
	expect(b, "/Alarms/BmsCable", 2);
	harness_send(b->sim, "remove " S1);
	harness_send(b->sim, "remove " S2);
	expect(b, "/System/NrOfBatteries", 0);
	expect(b, "/Alarms/BmsCable", 2);
	assert_true(harness_has_name(b->h, AGG));
	bank_free(b);
}

/* Without the key nothing of it is there. */
static void test_no_expected_batteries_no_alarm(void **state)
{
	Bank *b = bank_start("{}");
	Value v = VALUE_INIT;

	expect(b, "/System/NrOfBatteries", 2);
	expect(b, "/Alarms/BmsCable", 0);
	assert_false(harness_get_value(b->h, AGG, "/System/NrOfBatteriesExpected", &v));
	bank_free(b);
}

/* available_mean: a pack that blocks discharge is out of the SoC; all
 * blocking, their mean. */
static void test_soc_of_the_packs_that_can_discharge(void **state)
{
	Bank *b = bank_start("{\"mergePolicies\": {\"/Soc\": \"available_mean\"}}");

	expect(b, "/Soc", 75);
	harness_send(b->sim, "set " S2 " /Io/AllowToDischarge 0");
	expect(b, "/Soc", 80);
	harness_send(b->sim, "set " S1 " /Io/AllowToDischarge 0");
	expect(b, "/Soc", 75);
	bank_free(b);
}

/* capacity_time_to_go: no member has a /TimeToGo, so 250 Ah at 25 A of
 * discharge is 10 h; charging, none. */
static void test_time_to_go_from_the_remaining_ah(void **state)
{
	Bank *b = bank_start("{\"mergePolicies\": {\"/TimeToGo\": \"capacity_time_to_go\"}}");

	expect(b, "/TimeToGo", 250.0 / 25 * 3600);
	harness_send(b->sim, "set " S1 " /Dc/0/Current 5.0");
	expect(b, "/TimeToGo", 250.0 / 10 * 3600);
	harness_send(b->sim, "set " S2 " /Dc/0/Current 5.0");
	expect(b, "/TimeToGo", NAN);
	/* A member's own figure wins. */
	harness_send(b->sim, "set " S1 " /TimeToGo 1200.0");
	expect(b, "/TimeToGo", 1200);
	bank_free(b);
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
