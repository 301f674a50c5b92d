/* SPDX-License-Identifier: MIT */
/*
 * Series banks with the real batagg on a private bus: two strings of four
 * simulated 12.8 V modules (tests/data/series_bank.json) in seriesBatteries.
 * Every rule a string merges its modules by, a module that goes (or loses
 * its voltage) stopping the string's charge, and the aggregate of the two
 * strings with each ratio method.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

#define B "com.victronenergy.battery."
#define AGG B "aggregator"
#define SA B "stringA"
#define SB B "stringB"
#define M(i) B "ttyUSB" #i
#define WAIT_MS 10000

#define STRINGS                                                                                    \
	"\"seriesBatteries\": {\"" SA "\": [\"" M(0) "\", \"" M(1) "\", \"" M(2) "\", \"" M(       \
	        3) "\"],"                                                                          \
	           " \"" SB "\": [\"" M(4) "\", \"" M(5) "\", \"" M(6) "\", \"" M(7) "\"]}"

/* The modules' voltages in the scenario: 13.2 V + 4 mV per % of SoC above
 * 70; string A's SoCs 80, 82, 79, 81 (10 A), string B's 60, 62, 61, 63
 * (8 A). */
static double module_v(double soc)
{
	return 13.2 + (soc - 70) * 0.004;
}

static HarnessBank *bank_start(const char *config)
{
	g_autofree char *scen = g_build_filename(harness_env("BATAGG_SOURCE_ROOT"), "tests", "data",
	                                         "series_bank.json", NULL);

	return harness_bank_start(&(HarnessBankOptions){.scenario_path = scen,
	                                                .sim_ready = {M(7)},
	                                                .config = config,
	                                                .agg_ready = {AGG, SA, SB}});
}

/* Within rel (relative) of x, waiting for it. */
static void expect_near(HarnessBank *b, const char *service, const char *path, double x, double rel)
{
	double now = NAN;

	for (int tries = 0; tries < WAIT_MS / 100; tries++) {
		Value v = VALUE_INIT;

		if (harness_get_value(b->h, service, path, &v) && value_number(&v, &now) &&
		    fabs(now - x) <= rel * fabs(x)) {
			value_clear(&v);
			return;
		}
		value_clear(&v);
		g_usleep(100 * 1000);
	}
	fail_msg("%s %s is %.12g, not within %g of %.12g", service, path, now, rel, x);
}

static void expect_text_prefix(HarnessBank *b, const char *service, const char *path,
                               const char *prefix)
{
	Value v = VALUE_INIT;

	assert_true(harness_get_value(b->h, service, path, &v));
	if (v.type != VALUE_TEXT || !g_str_has_prefix(v.u.s, prefix))
		fail_msg("%s %s does not start with '%s'", service, path, prefix);
	value_clear(&v);
}

/* Point 2 of the issue, rule by rule, on string A (and B where its modules
 * differ), then the aggregate of the two. */
static void test_a_string_merges_its_modules(void **state)
{
	HarnessBank *b = bank_start("{" STRINGS ", \"currentRatioMethod\": \"count\"}");
	double va = module_v(80) + module_v(82) + module_v(79) + module_v(81);

	harness_expect_text(b->h, SA, "/ProductName", "Series Battery");
	harness_expect_number(b->h, SA, "/Dc/0/Voltage", va);              /* sum */
	harness_expect_number(b->h, SA, "/Dc/0/Current", 10);              /* mean */
	harness_expect_number(b->h, SA, "/Dc/0/Power", 529.68);            /* sum */
	harness_expect_number(b->h, SA, "/Soc", 79);                       /* min */
	harness_expect_number(b->h, SB, "/Soc", 60);                       /* min */
	harness_expect_number(b->h, SA, "/InstalledCapacity", 100);        /* min */
	harness_expect_number(b->h, SB, "/InstalledCapacity", 90);         /* min */
	harness_expect_number(b->h, SA, "/Capacity", 79);                  /* min */
	harness_expect_number(b->h, SB, "/Capacity", 55.8);                /* min */
	harness_expect_number(b->h, SA, "/ConsumedAmphours", 21);          /* max */
	harness_expect_number(b->h, SB, "/ConsumedAmphours", 40);          /* max */
	harness_expect_number(b->h, SA, "/Dc/0/Temperature", 22);          /* as in parallel: max */
	harness_expect_number(b->h, SA, "/System/MinCellVoltage", 3.30);   /* as in parallel */
	harness_expect_number(b->h, SA, "/Info/MaxChargeCurrent", 40);     /* min */
	harness_expect_number(b->h, SA, "/Info/MaxDischargeCurrent", 100); /* min */
	harness_expect_number(b->h, SA, "/Info/MaxChargeVoltage", 4 * 14.2);  /* sum */
	harness_expect_number(b->h, SA, "/Info/BatteryLowVoltage", 4 * 11.6); /* sum */
	harness_expect_number(b->h, SA, "/Io/AllowToCharge", 1);
	harness_expect_number(b->h, SA, "/System/BatteriesSeries", 4);
	harness_expect_number(b->h, SA, "/System/BatteriesParallel", 1);
	harness_expect_number(b->h, SA, "/System/NrOfBatteries", 4);
	harness_expect_number(b->h, SA, "/Alarms/BmsCable", 0);
	/* Cell ids name the module. */
	expect_text_prefix(b, SA, "/System/MinVoltageCellId", "Module ");
	expect_text_prefix(b, AGG, "/System/MinVoltageCellId", "stringA Module ");

	/* The same current through all: their mean. */
	harness_sendf(b->sim, "set " M(0) " /Dc/0/Current 12.0");
	harness_expect_number(b->h, SA, "/Dc/0/Current", 10.5);
	harness_sendf(b->sim, "set " M(3) " /Info/MaxDischargeCurrent 80.0");
	harness_expect_number(b->h, SA, "/Info/MaxDischargeCurrent", 80);
	harness_sendf(b->sim,
	              "setmany " M(0) " {\"/TimeToGo\": 7200.0, \"/System/NrOfModulesOnline\": 1}");
	harness_sendf(b->sim,
	              "setmany " M(1) " {\"/TimeToGo\": 3600.0, \"/System/NrOfModulesOnline\": 1}");
	harness_expect_number(b->h, SA, "/TimeToGo", 3600);              /* min */
	harness_expect_number(b->h, SA, "/System/NrOfModulesOnline", 2); /* sum */
	harness_sendf(b->sim, "set " M(2) " /Alarms/HighVoltage 2");
	harness_expect_number(b->h, SA, "/Alarms/HighVoltage", 2); /* max */
	harness_expect_number(b->h, AGG, "/Alarms/HighVoltage", 2);
	harness_sendf(b->sim, "set " M(1) " /Io/AllowToDischarge 0");
	harness_expect_number(b->h, SA, "/Io/AllowToDischarge", 0); /* every module must allow */
	harness_expect_number(b->h, SA, "/Io/AllowToCharge", 1);

	/* The aggregate: two strings of four in parallel; count: min(40, 50) * 2. */
	harness_expect_number(b->h, AGG, "/System/BatteriesSeries", 4);
	harness_expect_number(b->h, AGG, "/System/BatteriesParallel", 2);
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 80);
	harness_expect_number(b->h, AGG, "/Info/MaxChargeVoltage", 4 * 14.2);
	/* One module of B refusing charge makes B refuse; A takes it all. */
	harness_sendf(b->sim, "set " M(5) " /Io/AllowToCharge 0");
	harness_expect_number(b->h, SB, "/Io/AllowToCharge", 0);
	harness_expect_number(b->h, AGG, "/Io/AllowToCharge", 1);
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 40);
	harness_bank_free(b);
}

/* A module that goes (reconnectTimeout 0) or has no voltage: the string
 * refuses charge and raises /Alarms/BmsCable, keeps the DCL of the others
 * and estimates its voltage; the aggregate charges by the other string. */
static void test_a_missing_module_stops_the_strings_charge(void **state)
{
	HarnessBank *b = bank_start("{" STRINGS ", \"currentRatioMethod\": \"count\"}");
	double seen = module_v(80) + module_v(79) + module_v(81);

	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 80);
	harness_sendf(b->sim, "remove " M(1));
	harness_expect_number(b->h, SA, "/Info/MaxChargeCurrent", 0);
	harness_expect_number(b->h, SA, "/Io/AllowToCharge", 0);
	harness_expect_number(b->h, SA, "/Alarms/BmsCable", 2);
	harness_expect_number(b->h, SA, "/Info/MaxDischargeCurrent", 100);
	harness_expect_number(b->h, SA, "/Dc/0/Voltage", seen * 4 / 3);
	harness_expect_number(b->h, SA, "/System/NrOfBatteries", 3);
	harness_expect_number(b->h, AGG, "/Alarms/BmsCable", 2);
	harness_expect_number(b->h, AGG, "/Io/AllowToCharge", 1);
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 50);
	/* Back: all as before. */
	harness_sendf(
	        b->sim,
	        "add " M(1) " {\"/Dc/0/Voltage\": %.17g, \"/Dc/0/Current\": 10.0, \"/Soc\": 82.0,"
	                    " \"/InstalledCapacity\": 100.0, \"/Info/MaxChargeCurrent\": 50.0,"
	                    " \"/Info/MaxDischargeCurrent\": 100.0, \"/Info/MaxChargeVoltage\": "
	                    "14.2}",
	        module_v(82));
	harness_expect_number(b->h, SA, "/Alarms/BmsCable", 0);
	harness_expect_number(b->h, SA, "/Info/MaxChargeCurrent", 40);
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 80);
	/* A module without a voltage is as good as gone. */
	harness_sendf(b->sim, "set " M(2) " /Dc/0/Voltage null");
	harness_expect_number(b->h, SA, "/Info/MaxChargeCurrent", 0);
	harness_expect_number(b->h, SA, "/Alarms/BmsCable", 2);
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 50);
	harness_bank_free(b);
}

/* capacity: string A 40 A * 190/100 Ah (its InstalledCapacity is its
 * modules' least). */
static void test_two_strings_by_capacity(void **state)
{
	HarnessBank *b = bank_start("{" STRINGS ", \"currentRatioMethod\": \"capacity\"}");

	harness_expect_number(b->h, AGG, "/InstalledCapacity", 190);
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 40.0 * 190 / 100);
	harness_bank_free(b);
}

/* ir: the aggregate fits each string's V and I (string A 8 mOhm, B 12 mOhm:
 * four modules of 2 and 3 mOhm), and shares by them. */
static void test_two_strings_by_ir(void **state)
{
	HarnessBank *b = bank_start("{" STRINGS ", \"currentRatioMethod\": \"ir\","
	                            " \"publishInterval\": 0}");
	g_autofree char *irs = NULL;
	double ra = 0, rb = 0, total;

	for (int step = 0; step < 14; step++) {
		double i = 3.0 * step;

		for (int m = 0; m < 8; m++)
			harness_sendf(
			        b->sim,
			        "setmany " B
			        "ttyUSB%d {\"/Dc/0/Voltage\": %.17g, \"/Dc/0/Current\": %.17g}",
			        m, m < 4 ? 13.2 + 0.002 * i : 13.1 + 0.003 * i, i);
		harness_expect_number(b->h, SB, "/Dc/0/Current", i);
		harness_expect_number(b->h, AGG, "/Dc/0/Current", 2 * i);
	}
	for (int tries = 0; tries < 100; tries++) {
		g_free(irs);
		irs = harness_get_text(b->h, AGG, "/System/InternalResistances");
		if (irs && sscanf(irs, "[%lf, %lf]", &ra, &rb) == 2 && ra > 0 && rb > 0)
			break;
		g_usleep(100 * 1000);
	}
	print_message("# the strings' resistances: %s\n", irs);
	if (!(fabs(ra - 0.008) < 0.0004 && fabs(rb - 0.012) < 0.0006))
		fail_msg("the strings' resistances are %s, not about [0.008, 0.012]", irs);
	/* ratio_i = R_i * sum(1/R): min(40 * ratio_A, 50 * ratio_B), to the
	 * precision of the resistances as published (text). */
	total = 1 / ra + 1 / rb;
	expect_near(b, AGG, "/Info/MaxChargeCurrent", fmin(40 * ra * total, 50 * rb * total), 1e-3);
	harness_bank_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_a_string_merges_its_modules),
	        cmocka_unit_test(test_a_missing_module_stops_the_strings_charge),
	        cmocka_unit_test(test_two_strings_by_capacity),
	        cmocka_unit_test(test_two_strings_by_ir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
