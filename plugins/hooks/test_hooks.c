/* SPDX-License-Identifier: MIT */
/* The fixed-value hook (SPEC.md 6): its value, as number or text, and a text
 * too long for its buffers cut between characters. */
#include "plugin_test.h"

#define E "\xc3\xa9" /* "é": two bytes */
#define E10 E E E E E E E E E E

static void *fixed_hook(const char *path, const char *value)
{
	const BataggMergePolicy *p = merge_policy("hooks.FixedValueHook");
	BataggOption opts[] = {{"path", path}, {"value", value}};
	char err[128] = "";
	void *state = p->create(&test_host, opts, 2, err, sizeof(err));

	if (!state)
		fail_msg("hooks.FixedValueHook refused %s = %s: %s", path, value, err);
	return state;
}

static void test_fixed_values(void **state)
{
	static const struct {
		const char *value;
		size_t text_len; /* the daemon's buffer */
		BataggValue want;
	} cases[] = {
	        {"55", 256, VNUM(55)},
	        {"Float", 256, VTEXT("Float")},
	        /* The hook keeps 127 bytes of its option: 63 whole "é". */
	        {E10 E10 E10 E10 E10 E10 E10 E10 E10 E10, 256,
	         VTEXT(E10 E10 E10 E10 E10 E10 E E E)},
	        /* And a buffer smaller than its text: 7 whole "é" in 15 bytes. */
	        {E10, 16, VTEXT(E E E E E E E)},
	};
	const BataggMergePolicy *p = merge_policy("hooks.FixedValueHook");

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		void *hook = fixed_hook("/System/MinVoltageCellId", cases[c].value);
		BataggValue previous = VNONE;
		BataggMergeInput in = {
		        .n = 1, .values = &previous, .path = "/System/MinVoltageCellId"};
		BataggValue out = {.type = 99};
		char text[256];

		assert_true(p->provides(hook, "/System/MinVoltageCellId"));
		assert_false(p->provides(hook, "/Soc"));
		p->merge(hook, &in, &out, text, cases[c].text_len);
		assert_int_equal(out.type, cases[c].want.type);
		if (out.type == BATAGG_VALUE_NUMBER)
			assert_true(out.number == cases[c].want.number);
		else
			assert_string_equal(out.text, cases[c].want.text);
		p->destroy(hook);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_fixed_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
