/* SPDX-License-Identifier: MIT */
/*
 * Every cap at once, in the real batagg on a private bus: the limiters
 * cell_voltage and temperature and the bank caps maxChargeCurrent and
 * maxDischargeCurrent.  Whichever is lowest decides, the limitation text
 * names it, and none ever raises a limit above what the batteries' own
 * limits and the ratios give.
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
/* Long enough for batagg to react many times over. */
#define PROMPT_MS 2500

/* Two 100 Ah batteries of 100 A (charge) and 150 A (discharge), count:
 * 200 A and 300 A without caps. */
#define BATTERY(name)                                                                              \
	"\"" name "\": {\"/Dc/0/Voltage\": 53.1, \"/Dc/0/Current\": 0.0, \"/Soc\": 80.0,"          \
	" \"/InstalledCapacity\": 100.0, \"/Info/MaxChargeCurrent\": 100.0,"                       \
	" \"/Info/MaxDischargeCurrent\": 150.0, \"/Info/MaxChargeVoltage\": 55.2,"                 \
	" \"/Dc/0/Temperature\": 20.0, \"/System/MaxCellVoltage\": 3.30,"                          \
	" \"/System/MinCellVoltage\": 3.28}"

/* Each cap in turn the lowest: the bank caps (150 A, 250 A), then a
 * runner cell (3.50 V: 55 A, 110 A for the bank), then a cold battery
 * (3 °C: 0.1 C of 100 Ah, 10 A, 20 A for the bank), each text naming what
 * decided; warm, then balanced again, the caps before it come back. */
static void test_the_lowest_cap_decides(void **state)
{
	static const char scenario[] =
	        "{\"dvcc\": 1, \"batteries\": {" BATTERY(S1) ", " BATTERY(S2) "}}";
	static const char config[] =
	        "{\"currentRatioMethod\": \"count\", \"limiters\": [\"cell_voltage\", "
	        "\"temperature\"], \"maxChargeCurrent\": 150, \"maxDischargeCurrent\": 250,"
	        " \"strategyOptions\": {\"cell_voltage\": {\"riseRate\": 1000},"
	        " \"temperature\": {\"riseRate\": 1000}}}";
	HarnessBank *b = harness_bank_start(&(HarnessBankOptions){
	        .scenario = scenario, .sim_ready = {S1, S2}, .config = config});

	/* The bank caps: below the batteries' 200 A and 300 A. */
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 150);
	harness_expect_text(b->h, AGG, "/Info/ChargeLimitation", "bank cap 150 A");
	harness_expect_number(b->h, AGG, "/Info/MaxDischargeCurrent", 250);
	harness_expect_text(b->h, AGG, "/Info/DischargeLimitation", "bank cap 250 A");
	/* A runner cell at 3.50 V: 55 % of ttyS1's 100 A (1 at 3.45 V to 0.1
	 * at 3.55 V), times 2. */
	harness_send(b->sim, "set " S1 " /System/MaxCellVoltage 3.50");
	harness_expect_number_within(b->h, AGG, "/Info/MaxChargeCurrent", 110, PROMPT_MS);
	harness_expect_text(b->h, AGG, "/Info/ChargeLimitation",
	                    "ttyS1 55 A cap (cell_voltage: 3.50 V) × 2.00 (count)");
	/* ttyS2 cold: 0.1 C of 100 Ah is 10 A, the lowest now. */
	harness_send(b->sim, "set " S2 " /Dc/0/Temperature 3.0");
	harness_expect_number_within(b->h, AGG, "/Info/MaxChargeCurrent", 20, PROMPT_MS);
	harness_expect_text(b->h, AGG, "/Info/ChargeLimitation",
	                    "ttyS2 10 A cap (temperature: 3.0 °C) × 2.00 (count)");
	/* Warm again: the runner decides once more (the rise is fast here). */
	harness_send(b->sim, "set " S2 " /Dc/0/Temperature 20.0");
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 110);
	/* Every cell back in the flat part: the bank cap again, never more. */
	harness_send(b->sim, "set " S1 " /System/MaxCellVoltage 3.30");
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 150);
	harness_expect_text(b->h, AGG, "/Info/ChargeLimitation", "bank cap 150 A");
	harness_bank_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_the_lowest_cap_decides),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
