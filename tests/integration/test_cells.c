/* SPDX-License-Identifier: MIT */
/*
 * The limiter cell_voltage in the real batagg on a private bus, with
 * simulated batteries that publish their highest and lowest cell:
 *
 *  1. The CCL cap appears when the highest cell crosses 3.45 V, holds while
 *     the cell wobbles within the hysteresis, rises at riseRate once the
 *     cell is back, and never lifts a limit above the member's own; the
 *     limitation text names the limiter and the cell.
 *  2. The DCL cap likewise from the lowest cell.
 *  3. A runner cell above cellMax cuts the member's CVL by its excess, not
 *     below its voltage less cvlMargin, with hysteresis.
 *  4. Balance assist: a member that refuses charge with its cells apart
 *     holds the bank's CCL at 0 for balanceHold, once, said in the log.
 *  5. --check-config names the file, line and column of a bad option and
 *     says why.
 *
 * Two racks, count ratios: the bank's limit is twice the lowest member's.
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
#define CHARGE "/Info/ChargeLimitation"
#define DISCHARGE "/Info/DischargeLimitation"
#define VOLTAGE "/Info/ChargeVoltageLimitation"
#define CCL "/Info/MaxChargeCurrent"
#define DCL "/Info/MaxDischargeCurrent"
#define CVL "/Info/MaxChargeVoltage"
/* Long enough for batagg to react many times over. */
#define PROMPT_MS 2500

#define RACK(service, name)                                                                        \
	"\"" service "\": {\"/CustomName\": \"" name "\", \"/Dc/0/Voltage\": 53.2,"                \
	" \"/Dc/0/Current\": 0.0, \"/Soc\": 80.0, \"/InstalledCapacity\": 280.0,"                  \
	" \"/Info/MaxChargeCurrent\": 100.0, \"/Info/MaxDischargeCurrent\": 100.0,"                \
	" \"/Info/MaxChargeVoltage\": 56.8, \"/Io/AllowToCharge\": 1,"                             \
	" \"/Io/AllowToDischarge\": 1, \"/Balancing\": 0,"                                         \
	" \"/System/MaxCellVoltage\": 3.40, \"/System/MinCellVoltage\": 3.30}"

static const char two_racks[] =
        "{\"dvcc\": 1, \"batteries\": {" RACK(S1, "Rack A") ", " RACK(S2, "Rack B") "}}";

/* publishInterval 0: every step of a rise goes out as it is computed. */
#define CONFIG(options)                                                                            \
	"{\"currentRatioMethod\": \"count\", \"publishInterval\": 0,"                              \
	" \"limiters\": [\"cell_voltage\"],"                                                       \
	" \"strategyOptions\": {\"cell_voltage\": {" options "}}}"

static HarnessBank *bank_start(const char *config, bool logged)
{
	return harness_bank_start(&(HarnessBankOptions){
	        .scenario = two_racks, .sim_ready = {S2}, .config = config, .agg_logged = logged});
}

static double number_now(HarnessBank *b, const char *path)
{
	Value v = VALUE_INIT;
	double x = NAN;

	if (harness_get_value(b->h, AGG, path, &v))
		value_number(&v, &x);
	value_clear(&v);
	return x;
}

/* path keeps the number x for ms (polled every 100 ms); fails the test at
 * the first other value. */
#define expect_steady(b, path, x, ms) expect_steady_at(__LINE__, b, path, x, ms)
static void expect_steady_at(int line, HarnessBank *b, const char *path, double x, int ms)
{
	for (int t = 0; t <= ms; t += 100) {
		double now = number_now(b, path);

		if (!(fabs(now - x) < 1e-6))
			fail_msg("line %d: %s moved to %g after %d ms; it should stay %g", line,
			         path, now, t, x);
		g_usleep(100 * 1000);
	}
}

/* Follows path from where it is until it reaches to (the bank's limit
 * rising at 2 * rate A/s: two racks, count ratios), checking on the way
 * that it never falls, never goes above to, and takes about as long as the
 * rate says. */
static void expect_rise(HarnessBank *b, const char *path, double from, double to, double rate,
                        int steps)
{
	gint64 start = g_get_monotonic_time();
	double last = from, seconds;
	int between = 0;

	for (;;) {
		double now = number_now(b, path);

		if (!(now >= last - 1e-6) || !(now <= to + 1e-6))
			fail_msg("%s went from %g to %g on its way from %g to %g", path, last, now,
			         from, to);
		between += now > from + 1e-6 && now < to - 1e-6 && now != last;
		last = now;
		if (fabs(now - to) < 1e-6)
			break;
		if (g_get_monotonic_time() - start > 20 * G_USEC_PER_SEC)
			fail_msg("%s stuck at %g on its way from %g to %g", path, now, from, to);
		g_usleep(50 * 1000);
	}
	seconds = (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
	print_message("# %s rose from %g to %g in %.2f s (%d steps seen between)\n", path, from, to,
	              seconds, between);
	/* The rate allows (to - from) / (2 * rate) s from the change; batagg
	 * steps at least once a second and lands on time. */
	assert_true(seconds > (to - from) / (2 * rate) - 0.25);
	assert_true(seconds < (to - from) / (2 * rate) + 3);
	assert_true(between >= steps);
}

/* Case 1: the CCL from the highest cell (3.45 V: full, 3.55 V: 10 %). */
static void test_charge_cap(void **state)
{
	HarnessBank *b = bank_start(CONFIG("\"riseRate\": 20"), false);

	harness_expect_number(b->h, AGG, CCL, 200);
	/* Below the table: nothing. */
	harness_send(b->sim, "set " S2 " /System/MaxCellVoltage 3.44");
	expect_steady(b, CCL, 200, 500);
	/* Across 3.45 V: Rack B's own 100 A falls to 55 A at 3.50 V, at once. */
	harness_send(b->sim, "set " S2 " /System/MaxCellVoltage 3.50");
	harness_expect_number_within(b->h, AGG, CCL, 110, PROMPT_MS);
	harness_expect_text(b->h, AGG, CHARGE,
	                    "Rack B 55 A cap (cell_voltage: 3.50 V) × 2.00 (count)");
	/* Wobbling back by up to the hysteresis (0.02 V) changes nothing. */
	harness_send(b->sim, "set " S2 " /System/MaxCellVoltage 3.49");
	expect_steady(b, CCL, 110, 1000);
	harness_expect_text(b->h, AGG, CHARGE,
	                    "Rack B 55 A cap (cell_voltage: 3.49 V, held) × 2.00 (count)");
	harness_send(b->sim, "set " S2 " /System/MaxCellVoltage 3.485");
	expect_steady(b, CCL, 110, 1000);
	harness_send(b->sim, "set " S2 " /System/MaxCellVoltage 3.50");
	expect_steady(b, CCL, 110, 500);
	/* Back to 3.40 V: the cap rises at 20 A/s (the bank's at 40 A/s) to
	 * Rack B's own 100 A, and no further. */
	harness_send(b->sim, "set " S2 " /System/MaxCellVoltage 3.40");
	expect_rise(b, CCL, 110, 200, 20, 1);
	harness_expect_text(b->h, AGG, CHARGE, "Rack A 100 A × 2.00 (count)");
	expect_steady(b, CCL, 200, 1000);
	/* The cap is a share of the member's own limit: with Rack B's own CCL
	 * at 40 A, 3.50 V gives 22 A, and back again, 40 A: never more. */
	harness_send(b->sim, "set " S2 " /Info/MaxChargeCurrent 40.0");
	harness_expect_number(b->h, AGG, CCL, 80);
	harness_send(b->sim, "set " S2 " /System/MaxCellVoltage 3.50");
	harness_expect_number_within(b->h, AGG, CCL, 44, PROMPT_MS);
	harness_send(b->sim, "set " S2 " /System/MaxCellVoltage 3.40");
	expect_rise(b, CCL, 44, 80, 20, 0);
	expect_steady(b, CCL, 80, 1500);
	/* 3.60 V and above: 0. */
	harness_send(b->sim, "set " S2 " /System/MaxCellVoltage 3.62");
	harness_expect_number_within(b->h, AGG, CCL, 0, PROMPT_MS);
	harness_expect_text(b->h, AGG, CHARGE,
	                    "Rack B 0 A cap (cell_voltage: 3.62 V) × 2.00 (count)");
	harness_bank_free(b);
}

/* Case 2: the DCL from the lowest cell (2.90 V: 0, 3.05 V: full). */
static void test_discharge_cap(void **state)
{
	HarnessBank *b = bank_start(CONFIG("\"riseRate\": 50, \"hysteresis\": 0.03"), false);

	harness_expect_number(b->h, AGG, DCL, 200);
	harness_send(b->sim, "set " S1 " /System/MinCellVoltage 3.06");
	expect_steady(b, DCL, 200, 500);
	harness_send(b->sim, "set " S1 " /System/MinCellVoltage 2.975");
	harness_expect_number_within(b->h, AGG, DCL, 100, PROMPT_MS);
	harness_expect_text(b->h, AGG, DISCHARGE,
	                    "Rack A 50 A cap (cell_voltage: 2.975 V) × 2.00 (count)");
	/* The charge side is not touched. */
	harness_expect_number(b->h, AGG, CCL, 200);
	/* Up by 0.025 V: within the hysteresis. */
	harness_send(b->sim, "set " S1 " /System/MinCellVoltage 3.0");
	expect_steady(b, DCL, 100, 1000);
	/* Lower: at once. */
	harness_send(b->sim, "set " S1 " /System/MinCellVoltage 2.93");
	harness_expect_number_within(b->h, AGG, DCL, 40, PROMPT_MS);
	/* Back up: at 50 A/s to Rack A's own 100 A. */
	harness_send(b->sim, "set " S1 " /System/MinCellVoltage 3.20");
	expect_rise(b, DCL, 40, 200, 50, 0);
	harness_expect_text(b->h, AGG, DISCHARGE, "Rack A 100 A × 2.00 (count)");
	harness_bank_free(b);
}

/* Case 3: a runner cell cuts the CVL.  Both racks 56.8 V; the bank's is the
 * lowest (max_when_balancing, not balancing). */
static void test_cvl_cut(void **state)
{
	HarnessBank *b = bank_start(CONFIG("\"cvlMargin\": 0.2, \"riseRate\": 100"), false);

	harness_expect_number(b->h, AGG, CVL, 56.8);
	harness_send(b->sim, "set " S2 " /System/MaxCellVoltage 3.60");
	harness_expect_number_within(b->h, AGG, CCL, 0, PROMPT_MS);
	expect_steady(b, CVL, 56.8, 500);
	/* 0.05 V over cellMax: 0.05 V off Rack B's CVL. */
	harness_send(b->sim, "set " S2 " /System/MaxCellVoltage 3.65");
	harness_expect_number_within(b->h, AGG, CVL, 56.75, PROMPT_MS);
	harness_expect_text(b->h, AGG, VOLTAGE,
	                    "Rack B 56.75 V cap (cell_voltage: 3.65 V) (max_when_balancing, not "
	                    "balancing)");
	/* Hysteresis (0.02 V): back to 3.64 V, the cut stays 0.05 V; to
	 * 3.60 V it is 0.02 V; to 3.57 V it ends. */
	harness_send(b->sim, "set " S2 " /System/MaxCellVoltage 3.64");
	expect_steady(b, CVL, 56.75, 1000);
	harness_send(b->sim, "set " S2 " /System/MaxCellVoltage 3.60");
	harness_expect_number_within(b->h, AGG, CVL, 56.78, PROMPT_MS);
	harness_send(b->sim, "set " S2 " /System/MaxCellVoltage 3.57");
	harness_expect_number_within(b->h, AGG, CVL, 56.8, PROMPT_MS);
	/* Never below the member's voltage less cvlMargin: at 56.7 V, a cell
	 * 0.4 V over cellMax cuts to 56.5 V, not 56.4 V. */
	harness_send(b->sim, "set " S2 " /Dc/0/Voltage 56.7");
	harness_send(b->sim, "set " S2 " /System/MaxCellVoltage 4.00");
	harness_expect_number_within(b->h, AGG, CVL, 56.5, PROMPT_MS);
	/* And never above its own: a member voltage above its CVL, no cut. */
	harness_send(b->sim, "set " S2 " /Dc/0/Voltage 57.5");
	harness_send(b->sim, "set " S2 " /System/MaxCellVoltage 3.99");
	harness_expect_number_within(b->h, AGG, CVL, 56.8, PROMPT_MS);
	harness_bank_free(b);
}

/* Case 4: balance assist.  Rack B refuses charge with its cells 0.08 V
 * apart: the bank's CCL (100 A from Rack A alone) is 0 for 3 s, once. */
static void test_balance_assist(void **state)
{
	HarnessBank *b = bank_start(CONFIG("\"balanceAssist\": true, \"balanceHold\": 3"), true);
	gint64 start;
	double held;

	harness_expect_number(b->h, AGG, CCL, 200);
	/* A refusal with cells together (0.02 V) is no balancing. */
	harness_send(b->sim, "set " S2 " /System/MinCellVoltage 3.38");
	expect_steady(b, CCL, 200, 300);
	harness_send(b->sim, "set " S2 " /Io/AllowToCharge 0");
	harness_expect_number_within(b->h, AGG, CCL, 100, PROMPT_MS);
	harness_send(b->sim, "set " S2 " /Io/AllowToCharge 1");
	harness_expect_number_within(b->h, AGG, CCL, 200, PROMPT_MS);
	/* Apart, then refusing. */
	harness_send(b->sim, "set " S2 " /System/MinCellVoltage 3.32");
	harness_send(b->sim, "set " S2 " /System/MaxCellVoltage 3.40");
	expect_steady(b, CCL, 200, 300);
	harness_send(b->sim, "set " S2 " /Io/AllowToCharge 0");
	harness_expect_number_within(b->h, AGG, CCL, 0, PROMPT_MS);
	start = g_get_monotonic_time();
	harness_expect_text(b->h, AGG, CHARGE, "bank cap 0 A (cell_voltage: balancing Rack B)");
	assert_true(
	        harness_wait_text(b->log,
	                          "balance assist: Rack B refuses charge with its cells 0.080 V "
	                          "apart: the bank's CCL is 0 for 3 s",
	                          PROMPT_MS));
	/* Held for 3 s, then Rack A's 100 A again. */
	harness_expect_number_within(b->h, AGG, CCL, 100, 6000);
	held = (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
	print_message("# held for %.2f s\n", held);
	assert_true(held > 2.5);
	assert_true(harness_wait_text(b->log, "balance assist for Rack B ends", PROMPT_MS));
	/* The same refusal does not hold again. */
	expect_steady(b, CCL, 100, 1500);
	harness_send(b->sim, "set " S2 " /Io/AllowToCharge 1");
	harness_expect_number_within(b->h, AGG, CCL, 200, PROMPT_MS);
	harness_bank_free(b);
}

/* Case 5: --check-config on bad options: file:line:col, key, reason. */
static void test_check_config(void **state)
{
	static const struct {
		const char *config, *says;
	} cases[] = {
	        {"{\"limiters\": [\"cell_voltage\"],\n"
	         " \"strategyOptions\": {\"cell_voltage\": {\n"
	         "  \"chargeTable\": {\"3.45\": 1, \"3.60\": 0, \"3.55\": 0.1}}}}\n",
	         "config.json:3:49: key 'strategyOptions.cell_voltage.chargeTable.3.55': limiter "
	         "'cell_voltage': chargeTable: not monotonic: volts must increase (3.55 V after "
	         "3.6 V)"},
	        {"{\"limiters\": [\"cell_voltage\"],\n"
	         " \"strategyOptions\": {\"cell_voltage\": {\"cellMax\": 58.4}}}\n",
	         "config.json:2:50: key 'strategyOptions.cell_voltage.cellMax': limiter "
	         "'cell_voltage': 58.4 V is no cell voltage (1.5 to 5 V; a pack's voltage given "
	         "for a cell's?)"},
	        {"{\"limiters\": [\"cell_voltage\"],\n"
	         " \"strategyOptions\": {\"cell_voltage\": {\n"
	         "  \"riseRate\": -5}}}\n",
	         "config.json:3:15: key 'strategyOptions.cell_voltage.riseRate': limiter "
	         "'cell_voltage': must be above 0 A/s, got -5"},
	        {"{\"limiters\": [\"cell_voltage\"],\n"
	         " \"strategyOptions\": {\"cell_voltage\": {\"hysteresis\": 0.02,\n"
	         "  \"cellMax\": 3.4}}}\n",
	         "config.json:3:14: key 'strategyOptions.cell_voltage.cellMax': limiter "
	         "'cell_voltage': thresholds in the wrong order: cellMax (3.4 V) must be above "
	         "where chargeTable starts to lower the CCL (3.45 V)"},
	        {"{\"limiters\": [\"cell_voltage\"],\n"
	         " \"strategyOptions\": {\"cell_voltage\": {\"balanceAsist\": true}}}\n",
	         "config.json:2:55: key 'strategyOptions.cell_voltage.balanceAsist': limiter "
	         "'cell_voltage': "
	         "unknown option 'balanceAsist'"},
	};
	Harness *h = harness_new();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *path = harness_write_file(h, "config.json", cases[i].config);
		char *argv[] = {(char *)harness_env("BATAGG"), (char *)"--check-config",
		                (char *)path, NULL};
		g_auto(GStrv) cmd = harness_command(argv);
		g_autofree char *out = NULL, *err = NULL;
		GError *error = NULL;
		int status = -1;

		if (!g_spawn_sync(NULL, cmd, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
		                  &status, &error))
			fail_msg("%s", error->message);
		print_message("# %s", err);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0);
		if (!strstr(err, cases[i].says))
			fail_msg("case %zu: '%s' does not say '%s'", i, err, cases[i].says);
	}
	harness_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_charge_cap),   cmocka_unit_test(test_discharge_cap),
	        cmocka_unit_test(test_cvl_cut),      cmocka_unit_test(test_balance_assist),
	        cmocka_unit_test(test_check_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
