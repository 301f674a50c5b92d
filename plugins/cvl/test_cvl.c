/* SPDX-License-Identifier: MIT */
/* The CVL modes against SPEC.md 5.7. */
#include "plugin_test.h"

typedef struct {
	const char *name;
	const char *mode;
	size_t n;
	BataggNum cvl[3];
	const char *charge_mode[3];
	double balancing;
	const char *bank_mode;
	double user_cap;
	BataggNum want;
} Case;

static const Case cases[] = {
        {"not balancing: lowest",
         "max_when_balancing",
         2,
         {NUM(55.2), NUM(55.0)},
         {},
         0,
         NULL,
         0,
         NUM(55.0)},
        {"balancing: highest",
         "max_when_balancing",
         2,
         {NUM(55.2), NUM(55.0)},
         {},
         1,
         NULL,
         0,
         NUM(55.2)},
        {"min_when_balancing is always the lowest",
         "min_when_balancing",
         2,
         {NUM(55.2), NUM(55.0)},
         {},
         1,
         NULL,
         0,
         NUM(55.0)},
        {"max_always", "max_always", 3, {NUM(55.2), NONE, NUM(56)}, {}, 0, NULL, 0, NUM(56)},
        {"max_when_floating, floating",
         "max_when_floating",
         2,
         {NUM(55.2), NUM(55.0)},
         {},
         0,
         "Float",
         0,
         NUM(55.2)},
        {"max_when_floating, in transition",
         "max_when_floating",
         2,
         {NUM(55.2), NUM(55.0)},
         {},
         0,
         "Float Transition",
         0,
         NUM(55.0)},
        {"charging batteries decide",
         "max_always",
         3,
         {NUM(56), NUM(55.0), NUM(54.0)},
         {"Float", "Bulk", NULL},
         0,
         NULL,
         0,
         NUM(55.0)},
        {"all floating: all count",
         "max_always",
         2,
         {NUM(56), NUM(55.0)},
         {"Float", "float"},
         0,
         NULL,
         0,
         NUM(56)},
        {"charging member without a CVL does not filter",
         "max_always",
         2,
         {NUM(56), NONE},
         {"Float", "Bulk"},
         0,
         NULL,
         0,
         NUM(56)},
        {"user cap", "max_always", 2, {NUM(56), NUM(55)}, {}, 0, NULL, 54.5, NUM(54.5)},
        {"user cap above", "max_always", 2, {NUM(56), NUM(55)}, {}, 0, NULL, 57, NUM(56)},
        {"no CVLs", "max_when_balancing", 2, {NONE, NONE}, {}, 0, NULL, 54, NONE},
        {"dvcc mode", "dvcc", 2, {NUM(56), NUM(55)}, {}, 0, NULL, 54.2, NUM(54.2)},
        {"dvcc mode, DVCC off", "dvcc", 1, {NUM(56)}, {}, 0, NULL, 0, NUM(0)},
};

static void test_every_mode(void **state)
{
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const Case *k = &cases[c];
		BataggCvlInput in = {.n = k->n,
		                     .cvl = k->cvl,
		                     .charge_mode = k->charge_mode,
		                     .balancing = NUM(k->balancing),
		                     .bank_charge_mode = k->bank_mode,
		                     .user_cap = k->user_cap};

		print_message("# %s: %s\n", k->mode, k->name);
		expect_num(k->name, cvl_mode(k->mode)->cvl(NULL, &in), k->want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_every_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
