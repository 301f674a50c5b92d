/* SPDX-License-Identifier: MIT */
/* The "count" ratio: equal shares. */
#include "plugin_test.h"

static void test_equal_shares(void **state)
{
	const BataggMember ids[] = {*member(1), *member(2), *member(3)};
	static const BataggNum caps[3];
	BataggRatioInput in = {.n = 3, .members = ids, .capacity = caps};
	BataggNum out[3];

	ratio_method("count")->ratios(NULL, &in, out);
	for (int i = 0; i < 3; i++)
		expect_num("ratio", out[i], NUM(3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_equal_shares),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
