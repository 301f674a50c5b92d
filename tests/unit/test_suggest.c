/* SPDX-License-Identifier: MIT */
/* "Did you mean": the suggestions config messages make. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "base/suggest.h"

static const char *const names[] = {"ir", "capacity", "count", "mean", "median", "sum", NULL};

static void test_suggestions(void **state)
{
	static const struct {
		const char *word, *want;
	} cases[] = {
	        {"Capacity", "capacity"}, /* case first */
	        {"capcity", "capacity"},  /* a letter dropped */
	        {"capaccity", "capacity"},
	        {"cpaacity", "capacity"}, /* two swapped: one edit */
	        {"medain", "median"},     /* nearer by a swap than "mean" by two drops */
	        {"meen", "mean"},
	        {"IR", "ir"},
	        {"mode", NULL}, /* too far from everything */
	        {"xyz", NULL},
	        {"", NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = suggest(cases[i].word, names, -1);

		if (cases[i].want == NULL) {
			if (got)
				fail_msg("'%s': suggested '%s'", cases[i].word, got);
		} else if (!got || strcmp(got, cases[i].want) != 0) {
			fail_msg("'%s': suggested '%s', not '%s'", cases[i].word,
			         got ? got : "(none)", cases[i].want);
		}
	}
	/* A count instead of the NULL end. */
	assert_string_equal(suggest("sun", names, 6), "sum");
	assert_null(suggest("sun", names, 5));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_suggestions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
