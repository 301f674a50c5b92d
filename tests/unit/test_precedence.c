/* SPDX-License-Identifier: MIT */
/*
 * A virtual battery's combiner (SPEC.md 6) with the real built-in plugins
 * (no bus): a hook that overrides wins every path it provides, wherever it
 * is listed and from the first value published; its values are sanitized
 * like any input's, and one it does not give lets the members' through.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "engine_fixture.h"

#define BMS "com.victronenergy.battery.bms"
#define SHUNT "com.victronenergy.battery.shunt"

/* A hook of the test's own that overrides three paths: /Soc 42, CCL 33 A
 * and, while dcl_given, DCL 44 A. */
static bool dcl_given = true;

static bool three_provides(void *state, const char *path)
{
	return strcmp(path, "/Soc") == 0 || strcmp(path, "/Info/MaxChargeCurrent") == 0 ||
	       strcmp(path, "/Info/MaxDischargeCurrent") == 0;
}

static void three_value(void *state, const char *path, const BataggValue *key,
                        const BataggValue *previous, BataggValue *out, char *text, size_t text_len)
{
	double x = strcmp(path, "/Soc") == 0                     ? 42
	           : strcmp(path, "/Info/MaxChargeCurrent") == 0 ? 33
	                                                         : 44;

	if (x != 44 || dcl_given)
		*out = (BataggValue){.type = BATAGG_VALUE_NUMBER, .number = x};
}

static const BataggHook three = {
        .head = {.struct_size = sizeof(BataggHook), .kind = BATAGG_KIND_HOOK, .name = "three"},
        .placement = BATAGG_HOOK_OVERRIDES,
        .provides = three_provides,
        .value = three_value,
};

/* A member at its place (rank) in the config. */
static EngineInput *member_at(Fixture *f, const char *service, int rank, const char *spec)
{
	EngineInput *in = inputs_add(f->e, ROLE_PRIMARY, service, NULL, rank, NULL);

	fixture_set(f, in, spec);
	return in;
}

/* Every value of path published so far was want. */
static void only_published(Fixture *f, const char *path, double want)
{
	Value w = value_double(want);
	g_autofree char *text = value_format(&w, UNIT_NONE);
	g_autofree char *entry = g_strdup_printf("%s=%s", path, text);
	size_t len = strlen(path);
	int seen = 0;

	for (guint i = 0; i < f->log->len; i++) {
		const char *e = f->log->pdata[i];

		if (strncmp(e, path, len) != 0 || e[len] != '=')
			continue;
		seen++;
		if (strcmp(e, entry) != 0)
			fail_msg("published %s, never anything but %s", e, entry);
	}
	if (!seen)
		fail_msg("%s was never published", path);
}

static void test_override_wins_every_path_it_provides(void **state)
{
	Fixture *f = fixture_new_virtual(
	        "{\"virtualBatteries\": {\"com.victronenergy.battery.v\": [\"" BMS "\", \"" SHUNT
	        "\", \"class:hooks.CustomChargingHook\", \"class:hooks.FixedValueHook#cvl\"]},"
	        " \"classes\": {\"hooks.CustomChargingHook\": {\"ccls\": {\"0\": 80}},"
	        "  \"hooks.FixedValueHook#cvl\": {\"path\": \"/Info/MaxChargeVoltage\","
	        " \"value\": 54.0}}}");
	EngineInput *bms;

	dcl_given = true;
	/* Listed last, after the members and the in-order hook. */
	inputs_add_hook(f->e, 9, &three, NULL);
	bms = member_at(f, BMS, 0,
	                "/Dc/0/Voltage=52.0; /Soc=90.0; /Info/MaxChargeVoltage=55.0;"
	                "/Info/MaxChargeCurrent=100.0; /Info/MaxDischargeCurrent=200.0");
	member_at(f, SHUNT, 1, "/Soc=61.0; /Dc/0/Current=3.0");
	fixture_flush(f);
	expect_number(f, "/Info/MaxChargeVoltage", 54.0);
	expect_number(f, "/Soc", 42);
	expect_number(f, "/Info/MaxChargeCurrent", 33);
	expect_number(f, "/Info/MaxDischargeCurrent", 44);
	expect_number(f, "/Dc/0/Voltage", 52.0);
	expect_number(f, "/Dc/0/Current", 3.0);

	/* The members' values change, vanish, a member joins again later. */
	fixture_set(f, bms, "/Info/MaxChargeVoltage=53.0; /Soc=91.0; /Info/MaxChargeCurrent=90.0");
	fixture_flush(f);
	fixture_set(f, bms, "/Info/MaxChargeVoltage=-; /Info/MaxChargeCurrent=-");
	fixture_flush(f);
	member_at(f, "com.victronenergy.battery.late", 0,
	          "/Info/MaxChargeVoltage=56.0; /Soc=10.0; /Info/MaxChargeCurrent=300.0");
	fixture_flush(f);
	/* Not even the first flush, before the hooks had run, published a
	 * member's value of those paths. */
	only_published(f, "/Info/MaxChargeVoltage", 54.0);
	only_published(f, "/Soc", 42);
	only_published(f, "/Info/MaxChargeCurrent", 33);
	only_published(f, "/Info/MaxDischargeCurrent", 44);

	/* A path the hook gives no value for has the members' value. */
	dcl_given = false;
	fixture_set(f, bms, "/Info/MaxDischargeCurrent=150.0");
	fixture_flush(f);
	expect_number(f, "/Info/MaxDischargeCurrent", 150.0);
	fixture_free(f);
}

/* A fixed limit is sanitized like a member's: a CVL of 0 V (or beyond the
 * sane range) is no CVL, so the BMS's counts; a negative CCL counts as 0,
 * one too high as the highest. */
static void test_fixed_limits_are_sanitized(void **state)
{
	Fixture *f = fixture_new_virtual(
	        "{\"virtualBatteries\": {\"com.victronenergy.battery.v\": [\"" BMS "\","
	        " \"class:hooks.FixedValueHook#cvl\", \"class:hooks.FixedValueHook#ccl\","
	        " \"class:hooks.FixedValueHook#dcl\"]},"
	        " \"classes\": {\"hooks.FixedValueHook#cvl\": {\"path\": "
	        "\"/Info/MaxChargeVoltage\","
	        " \"value\": 0},"
	        "  \"hooks.FixedValueHook#ccl\": {\"path\": \"/Info/MaxChargeCurrent\","
	        " \"value\": -5},"
	        "  \"hooks.FixedValueHook#dcl\": {\"path\": \"/Info/MaxDischargeCurrent\","
	        " \"value\": 1e9}}}");

	member_at(f, BMS, 0,
	          "/Info/MaxChargeVoltage=55.0; /Info/MaxChargeCurrent=100.0;"
	          "/Info/MaxDischargeCurrent=200.0");
	fixture_flush(f);
	expect_number(f, "/Info/MaxChargeVoltage", 55.0);
	expect_number(f, "/Info/MaxChargeCurrent", 0);
	expect_number(f, "/Info/MaxDischargeCurrent", 1.0e6);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_override_wins_every_path_it_provides),
	        cmocka_unit_test(test_fixed_limits_are_sanitized),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
