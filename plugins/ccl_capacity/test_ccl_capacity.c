/* SPDX-License-Identifier: MIT */
/* The "capacity" ratio against SPEC.md 5.4. */
#include "plugin_test.h"

typedef struct {
	const char *name;
	size_t n;
	BataggNum capacity[3];
	bool allow_reported;
	BataggNum bank;
	BataggNum want[3];
} Case;

static const Case cases[] = {
        {"shares by capacity",
         2,
         {NUM(280), NUM(100)},
         true,
         NUM(999),
         {NUM(380.0 / 280), NUM(3.8)}},
        {"without Allow flags: the bank's capacity",
         2,
         {NUM(280), NUM(100)},
         false,
         NUM(500),
         {NUM(500.0 / 280), NUM(5)}},
        {"a missing capacity leaves the total unknown",
         2,
         {NUM(280), NONE},
         true,
         NUM(380),
         {NONE, NONE}},
        {"a zero capacity cannot be served",
         2,
         {NUM(280), NUM(0)},
         false,
         NUM(280),
         {NUM(1), NONE}},
        {"no bank capacity", 1, {NUM(280)}, false, NONE, {NONE}},
};

static void test_capacity_ratios(void **state)
{
	const BataggRatioMethod *m = ratio_method("capacity");
	void *st = m->head.create(&test_host, NULL, 0, &(BataggError){.option = -1});

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const Case *k = &cases[c];
		const BataggMember ids[] = {*member(1), *member(2), *member(3)};
		BataggRatioInput in = {.n = k->n,
		                       .members = ids,
		                       .capacity = k->capacity,
		                       .allow_reported = k->allow_reported,
		                       .bank_capacity = k->bank};
		BataggNum out[3];

		print_message("# %s\n", k->name);
		m->ratios(st, &in, out);
		for (size_t i = 0; i < k->n; i++)
			expect_num(k->name, out[i], k->want[i]);
	}
	m->head.destroy(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_capacity_ratios),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
