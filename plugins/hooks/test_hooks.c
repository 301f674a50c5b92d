/* SPDX-License-Identifier: MIT */
/* The hooks (SPEC.md 6): the fixed value, as number or text, a text too
 * long for its buffers cut between characters, over every member; the
 * charging limits by threshold, held below every threshold; and refused
 * options named by their index. */
#include "plugin_test.h"

#define E "\xc3\xa9" /* "é": two bytes */
#define E10 E E E E E E E E E E

static void *create(const char *name, const BataggOption *opts, size_t n)
{
	BataggError err = {.option = -1};
	void *state = hook(name)->head.create(&test_host, opts, n, &err);

	if (!state)
		fail_msg("%s refused its options: %s", name, err.message);
	return state;
}

static void test_fixed_values(void **state)
{
	static const struct {
		BataggOption value;
		size_t text_len; /* the daemon's buffer */
		BataggValue want;
	} cases[] = {
	        {OPT_NUMBER("value", 55), 256, VNUM(55)},
	        {OPT_TEXT("value", "Float"), 256, VTEXT("Float")},
	        /* The hook keeps 127 bytes of its option: 63 whole "é". */
	        {OPT_TEXT("value", E10 E10 E10 E10 E10 E10 E10 E10 E10 E10), 256,
	         VTEXT(E10 E10 E10 E10 E10 E10 E E E)},
	        /* And a buffer smaller than its text: 7 whole "é" in 15 bytes. */
	        {OPT_TEXT("value", E10), 16, VTEXT(E E E E E E E)},
	};
	const BataggHook *h = hook("hooks.FixedValueHook");

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		BataggOption opts[] = {OPT_TEXT("path", "/System/MinVoltageCellId"),
		                       cases[c].value};
		void *st = create("hooks.FixedValueHook", opts, 2);
		BataggValue none = VNONE;
		BataggValue out = VNONE;
		char text[256];

		assert_true(h->provides(st, "/System/MinVoltageCellId"));
		assert_false(h->provides(st, "/Soc"));
		h->value(st, "/System/MinVoltageCellId", &none, &none, &out, text,
		         cases[c].text_len);
		assert_int_equal(out.type, cases[c].want.type);
		if (out.type == BATAGG_VALUE_NUMBER)
			assert_true(out.number == cases[c].want.number);
		else
			assert_string_equal(out.text, cases[c].want.text);
		h->head.destroy(st);
	}
}

/* As in the Python daemon, a fixed value holds its path wherever it is
 * listed (a fixed CVL below the BMS's); the charging limits count at their
 * place among the members. */
static void test_placement(void **state)
{
	assert_int_equal(hook("hooks.FixedValueHook")->placement, BATAGG_HOOK_OVERRIDES);
	assert_int_equal(hook("hooks.CustomChargingHook")->placement, BATAGG_HOOK_IN_ORDER);
	assert_int_equal(hook("hooks.TemperatureChargingHook")->placement, BATAGG_HOOK_IN_ORDER);
}

/* The limit of the last threshold, in the config's order, at or below the
 * merged voltage. */
static void test_charging_by_threshold(void **state)
{
	static const struct {
		double volts;
		BataggValue ccl;
	} cases[] = {
	        {11.0, VNONE}, {12.0, VNUM(10)}, {12.9, VNUM(10)}, {13.0, VNUM(15)}, {14, VNUM(15)},
	};
	BataggOption opts[] = {OPT_NUMBER("ccls/12", 10), OPT_TEXT("ccls/13", "15")};
	const BataggHook *h = hook("hooks.CustomChargingHook");
	void *st = create("hooks.CustomChargingHook", opts, 2);

	assert_true(h->provides(st, "/Info/MaxChargeCurrent"));
	assert_false(h->provides(st, "/Info/MaxDischargeCurrent"));
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		BataggValue key = VNUM(cases[c].volts);
		BataggValue none = VNONE;
		BataggValue out = VNONE;
		char text[64];

		h->value(st, "/Info/MaxChargeCurrent", &key, &none, &out, text, sizeof(text));
		assert_int_equal(out.type, cases[c].ccl.type);
		if (out.type == BATAGG_VALUE_NUMBER)
			assert_true(out.number == cases[c].ccl.number);
	}
	h->head.destroy(st);
}

/* The Python daemon's own hook test, continued: a limit given holds when
 * the key falls below every threshold or is invalid, until another
 * threshold matches; before any, the hook gives none.  Each call gets the
 * value the call before gave, as the daemon passes it. */
static void test_charging_limit_holds(void **state)
{
	static const struct {
		const char *path;
		BataggValue key;
		BataggValue want;
	} steps[] = {
	        {"/Info/MaxChargeCurrent", VNUM(11.9), VNONE},    /* none yet */
	        {"/Info/MaxChargeCurrent", VNONE, VNONE},         /* no voltage */
	        {"/Info/MaxChargeCurrent", VNUM(12.6), VNUM(10)}, /* "12" */
	        {"/Info/MaxChargeCurrent", VNUM(11.9), VNUM(10)}, /* holds */
	        {"/Info/MaxChargeCurrent", VNONE, VNUM(10)},      /* holds */
	        {"/Info/MaxChargeCurrent", VNUM(13.2), VNUM(10)}, /* "12", listed last */
	        {"/Info/MaxDischargeCurrent", VNUM(11.0), VNONE},
	        {"/Info/MaxDischargeCurrent", VNUM(12.0), VNUM(50)},
	        {"/Info/MaxDischargeCurrent", VNUM(13.1), VNUM(100)},
	        {"/Info/MaxDischargeCurrent", VNUM(12.5), VNUM(50)},
	        {"/Info/MaxDischargeCurrent", VNUM(10.0), VNUM(50)},
	};
	BataggOption opts[] = {OPT_NUMBER("ccls/13", 15), OPT_NUMBER("ccls/12", 10),
	                       OPT_NUMBER("dcls/12", 50), OPT_NUMBER("dcls/13", 100)};
	const char *names[] = {"hooks.CustomChargingHook", "hooks.TemperatureChargingHook"};

	for (size_t k = 0; k < 2; k++) {
		const BataggHook *h = hook(names[k]);
		void *st = create(names[k], opts, 4);
		BataggValue last[2] = {VNONE, VNONE};

		for (size_t c = 0; c < sizeof(steps) / sizeof(steps[0]); c++) {
			bool dcl = strcmp(steps[c].path, "/Info/MaxDischargeCurrent") == 0;
			BataggValue out = VNONE;
			char text[64];

			h->value(st, steps[c].path, &steps[c].key, &last[dcl], &out, text,
			         sizeof(text));
			if (out.type != steps[c].want.type ||
			    (out.type == BATAGG_VALUE_NUMBER && out.number != steps[c].want.number))
				fail_msg("%s, step %zu: got type %d (%g), want type %d (%g)",
				         names[k], c, out.type, out.number, steps[c].want.type,
				         steps[c].want.number);
			last[dcl] = out;
		}
		h->head.destroy(st);
	}
}

static void test_refused_options(void **state)
{
	static const struct {
		const char *hook;
		BataggOption opts[2];
		size_t n;
		int option;
		const char *why;
	} cases[] = {
	        {"hooks.FixedValueHook", {OPT_NUMBER("value", 1)}, 1, -1, "option 'path'"},
	        {"hooks.FixedValueHook", {OPT_NUMBER("path", 1)}, 1, 0, "option 'path'"},
	        {"hooks.FixedValueHook",
	         {OPT_TEXT("path", "/Soc"), OPT_NUMBER("valeu", 1)},
	         2,
	         1,
	         "unknown option 'valeu'"},
	        {"hooks.CustomChargingHook", {OPT_NUMBER("ccl/12", 10)}, 1, 0, "\"ccls\""},
	        {"hooks.CustomChargingHook", {OPT_TEXT("ccls/12", "lots")}, 1, 0, "\"ccls\""},
	        {"hooks.TemperatureChargingHook", {OPT_NUMBER("dcls/x", 10)}, 1, 0, "\"dcls\""},
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		BataggError err = {.option = -1};

		assert_null(hook(cases[c].hook)
		                    ->head.create(&test_host, cases[c].opts, cases[c].n, &err));
		assert_int_equal(err.option, cases[c].option);
		if (!strstr(err.message, cases[c].why))
			fail_msg("'%s' does not say '%s'", err.message, cases[c].why);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_fixed_values),
	        cmocka_unit_test(test_placement),
	        cmocka_unit_test(test_charging_by_threshold),
	        cmocka_unit_test(test_charging_limit_holds),
	        cmocka_unit_test(test_refused_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
