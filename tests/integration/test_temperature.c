/* SPDX-License-Identifier: MIT */
/*
 * The limiter "temperature" and the CVL mode "bulk_until_all_float" in the
 * real batagg, on a private bus with simulated batteries.
 *
 *  1. A battery's temperature crossing a threshold caps its CCL (and the
 *     bank's with it) at once, the limitation text naming the limiter and
 *     the temperature; the cap holds while the temperature wobbles within
 *     the hysteresis, and recovers at the rise rate.
 *  2. A cap above a battery's own limit changes nothing; a cold battery's
 *     DCL cap.
 *  3. bulk_until_all_float: the bank's CVL stays at the absorbing
 *     battery's until every battery floats (one without a charge mode
 *     counting by its CVL).
 *  4. --check-config names a wrong option at its place in the file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"

#define B "com.victronenergy.battery."
#define AGG B "aggregator"
#define S1 B "ttyS1"
#define S2 B "ttyS2"
#define S3 B "ttyS3"
/* Long enough for batagg to react many times over. */
#define PROMPT_MS 2500

#define BATTERY(name, ccl, extra)                                                                  \
	"\"" name "\": {\"/Dc/0/Voltage\": 53.1, \"/Dc/0/Current\": 0.0, \"/Soc\": 80.0,"          \
	" \"/InstalledCapacity\": 100.0, \"/Info/MaxChargeCurrent\": " ccl ","                     \
	" \"/Info/MaxDischargeCurrent\": 100.0, \"/Info/MaxChargeVoltage\": 55.2" extra "}"

static double number_now(HarnessBank *b, const char *path)
{
	Value v = VALUE_INIT;
	double x = NAN;

	if (harness_get_value(b->h, AGG, path, &v))
		value_number(&v, &x);
	value_clear(&v);
	return x;
}

/* The aggregate's path stays at x for ms (sampled every 100 ms). */
static void expect_steady(HarnessBank *b, const char *path, double x, int ms)
{
	for (int t = 0; t < ms; t += 100) {
		double now = number_now(b, path);

		if (fabs(now - x) > 1e-6)
			fail_msg("%s moved to %g while it should stay %g", path, now, x);
		g_usleep(100 * 1000);
	}
}

/* Case 1.  Two batteries of 100 Ah with a CCL of 100 A each, count: the
 * bank's CCL is 200 A at 20 °C.  ttyS1 at 3 °C: 0.1 C = 10 A, the bank
 * 20 A.  Wobbling between 3 and 6 °C (hysteresis 2 °C) it holds; at -1 °C
 * it is 0; warm again at 8 °C it rises at 20 A/s to ttyS1's own 100 A. */
static void test_a_cap_follows_the_temperature(void **state)
{
	static const char scenario[] = "{\"dvcc\": 1, \"batteries\": {" BATTERY(
	        S1, "100.0",
	        ", \"/Dc/0/Temperature\": 20.0") ", " BATTERY(S2, "100.0",
	                                                      ", \"/Dc/0/Temperature\": 20.0") "}}";
	static const char config[] =
	        "{\"currentRatioMethod\": \"count\", \"limiters\": [\"temperature\"],"
	        " \"strategyOptions\": {\"temperature\": {\"riseRate\": 20}}}";
	HarnessBank *b = harness_bank_start(&(HarnessBankOptions){
	        .scenario = scenario, .sim_ready = {S1, S2}, .config = config});
	double last = 0;
	int rising = 0;

	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 200);
	harness_send(b->sim, "set " S1 " /Dc/0/Temperature 3.0");
	harness_expect_number_within(b->h, AGG, "/Info/MaxChargeCurrent", 20, PROMPT_MS);
	harness_expect_text(b->h, AGG, "/Info/ChargeLimitation",
	                    "ttyS1 10 A cap (temperature: 3.0 °C) × 2.00 (count)");
	/* Wobbling within the hysteresis: it holds. */
	harness_send(b->sim, "set " S1 " /Dc/0/Temperature 5.5");
	expect_steady(b, "/Info/MaxChargeCurrent", 20, 500);
	harness_send(b->sim, "set " S1 " /Dc/0/Temperature 4.0");
	expect_steady(b, "/Info/MaxChargeCurrent", 20, 300);
	harness_send(b->sim, "set " S1 " /Dc/0/Temperature 6.0");
	expect_steady(b, "/Info/MaxChargeCurrent", 20, 500);
	harness_expect_text(b->h, AGG, "/Info/ChargeLimitation",
	                    "ttyS1 10 A cap (temperature: 6.0 °C) × 2.00 (count)");
	/* Freezing: no charge, at once; and it holds at 1.5 °C. */
	harness_send(b->sim, "set " S1 " /Dc/0/Temperature -1.0");
	harness_expect_number_within(b->h, AGG, "/Info/MaxChargeCurrent", 0, PROMPT_MS);
	harness_send(b->sim, "set " S1 " /Dc/0/Temperature 1.5");
	expect_steady(b, "/Info/MaxChargeCurrent", 0, 500);
	/* Warm: it rises at 20 A/s per battery (40 A/s for the bank), never
	 * falling, to 200 A in about 5 s. */
	harness_send(b->sim, "set " S1 " /Dc/0/Temperature 8.0");
	for (int t = 0; t < 9000 && last < 200; t += 200) {
		double now = number_now(b, "/Info/MaxChargeCurrent");

		if (now < last - 1e-6)
			fail_msg("the CCL fell from %g to %g while it recovered", last, now);
		if (now > 0 && now < 200)
			rising++;
		last = now;
		g_usleep(200 * 1000);
	}
	assert_true(last == 200);
	if (rising < 5)
		fail_msg("the CCL rose in %d steps, not at a rate", rising);
	/* No cap left to name. */
	{
		g_autofree char *text = harness_get_text(b->h, AGG, "/Info/ChargeLimitation");

		assert_non_null(text);
		if (strstr(text, "cap"))
			fail_msg("recovered, the charge limitation still says '%s'", text);
	}
	harness_bank_free(b);
}

/* Case 2.  ttyS2's own CCL is 5 A: at 3 °C its cap of 10 A is above it and
 * changes nothing.  ttyS1 at -25 °C: no discharge (its DCL cap is 0), no
 * charge. */
static void test_a_cap_never_raises_a_limit(void **state)
{
	static const char scenario[] = "{\"dvcc\": 1, \"batteries\": {" BATTERY(
	        S1, "100.0",
	        ", \"/Dc/0/Temperature\": 20.0") ", " BATTERY(S2, "5.0",
	                                                      ", \"/Dc/0/Temperature\": 20.0") "}}";
	static const char config[] =
	        "{\"currentRatioMethod\": \"count\", \"limiters\": [\"temperature\"]}";
	HarnessBank *b = harness_bank_start(&(HarnessBankOptions){
	        .scenario = scenario, .sim_ready = {S1, S2}, .config = config});

	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 10);
	harness_send(b->sim, "set " S2 " /Dc/0/Temperature 3.0");
	expect_steady(b, "/Info/MaxChargeCurrent", 10, 500);
	harness_expect_text(b->h, AGG, "/Info/ChargeLimitation", "ttyS2 5 A × 2.00 (count)");
	harness_expect_number(b->h, AGG, "/Info/MaxDischargeCurrent", 200);
	harness_send(b->sim, "set " S1 " /Dc/0/Temperature -25.0");
	harness_expect_number_within(b->h, AGG, "/Info/MaxDischargeCurrent", 0, PROMPT_MS);
	harness_expect_number_within(b->h, AGG, "/Info/MaxChargeCurrent", 0, PROMPT_MS);
	harness_expect_text(b->h, AGG, "/Info/DischargeLimitation",
	                    "ttyS1 0 A cap (temperature: -25.0 °C) × 2.00 (count)");
	harness_bank_free(b);
}

/* Case 3.  ttyS1 absorbs at 56.4 V, ttyS2 floats at 53.6 V, ttyS3 has no
 * charge mode and 53.6 V (it floats by its CVL).  The bank stays at 56.4 V
 * until ttyS1 floats too; ttyS3 at 56.8 V then counts as absorbing; once
 * it is back at 53.6 V every battery floats: 53.6 V. */
#define ABSORBING                                                                                  \
	BATTERY(S1, "100.0",                                                                       \
	        ", \"/Info/MaxChargeVoltage\": 56.4, \"/Info/ChargeMode\": \"Absorption\"")
#define FLOATING                                                                                   \
	BATTERY(S2, "100.0", ", \"/Info/MaxChargeVoltage\": 53.6, \"/Info/ChargeMode\": \"Float\"")
#define NO_MODE BATTERY(S3, "100.0", ", \"/Info/MaxChargeVoltage\": 53.6")

static void test_bulk_until_all_float(void **state)
{
	static const char scenario[] =
	        "{\"dvcc\": 1, \"batteries\": {" ABSORBING ", " FLOATING ", " NO_MODE "}}";
	static const char config[] = "{\"cvlMode\": \"bulk_until_all_float\"}";
	HarnessBank *b = harness_bank_start(&(HarnessBankOptions){
	        .scenario = scenario, .sim_ready = {S1, S2, S3}, .config = config});

	harness_expect_number(b->h, AGG, "/Info/MaxChargeVoltage", 56.4);
	harness_expect_text(b->h, AGG, "/Info/ChargeVoltageLimitation",
	                    "ttyS1 56.40 V (bulk_until_all_float)");
	harness_send(b->sim, "set " S3 " /Info/MaxChargeVoltage 56.8");
	expect_steady(b, "/Info/MaxChargeVoltage", 56.4, 500);
	harness_send(b->sim, "set " S1 " /Info/ChargeMode \"Float\"");
	harness_send(b->sim, "set " S1 " /Info/MaxChargeVoltage 53.8");
	harness_expect_number_within(b->h, AGG, "/Info/MaxChargeVoltage", 56.8, PROMPT_MS);
	harness_send(b->sim, "set " S3 " /Info/MaxChargeVoltage 53.6");
	harness_expect_number_within(b->h, AGG, "/Info/MaxChargeVoltage", 53.6, PROMPT_MS);
	/* Absorbing again: up at once. */
	harness_send(b->sim, "set " S2 " /Info/ChargeMode \"Bulk\"");
	harness_send(b->sim, "set " S2 " /Info/MaxChargeVoltage 56.4");
	harness_expect_number_within(b->h, AGG, "/Info/MaxChargeVoltage", 56.4, PROMPT_MS);
	harness_bank_free(b);
}

/* Case 4.  batagg --check-config: a wrong option of the limiter is an error
 * at its line and column, saying why. */
static void test_check_config_names_the_option(void **state)
{
	static const struct {
		const char *config, *says;
	} cases[] = {
	        {"{\"limiters\": [\"temperature\"],\n \"strategyOptions\": {\"temperature\":\n"
	         "  {\"chargeTable\": {\"10\": 0.5, \"5\": 0.1}}}}\n",
	         "config.json:3:36: key 'strategyOptions.temperature.chargeTable.5': limiter "
	         "'temperature': temperatures must increase: 5 °C after 10 °C"},
	        {"{\"limiters\": [\"temperature\"],\n \"strategyOptions\": {\"temperature\":\n"
	         "  {\"chargeTable\": {\"5\": 200}}}}\n",
	         "config.json:3:25: key 'strategyOptions.temperature.chargeTable.5': limiter "
	         "'temperature': 200 C is more than 10 C: are these amps? write \"unit\": \"A\""},
	        {"{\"limiters\": [\"temperature\"],\n \"strategyOptions\": {\"temperature\":\n"
	         "  {\"unit\": \"F\"}}}\n",
	         "config.json:3:12: key 'strategyOptions.temperature.unit': limiter "
	         "'temperature': expected \"C\" (C-rates) or \"A\" (amps)"},
	};
	Harness *h = harness_new();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *path = harness_write_file(h, "config.json", cases[i].config);
		char *argv[] = {(char *)harness_env("BATAGG"), (char *)"--check-config",
		                (char *)path, NULL};
		char **cmd = harness_command(argv);
		g_autofree char *out = NULL, *err = NULL;
		int status = 0;

		assert_true(g_spawn_sync(NULL, cmd, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
		                         &err, &status, NULL));
		g_strfreev(cmd);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0);
		if (!strstr(err, cases[i].says) && !strstr(out, cases[i].says))
			fail_msg("--check-config said '%s%s', not '%s'", out, err, cases[i].says);
	}
	harness_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_a_cap_follows_the_temperature),
	        cmocka_unit_test(test_a_cap_never_raises_a_limit),
	        cmocka_unit_test(test_bulk_until_all_float),
	        cmocka_unit_test(test_check_config_names_the_option),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
