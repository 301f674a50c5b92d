/* SPDX-License-Identifier: MIT */
/*
 * Limits that fall go out at once, and every refusal reaches the chargers:
 * the real batagg on a private bus with simulated batteries.
 *
 *  1. During a reload, while a slow battery is read again, a limit that
 *     falls goes out at once (by GetValue and signal); one that rises waits
 *     for the reads.
 *  2. A change of /InstalledCapacity moves the limits of the capacity
 *     method at once.
 *  3. No published battery says "refuse" with a limit above 0: the
 *     aggregate, a virtual battery and a series string.
 *  4. The limitation texts follow a member's new /CustomName at once.
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

#define B "com.victronenergy.battery."
#define AGG B "aggregator"
#define S1 B "ttyS1"
#define S2 B "ttyS2"
#define V1 B "house"
#define SA B "stringA"
#define WAIT_MS 10000
/* Long enough for batagg to react many times over, short enough to tell
 * "at once" from "when the stalled battery answers" (STALL_S). */
#define PROMPT_MS 2500
#define STALL_S 8

#define BATTERY(name, ccl, dcl, cap, extra)                                                        \
	"\"" name "\": {\"/Dc/0/Voltage\": 53.1, \"/Dc/0/Current\": 0.0, \"/Soc\": 80.0,"          \
	" \"/InstalledCapacity\": " cap ", \"/Info/MaxChargeCurrent\": " ccl ","                   \
	" \"/Info/MaxDischargeCurrent\": " dcl ", \"/Info/MaxChargeVoltage\": 55.2" extra "}"

static HarnessBank *bank_start(const char *scenario, const char *config, const char *first)
{
	return harness_bank_start(&(HarnessBankOptions){
	        .scenario = scenario, .sim_ready = {first}, .config = config});
}

static double number_now(HarnessBank *b, const char *service, const char *path)
{
	Value v = VALUE_INIT;
	double x = NAN;

	if (harness_get_value(b->h, service, path, &v))
		value_number(&v, &x);
	value_clear(&v);
	return x;
}

/* Case 1.  Two batteries, count: CCL min(10, 10) * 2 = 20 A, DCL min(300,
 * 50) * 2 = 100 A.  A reload (capacity, 100 Ah each: the same ratios) while
 * ttyS2 answers nothing for STALL_S: its CCL falling to 6 A, then ttyS1's
 * DCL to 40 A, then ttyS2's CCL to 0 each go out long before ttyS2
 * answers; its CCL rising to 10 A again waits for the read. */
static void test_a_reload_lets_limits_fall(void **state)
{
	static const char scenario[] = "{\"dvcc\": 1, \"batteries\": {" BATTERY(
	        S1, "10.0", "300.0", "100.0", "") ", " BATTERY(S2, "10.0", "50.0", "100.0",
	                                                       "") "}}";
	HarnessBank *b = bank_start(scenario, "{\"currentRatioMethod\": \"count\"}", S1);

	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 20);
	harness_expect_number(b->h, AGG, "/Info/MaxDischargeCurrent", 100);
	harness_send(b->sim, "stall " S2 " 8");
	harness_write_file(b->h, "config.json", "{\"currentRatioMethod\": \"capacity\"}");
	kill(b->agg, SIGHUP);
	g_usleep(500 * 1000);
	harness_send(b->sim, "set " S2 " /Info/MaxChargeCurrent 6.0");
	harness_expect_number_within(b->h, AGG, "/Info/MaxChargeCurrent", 12, PROMPT_MS);
	harness_send(b->sim, "set " S1 " /Info/MaxDischargeCurrent 40.0");
	harness_expect_number_within(b->h, AGG, "/Info/MaxDischargeCurrent", 80, PROMPT_MS);
	harness_send(b->sim, "set " S2 " /Info/MaxChargeCurrent 0.0");
	harness_expect_number_within(b->h, AGG, "/Info/MaxChargeCurrent", 0, PROMPT_MS);
	/* A rise waits until the stalled battery has been read again. */
	harness_send(b->sim, "set " S2 " /Info/MaxChargeCurrent 10.0");
	g_usleep(1000 * 1000);
	if (number_now(b, AGG, "/Info/MaxChargeCurrent") != 0)
		fail_msg("the CCL rose to %g before the batteries were read again",
		         number_now(b, AGG, "/Info/MaxChargeCurrent"));
	harness_expect_number_within(b->h, AGG, "/Info/MaxChargeCurrent", 20,
	                             WAIT_MS + STALL_S * 1000);
	harness_expect_number(b->h, AGG, "/Info/MaxDischargeCurrent", 80);
	harness_bank_free(b);
}

/* Case 2.  Capacity ratios, 75 A each at 100 Ah: 150 A.  ttyS1 grows to
 * 300 Ah: its ratio is 400/300, ttyS2's 4, so both limits fall to
 * min(75 * 4/3, 75 * 4) = 100 A, with no other change. */
static void test_a_capacity_change_moves_the_limits(void **state)
{
	static const char scenario[] = "{\"dvcc\": 1, \"batteries\": {" BATTERY(
	        S1, "75.0", "75.0", "100.0", "") ", " BATTERY(S2, "75.0", "75.0", "100.0", "") "}}";
	HarnessBank *b = bank_start(scenario, "{\"currentRatioMethod\": \"capacity\"}", S1);

	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 150);
	harness_expect_number(b->h, AGG, "/Info/MaxDischargeCurrent", 150);
	harness_send(b->sim, "set " S1 " /InstalledCapacity 300.0");
	harness_expect_number_within(b->h, AGG, "/Info/MaxChargeCurrent", 100, PROMPT_MS);
	harness_expect_number_within(b->h, AGG, "/Info/MaxDischargeCurrent", 100, PROMPT_MS);
	/* Back: the limits rise again (at the tick). */
	harness_send(b->sim, "set " S1 " /InstalledCapacity 100.0");
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 150);
	harness_bank_free(b);
}

/* Case 3.  A battery that says it refuses publishes a limit of 0:
 *  - the aggregate of a BMS without allow flags (50 A) and one that
 *    refuses charge (AllowToCharge 0, 50 A): it says AllowToCharge 0;
 *  - a virtual battery whose BMS refuses discharge with a DCL of 100 A;
 *  - a series string one of whose modules refuses charge (CCL 50 A). */
#define NO_FLAGS BATTERY(S1, "50.0", "100.0", "100.0", "")
#define REFUSES                                                                                    \
	BATTERY(S2, "50.0", "100.0", "100.0",                                                      \
	        ", \"/Io/AllowToCharge\": 0, \"/Io/AllowToDischarge\": 1")
#define MODULE(name, ccl) BATTERY(B name, ccl, "100.0", "100.0", ", \"/Io/AllowToCharge\": 1")
#define VIRTUAL_BMS                                                                                \
	BATTERY(B "ttyS3", "80.0", "100.0", "100.0",                                               \
	        ", \"/Io/AllowToCharge\": 1, \"/Io/AllowToDischarge\": 0")

static void test_a_refusal_is_a_limit_of_0(void **state)
{
	static const char scenario[] =
	        "{\"dvcc\": 1, \"batteries\": {" NO_FLAGS ", " REFUSES
	        ", " MODULE("m1", "50.0") ", " MODULE("m2", "60.0") ", " VIRTUAL_BMS "}}";
	static const char config[] =
	        "{\"currentRatioMethod\": \"count\", \"excludedServices\": [\"" SA "\", \"" V1
	        "\"], \"seriesBatteries\": {\"" SA "\": [\"" B "m1\", \"" B
	        "m2\"]}, \"virtualBatteries\": {\"" V1 "\": [\"" B "ttyS3\"]}}";
	HarnessBank *b = bank_start(scenario, config, S1);

	assert_true(harness_wait_name(b->h, SA, WAIT_MS));
	assert_true(harness_wait_name(b->h, V1, WAIT_MS));
	/* The aggregate: S1 has no flag and would take 50 A; the bank's flag is
	 * S2's 0 ("any" of the flags there are), so the CCL is 0. */
	harness_expect_number(b->h, AGG, "/Io/AllowToCharge", 0);
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 0);
	harness_expect_text(b->h, AGG, "/Info/ChargeLimitation", "AllowToCharge 0 (ttyS2 refuses)");
	/* The string: 50 A while both modules allow; 0 when one refuses. */
	harness_expect_number(b->h, SA, "/Info/MaxChargeCurrent", 50);
	harness_send(b->sim, "set " B "m2 /Io/AllowToCharge 0");
	harness_expect_number(b->h, SA, "/Io/AllowToCharge", 0);
	harness_expect_number_within(b->h, SA, "/Info/MaxChargeCurrent", 0, PROMPT_MS);
	harness_send(b->sim, "set " B "m2 /Io/AllowToCharge 1");
	harness_expect_number(b->h, SA, "/Info/MaxChargeCurrent", 50);
	/* The virtual battery passes its BMS's refusal on as a DCL of 0. */
	harness_expect_number(b->h, V1, "/Io/AllowToDischarge", 0);
	harness_expect_number(b->h, V1, "/Info/MaxDischargeCurrent", 0);
	harness_expect_number(b->h, V1, "/Info/MaxChargeCurrent", 80);
	harness_send(b->sim, "set " B "ttyS3 /Io/AllowToDischarge 1");
	harness_expect_number(b->h, V1, "/Info/MaxDischargeCurrent", 100);
	harness_bank_free(b);
}

/* Case 4.  ttyS1 (10 A, 55.20 V) sets the CCL, DCL and CVL; its new
 * /CustomName is in all three texts at once. */
#define NAMED BATTERY(S1, "10.0", "10.0", "100.0", ", \"/CustomName\": \"ttyS2\"")
/* The later CVL in the object wins (batsim sets them in order). */
#define HIGHER_CVL BATTERY(S2, "50.0", "50.0", "100.0", ", \"/Info/MaxChargeVoltage\": 56.0")

static void test_texts_follow_names(void **state)
{
	static const char scenario[] = "{\"dvcc\": 1, \"batteries\": {" NAMED ", " HIGHER_CVL "}}";
	HarnessBank *b = bank_start(scenario, "{\"currentRatioMethod\": \"count\"}", S1);

	harness_expect_text(b->h, AGG, "/Info/ChargeLimitation", "ttyS2 10 A × 2.00 (count)");
	harness_expect_text(b->h, AGG, "/Info/DischargeLimitation", "ttyS2 10 A × 2.00 (count)");
	harness_expect_text(b->h, AGG, "/Info/ChargeVoltageLimitation",
	                    "ttyS2 55.20 V (max_when_balancing)");
	harness_send(b->sim, "set " S1 " /CustomName \"Shed Bank\"");
	harness_expect_text(b->h, AGG, "/Info/ChargeLimitation", "Shed Bank 10 A × 2.00 (count)");
	harness_expect_text(b->h, AGG, "/Info/DischargeLimitation",
	                    "Shed Bank 10 A × 2.00 (count)");
	harness_expect_text(b->h, AGG, "/Info/ChargeVoltageLimitation",
	                    "Shed Bank 55.20 V (max_when_balancing)");
	harness_bank_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_a_reload_lets_limits_fall),
	        cmocka_unit_test(test_a_capacity_change_moves_the_limits),
	        cmocka_unit_test(test_a_refusal_is_a_limit_of_0),
	        cmocka_unit_test(test_texts_follow_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
