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

/* Random walks over every input of the texts: whenever the key says
 * nothing changed, the text made anew is the one made last (so skipping it
 * is exact), and the key does say so now and then (so it saves work). */
static const char *pick_text(GRand *r)
{
	static const char *const texts[] = {NULL, "", "cell_voltage", "3.58 V", "temperature"};

	return texts[g_rand_int_range(r, 0, G_N_ELEMENTS(texts))];
}

static double pick_number(GRand *r)
{
	static const double numbers[] = {0, 12.5, 12.51, 100, 100.04, 2.657, 2.66, 55.2};

	return numbers[g_rand_int_range(r, 0, G_N_ELEMENTS(numbers))];
}

static void test_keys_are_exact(void **state)
{
	GRand *r = g_rand_new_with_seed(25);
	const char *by[3] = {NULL, NULL, NULL}, *why_cap[3] = {NULL, NULL, NULL};
	LimitWhy why = {0};
	CurrentLimitation l = {.why = &why, .labels = labels, .capped_by = by, .cap_why = why_cap};
	BataggNum cvl[3] = {{55.2, true}, {55.0, true}, {0, false}};
	VoltageLimitation v = {.cvl = cvl,
	                       .labels = labels,
	                       .n = 3,
	                       .capped_by = by,
	                       .cap_why = why_cap,
	                       .mode = "fixed"};
	LimitationKey key = {0}, vkey = {0};
	g_autofree char *last = NULL, *vlast = NULL;
	int same = 0, vsame = 0;

	for (int step = 0; step < 20000; step++) {
		char *text, *vtext;
		bool changed, vchanged;

		switch (g_rand_int_range(r, 0, 18)) {
		case 0:
			l.discharge = !l.discharge;
			break;
		case 1:
			l.result = (BataggNum){pick_number(r), g_rand_boolean(r)};
			break;
		case 2:
			l.user = !l.user;
			v.user = !v.user;
			break;
		case 3:
			l.present = (size_t)g_rand_int_range(r, 0, 4);
			break;
		case 4:
			l.expected = v.expected = (size_t)g_rand_int_range(r, 0, 4);
			break;
		case 5:
			l.primary = !l.primary;
			v.primary = !v.primary;
			break;
		case 6:
			l.refused = !l.refused;
			break;
		case 7:
			by[g_rand_int_range(r, 0, 3)] = pick_text(r);
			break;
		case 8:
			why_cap[g_rand_int_range(r, 0, 3)] = pick_text(r);
			break;
		case 9:
			l.bank_by = v.bank_by = pick_text(r);
			l.bank_why = v.bank_why = pick_text(r);
			break;
		case 10:
			why.refusing = (size_t)g_rand_int_range(r, 0, 3);
			why.some_refusing = (size_t)g_rand_int_range(r, 0, 3);
			break;
		case 11:
			why.binding = !why.binding;
			why.member = (size_t)g_rand_int_range(r, 0, 3);
			break;
		case 12:
			why.limit = pick_number(r);
			break;
		case 16:
			why.ratio = pick_number(r);
			break;
		case 13:
			why.method = g_rand_boolean(r) ? NULL : "ir";
			why.bms = (size_t)g_rand_int_range(r, 0, 4);
			break;
		case 14:
			v.result = (BataggNum){pick_number(r), g_rand_boolean(r)};
			break;
		case 17:
			v.balancing = (BataggNum){g_rand_int_range(r, 0, 2), g_rand_boolean(r)};
			break;
		default:
			cvl[g_rand_int_range(r, 0, 3)] =
			        (BataggNum){pick_number(r), g_rand_boolean(r)};
			v.mode = g_rand_boolean(r) ? "fixed" : "max_when_balancing";
			break;
		}
		/* A bank cap is named, or there is none. */
		if (!l.bank_by)
			l.bank_why = v.bank_why = NULL;
		changed = limitation_current_changed(&l, &key);
		text = limitation_current(&l);
		if (!changed)
			assert_string_equal(text, last);
		same += !changed;
		g_free(last);
		last = text;
		vchanged = limitation_voltage_changed(&v, &vkey);
		vtext = limitation_voltage(&v);
		if (!vchanged)
			assert_string_equal(vtext, vlast);
		vsame += !vchanged;
		g_free(vlast);
		vlast = vtext;
	}
	assert_true(same > 1000);
	assert_true(vsame > 1000);
	g_rand_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_current_forms),
	        cmocka_unit_test(test_voltage_forms),
	        cmocka_unit_test(test_keys_are_exact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
