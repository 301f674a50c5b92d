/* SPDX-License-Identifier: MIT */
/*
 * The limitation texts as pure functions: every form, and the ones a bus
 * test does not reach easily (several refusing, an equal share, a mode
 * whose CVL is no member's, missing members before a DVCC limit).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>

#include "engine/limitation.h"

static const char *const labels[] = {"Rack A", "Rack B", "Rack C"};

static void says(char *text, const char *expected)
{
	assert_string_equal(text, expected);
	g_free(text);
}

static void test_current_forms(void **state)
{
	LimitWhy why = {.bms = 3,
	                .binding = true,
	                .member = 1,
	                .limit = 100,
	                .ratio = 2.657,
	                .method = "ir"};
	CurrentLimitation l = {.result = {265.7, true}, .why = &why, .labels = labels};

	says(limitation_current(&l), "Rack B 100 A × 2.66 (ir)");
	why.limit = 12.5;
	why.method = NULL;
	says(limitation_current(&l), "Rack B 12.5 A × 2.66 (equal share)");
	why.refusing = 1;
	why.some_refusing = 2;
	says(limitation_current(&l), "Rack C refuses; Rack B 12.5 A × 2.66 (equal share)");
	why.refusing = 2;
	l.present = 3;
	l.expected = 4;
	says(limitation_current(&l),
	     "3 of 4 batteries; 2 batteries refuse; Rack B 12.5 A × 2.66 (equal share)");
	l.user = true;
	l.result.value = 150;
	says(limitation_current(&l), "3 of 4 batteries; DVCC limit 150 A");
	l.result.valid = false;
	says(limitation_current(&l), "3 of 4 batteries; no DVCC limit (cclMode dvcc)");
	l.primary = true;
	l.result = (BataggNum){80, true};
	says(limitation_current(&l), "3 of 4 batteries; primary service 80 A");
	l = (CurrentLimitation){.discharge = true, .result = {0, true}, .why = &why};
	why.binding = false;
	says(limitation_current(&l), "all batteries refuse discharge");
	l.result.valid = false;
	says(limitation_current(&l), "no battery reports a limit");
}

static void test_voltage_forms(void **state)
{
	BataggNum cvl[] = {{55.2, true}, {55.0, true}, {0, false}};
	VoltageLimitation l = {.result = {55.0, true},
	                       .cvl = cvl,
	                       .labels = labels,
	                       .n = 3,
	                       .mode = "max_when_balancing",
	                       .balancing = {0, true}};

	says(limitation_voltage(&l), "Rack B 55.00 V (max_when_balancing, not balancing)");
	l.result.value = 54.1;
	l.mode = "fixed";
	l.balancing.valid = false;
	says(limitation_voltage(&l), "54.10 V (fixed)");
	l.user = true;
	l.expected = 4;
	says(limitation_voltage(&l), "3 of 4 batteries; DVCC limit 54.10 V");
	l.result.valid = false;
	says(limitation_voltage(&l), "3 of 4 batteries; no battery reports a charge voltage");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_current_forms),
	        cmocka_unit_test(test_voltage_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
