/* SPDX-License-Identifier: MIT */
/*
 * The path table: paths_find() finds every member path by its text, and
 * nothing else (whatever shares a length, a prefix or all but one
 * character with a path); paths_sane() gives what paths_sanitize() stores,
 * without copying.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>
#include <math.h>
#include <string.h>

#include "base/paths.h"

static void test_every_path_is_found(void **state)
{
	for (int i = 0; i < N_MEMBER_PATHS; i++) {
		/* A copy: found by its text, not its address. */
		g_autofree char *copy = g_strdup(battery_paths[i].path);

		assert_int_equal(paths_find(copy), i);
	}
}

/* Every string one edit away from a path (a character changed, dropped or
 * added, at every place) is no path, unless it is another path. */
static void assert_only_paths(const char *s)
{
	int found = paths_find(s);

	if (found >= 0)
		assert_string_equal(battery_paths[found].path, s);
	for (int i = 0; i < N_MEMBER_PATHS; i++) {
		if (strcmp(battery_paths[i].path, s) == 0)
			assert_int_equal(found, i);
	}
}

static void test_near_misses_are_not_paths(void **state)
{
	for (int i = 0; i < N_MEMBER_PATHS; i++) {
		const char *path = battery_paths[i].path;
		size_t n = strlen(path);
		g_autofree char *s = g_malloc(n + 2);

		for (size_t at = 0; at < n; at++) {
			/* Changed. */
			memcpy(s, path, n + 1);
			s[at] = s[at] == 'x' ? 'y' : 'x';
			assert_int_equal(paths_find(s), -1);
			s[at] = (char)g_ascii_toupper(path[at]) == path[at]
			                ? (char)g_ascii_tolower(path[at])
			                : (char)g_ascii_toupper(path[at]);
			assert_only_paths(s);
			/* Dropped: the prefix of length at, and the rest without it. */
			memcpy(s, path, at);
			s[at] = '\0';
			assert_only_paths(s);
			memcpy(s, path, at);
			memcpy(s + at, path + at + 1, n - at);
			assert_only_paths(s);
			/* Added. */
			memcpy(s, path, at);
			s[at] = 'x';
			memcpy(s + at + 1, path + at, n - at + 1);
			assert_int_equal(paths_find(s), -1);
		}
		/* A trailing slash or character. */
		memcpy(s, path, n);
		s[n] = '/';
		s[n + 1] = '\0';
		assert_int_equal(paths_find(s), -1);
	}
}

static void test_other_paths_are_not_found(void **state)
{
	static const char *const others[] = {
	        "",
	        "/",
	        "/Dc",
	        "/Dc/0",
	        "/Dc/1/Voltage",
	        "/Voltages/Cell1",
	        "/Voltages/Cell16",
	        "/Balances/Cell1",
	        "/Voltages/Sum",
	        "/Voltages/Diff",
	        "/History/MinimumCellVoltage",
	        "/History/ChargeCycles",
	        "/Info/MaxChargeCurrent/",
	        "Info/MaxChargeCurrent",
	        "//Info/MaxChargeCurrent",
	        "/info/maxchargecurrent",
	        "/System/MinCellVoltageX",
	        "/Alarms/LowSocX",
	        "/Mgmt/ProcessName",
	        "/ProductName",
	};
	char longer[256];

	for (size_t i = 0; i < G_N_ELEMENTS(others); i++)
		assert_int_equal(paths_find(others[i]), -1);
	/* Longer than any path, starting with one. */
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	memcpy(longer, "/Info/MaxChargeCurrent", strlen("/Info/MaxChargeCurrent"));
	assert_int_equal(paths_find(longer), -1);
}

static void test_sane_is_what_sanitize_stores(void **state)
{
	static const PathId ids[] = {
	        P_CURRENT,     P_CCL,      P_CVL, P_INSTALLED_CAPACITY, P_MIN_VOLTAGE_CELL_ID,
	        P_CHARGE_MODE, P_BALANCING};
	const Value inputs[] = {
	        VALUE_INIT,
	        value_int(3),
	        value_int(-4),
	        value_double(-0.5),
	        value_double(0),
	        value_double(2e6),
	        value_double(2e4),
	        value_double(NAN),
	        value_double(-INFINITY),
	        value_double(51.2),
	        {.type = VALUE_TEXT, .u.s = (char *)"C3"},
	        {.type = VALUE_TEXT, .u.s = (char *)"Bulk"},
	};

	for (size_t k = 0; k < G_N_ELEMENTS(ids); k++) {
		for (size_t i = 0; i < G_N_ELEMENTS(inputs); i++) {
			Value owned = VALUE_INIT;
			Value sane;
			gboolean a, b;

			value_copy(&owned, &inputs[i]);
			a = paths_sanitize(ids[k], &owned);
			b = paths_sane(ids[k], &inputs[i], &sane);
			assert_int_equal(a, b);
			assert_true(value_equal(&owned, &sane));
			/* Nothing copied: text that stays is the input's own. */
			if (sane.type == VALUE_TEXT)
				assert_ptr_equal(sane.u.s, inputs[i].u.s);
			value_clear(&owned);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_every_path_is_found),
	        cmocka_unit_test(test_near_misses_are_not_paths),
	        cmocka_unit_test(test_other_paths_are_not_found),
	        cmocka_unit_test(test_sane_is_what_sanitize_stores),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
