/* SPDX-License-Identifier: MIT */
/* The merge policies against SPEC.md 5.1-5.3, one table of cases each. */
#include "plugin_test.h"

#define MAXN 4

typedef struct {
	const char *name; /* the rule */
	const char *policy;
	size_t n;
	BataggValue values[MAXN];
	BataggValue keys[MAXN]; /* used when has_keys */
	bool has_keys;
	BataggValue want;
} Case;

static const char *const labels[MAXN] = {"Rack A", "ttyS2", "ttyS3", "ttyS4"};

static const Case cases[] = {
        {"sum of valid values", "sum", 3, {VNUM(10), VNONE, VNUM(5.5)}, {}, false, VNUM(15.5)},
        {"sum of nothing is invalid", "sum", 2, {VNONE, VTEXT("x")}, {}, false, VNONE},
        {"counts start at 0", "sum_or_zero", 2, {VNONE, VNONE}, {}, false, VNUM(0)},
        {"counts add up", "sum_or_zero", 2, {VNUM(1), VNUM(2)}, {}, false, VNUM(3)},
        {"mean skips invalid",
         "mean",
         3,
         {VNUM(53.1), VNONE, VNUM(53.3)},
         {},
         false,
         VNUM((53.1 + 53.3) / 2)},
        {"mean of nothing is invalid", "mean", 1, {VNONE}, {}, false, VNONE},
        {"min", "min", 3, {VNUM(3.3), VNUM(3.28), VNONE}, {}, false, VNUM(3.28)},
        {"max", "max", 3, {VNUM(21), VNONE, VNUM(24)}, {}, false, VNUM(24)},
        {"max of nothing is invalid", "max", 0, {}, {}, false, VNONE},
        {"any member says 1", "any", 3, {VNUM(0), VNUM(1), VNONE}, {}, false, VNUM(1)},
        {"no flag is invalid", "any", 1, {VNONE}, {}, false, VNONE},
        {"alarm takes the worst", "alarm", 3, {VNUM(1), VNUM(2), VNUM(0)}, {}, false, VNUM(2)},
        {"no alarm is ok", "alarm", 2, {VNONE, VNONE}, {}, false, VNUM(0)},
        {"first valid wins", "first", 3, {VNONE, VNUM(42), VNUM(7)}, {}, false, VNUM(42)},
        {"first of nothing", "first", 2, {VNONE, VNONE}, {}, false, VNONE},
        {"first text", "first", 2, {VTEXT("Float"), VNUM(1)}, {}, false, VTEXT("Float")},
        {"all float",
         "charge_mode",
         2,
         {VTEXT("Float"), VTEXT("float")},
         {},
         false,
         VTEXT("Float")},
        {"some float",
         "charge_mode",
         2,
         {VTEXT("Float"), VTEXT("Bulk")},
         {},
         false,
         VTEXT("Float Transition")},
        {"all absorption",
         "charge_mode",
         2,
         {VTEXT("Absorption"), VTEXT("ABSORPTION")},
         {},
         false,
         VTEXT("Absorption")},
        {"some absorption",
         "charge_mode",
         3,
         {VTEXT("Absorption"), VTEXT("Bulk"), VNONE},
         {},
         false,
         VTEXT("Absorption Transition")},
        {"all bulk",
         "charge_mode",
         2,
         {VTEXT("Bulk"), VTEXT("Bulk (Balancing)")},
         {},
         false,
         VTEXT("Bulk")},
        {"some bulk",
         "charge_mode",
         2,
         {VTEXT("Bulk"), VTEXT("Storage")},
         {},
         false,
         VTEXT("Bulk Transition")},
        {"unknown texts",
         "charge_mode",
         2,
         {VTEXT("Storage"), VTEXT("Idle")},
         {},
         false,
         VTEXT("Charging")},
        {"bulk counts before float",
         "charge_mode",
         2,
         {VTEXT("Float Bulk"), VTEXT("Float")},
         {},
         false,
         VTEXT("Float Transition")},
        {"nobody reports a mode", "charge_mode", 2, {VNONE, VNUM(3)}, {}, false, VNONE},
        {"lowest cell names its battery",
         "min_label",
         2,
         {VTEXT("C3"), VTEXT("C1")},
         {VNUM(3.30), VNUM(3.28)},
         true,
         VTEXT("ttyS2 C1")},
        {"highest cell, custom name",
         "max_label",
         2,
         {VTEXT("C9"), VTEXT("C2")},
         {VNUM(3.40), VNUM(3.38)},
         true,
         VTEXT("Rack A C9")},
        {"numeric cell id",
         "max_label",
         2,
         {VNUM(7), VTEXT("C2")},
         {VNUM(3.40), VNONE},
         true,
         VTEXT("Rack A 7")},
        {"no key, no label",
         "min_label",
         2,
         {VTEXT("C3"), VTEXT("C1")},
         {VNONE, VNONE},
         true,
         VNONE},
        {"weighted mean",
         "capacity_weighted_mean",
         2,
         {VNUM(80), VNUM(70)},
         {VNUM(280), VNUM(100)},
         true,
         VNUM((80.0 * 280 + 70.0 * 100) / 380)},
        {"weighted mean without weights",
         "capacity_weighted_mean",
         2,
         {VNUM(80), VNUM(70)},
         {VNONE, VNONE},
         true,
         VNUM(75)},
};

static void test_every_rule(void **state)
{
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const Case *k = &cases[c];
		const BataggMergePolicy *p = merge_policy(k->policy);
		BataggMergeInput in = {.n = k->n,
		                       .values = k->values,
		                       .labels = labels,
		                       .keys = k->has_keys ? k->keys : NULL,
		                       .path = "/Test"};
		BataggValue out = {.type = 99};
		char text[128];

		p->merge(NULL, &in, &out, text, sizeof(text));
		print_message("# %s: %s\n", k->policy, k->name);
		assert_int_equal(out.type, k->want.type);
		if (k->want.type == BATAGG_VALUE_NUMBER)
			assert_true(fabs(out.number - k->want.number) < 1e-9);
		if (k->want.type == BATAGG_VALUE_TEXT)
			assert_string_equal(out.text, k->want.text);
	}
}

/* A text result must not point into the input, which the daemon frees. */
static void test_text_results_are_copied(void **state)
{
	char value[] = "Float";
	BataggValue values[] = {VTEXT(value)};
	BataggMergeInput in = {.n = 1, .values = values, .labels = labels};
	BataggValue out;
	char text[32];

	merge_policy("first")->merge(NULL, &in, &out, text, sizeof(text));
	assert_ptr_equal(out.text, text);
	value[0] = 'X';
	assert_string_equal(out.text, "Float");
}

#define E "\xc3\xa9" /* "é": two bytes */

/* Texts longer than the result buffer are cut between characters; a cell
 * label leaves room for the cell id. */
static void test_long_texts_are_cut_between_characters(void **state)
{
	static const char *const long_labels[] = {E E E E E E E E E E, "ttyS2"};
	static const struct {
		const char *name; /* the rule */
		const char *policy;
		BataggValue value;
		const char *want; /* in a 16-byte buffer: 15 bytes of text */
	} long_cases[] = {
	        {"first: whole characters", "first", VTEXT(E E E E E E E E), E E E E E E E},
	        {"first: fits", "first", VTEXT("Float"), "Float"},
	        {"label: half, then the cell id", "min_label", VTEXT("C1"), E E E " C1"},
	        {"label: the cell id cut too", "min_label", VTEXT("x" E E E E E E),
	         E E E " x" E E E},
	        {"label: numeric cell id", "min_label", VNUM(12), E E E " 12"},
	};

	for (size_t c = 0; c < sizeof(long_cases) / sizeof(long_cases[0]); c++) {
		BataggValue values[] = {long_cases[c].value, VNONE};
		BataggValue keys[] = {VNUM(3.1), VNUM(3.3)};
		BataggMergeInput in = {
		        .n = 2, .values = values, .keys = keys, .labels = long_labels};
		BataggValue out = {.type = 99};
		char text[16];

		merge_policy(long_cases[c].policy)->merge(NULL, &in, &out, text, sizeof(text));
		print_message("# %s\n", long_cases[c].name);
		assert_int_equal(out.type, BATAGG_VALUE_TEXT);
		assert_string_equal(out.text, long_cases[c].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_every_rule),
	        cmocka_unit_test(test_text_results_are_copied),
	        cmocka_unit_test(test_long_texts_are_cut_between_characters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
