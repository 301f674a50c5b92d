/* SPDX-License-Identifier: MIT */
/*
 * The aggregation engine against SPEC.md 5.1-5.7, with the real built-in
 * strategy plugins loaded through the registry (no bus).  Each test feeds
 * members' values and checks what the engine publishes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "aggregate.h"
#include "config.h"
#include "daemon.h"
#include "registry.h"
#include "strategies.h"

typedef struct {
	Registry *reg;
	Config *cfg;
	Strategies *st;
	Engine *e;
	GHashTable *out; /* path -> Value * (last published) */
	int publishes;
} Fixture;

static void value_free_ptr(gpointer p)
{
	value_clear(p);
	g_free(p);
}

static void capture(void *user_data, const char *path, const Value *v)
{
	Fixture *f = user_data;
	Value *copy = g_new0(Value, 1);

	value_copy(copy, v);
	g_hash_table_replace(f->out, g_strdup(path), copy);
	f->publishes++;
}

static Registry *load_builtins(void)
{
	const char *dir = g_getenv("BATAGG_PLUGIN_BUILD_DIR");
	Registry *reg = registry_new();
	GPtrArray *refused = NULL;
	GError *error = NULL;

	assert_non_null(dir);
	assert_true(registry_load_dir(reg, dir, &refused, &error) >= 5);
	assert_true(!refused || refused->len == 0);
	if (refused)
		g_ptr_array_free(refused, TRUE);
	return reg;
}

/* Builds an engine for a config given as JSON text. */
static Fixture *fixture_new(const char *json)
{
	Fixture *f = g_new0(Fixture, 1);
	GError *error = NULL;

	f->reg = load_builtins();
	f->cfg = config_parse(json, strlen(json), "test", &error);
	if (!f->cfg)
		fail_msg("config: %s", error->message);
	f->st = strategies_new(f->cfg, f->reg, &error);
	if (!f->st)
		fail_msg("strategies: %s", error->message);
	f->out = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, value_free_ptr);
	f->e = engine_new(strategies_setup(f->st), capture, f);
	return f;
}

static void fixture_free(Fixture *f)
{
	engine_free(f->e);
	strategies_free(f->st);
	config_free(f->cfg);
	registry_free(f->reg);
	g_hash_table_destroy(f->out);
	g_free(f);
}

/* What the engine publishes now for path (as a client reading it sees). */
static const Value *out(Fixture *f, const char *path)
{
	for (int i = 0; i < N_PUBLISHED; i++) {
		if (strcmp(engine_published_path(i), path) == 0)
			return engine_published(f->e, i);
	}
	fail_msg("%s is not published", path);
	return NULL;
}

static void expect_number(Fixture *f, const char *path, double x)
{
	const Value *v = out(f, path);
	double got;

	if (!value_number(v, &got))
		fail_msg("%s: expected %g, got no number", path, x);
	if (fabs(got - x) > 1e-9 * fmax(1, fabs(x)))
		fail_msg("%s: expected %.12g, got %.12g", path, x, got);
}

static void expect_invalid(Fixture *f, const char *path)
{
	if (out(f, path)->type != VALUE_INVALID)
		fail_msg("%s: expected invalid", path);
}

static void expect_text(Fixture *f, const char *path, const char *text)
{
	const Value *v = out(f, path);

	if (v->type != VALUE_TEXT || strcmp(v->u.s, text) != 0)
		fail_msg("%s: expected '%s', got '%s'", path, text,
		         v->type == VALUE_TEXT ? v->u.s : "(not text)");
}

/* Sets "path=value" pairs on an input; value syntax: 1.5 (double), 3i (int),
 * 'text', - (invalid). */
static void set(Fixture *f, EngineInput *in, const char *spec)
{
	g_auto(GStrv) pairs = g_strsplit(spec, ";", -1);

	for (size_t i = 0; pairs[i]; i++) {
		g_auto(GStrv) kv = g_strsplit(g_strstrip(pairs[i]), "=", 2);
		Value v = VALUE_INIT;
		size_t len;

		if (!kv[0] || !kv[0][0])
			continue;
		assert_non_null(kv[1]);
		len = strlen(kv[1]);
		if (kv[1][0] == '\'') {
			g_autofree char *text = g_strndup(kv[1] + 1, len - 2);

			v = value_text(text);
		} else if (strcmp(kv[1], "-") == 0)
			v = VALUE_INIT;
		else if (kv[1][len - 1] == 'i')
			v = value_int(g_ascii_strtoll(kv[1], NULL, 10));
		else
			v = value_double(g_ascii_strtod(kv[1], NULL));
		engine_input_set(f->e, in, kv[0], &v);
		value_clear(&v);
	}
}

static EngineInput *member(Fixture *f, const char *service, const char *spec)
{
	EngineInput *in = engine_add_input(f->e, ROLE_MEMBER, service, 0, NULL);

	set(f, in, spec);
	return in;
}

/* The two batteries of the acceptance scenario "basic". */
#define RACK_A                                                                                     \
	"/CustomName='Rack A'; /Dc/0/Voltage=53.1; /Dc/0/Current=10.0; /Dc/0/Power=531.0;"         \
	"/Dc/0/Temperature=21.0; /Soc=80.0; /InstalledCapacity=280.0; /Capacity=220.0;"            \
	"/ConsumedAmphours=60.0; /Info/MaxChargeCurrent=100.0; /Info/MaxDischargeCurrent=150.0;"   \
	"/Info/MaxChargeVoltage=55.2; /Io/AllowToCharge=1i; /Io/AllowToDischarge=1i;"              \
	"/System/MinCellVoltage=3.30; /System/MaxCellVoltage=3.35; /System/MinVoltageCellId='C3';" \
	"/System/MaxVoltageCellId='C9'; /Alarms/LowVoltage=0i; /Balancing=0i"
#define RACK_B                                                                                     \
	"/CustomName=''; /Dc/0/Voltage=53.3; /Dc/0/Current=5.0; /Dc/0/Power=266.5;"                \
	"/Dc/0/Temperature=24.0; /Soc=70.0; /InstalledCapacity=100.0; /Capacity=70.0;"             \
	"/ConsumedAmphours=30.0; /Info/MaxChargeCurrent=50.0; /Info/MaxDischargeCurrent=100.0;"    \
	"/Info/MaxChargeVoltage=55.0; /Io/AllowToCharge=1i; /Io/AllowToDischarge=1i;"              \
	"/System/MinCellVoltage=3.28; /System/MaxCellVoltage=3.38; /System/MinVoltageCellId='C1';" \
	"/System/MaxVoltageCellId='C2'; /Alarms/LowVoltage=1i; /Balancing=0i"

static void test_no_members_counts_zero_measurements_invalid(void **state)
{
	Fixture *f = fixture_new("{}");

	engine_flush(f->e);
	expect_invalid(f, "/Dc/0/Voltage");
	expect_invalid(f, "/Dc/0/Current");
	expect_invalid(f, "/Soc");
	expect_invalid(f, "/Info/MaxChargeCurrent");
	expect_number(f, "/Alarms/LowVoltage", 0);
	expect_number(f, "/System/NrOfModulesOnline", 0);
	expect_number(f, "/System/NrOfBatteries", 0);
	expect_text(f, "/System/Batteries", "[]");
	fixture_free(f);
}

/* SPEC 5.1 rules and the acceptance scenario's expected numbers. */
static void test_basic_bank(void **state)
{
	Fixture *f = fixture_new("{}");
	EngineInput *a = member(f, "com.victronenergy.battery.ttyS1", RACK_A);

	member(f, "com.victronenergy.battery.ttyS2", RACK_B);
	engine_set_dvcc(f->e, true);
	engine_flush(f->e);

	expect_number(f, "/Dc/0/Current", 15.0);
	expect_number(f, "/Dc/0/Power", 797.5);
	expect_number(f, "/Dc/0/Voltage", 53.2);
	expect_number(f, "/Dc/0/Temperature", 24.0);
	expect_number(f, "/Soc", 75.0);
	expect_number(f, "/Capacity", 290.0);
	expect_number(f, "/InstalledCapacity", 380.0);
	expect_number(f, "/ConsumedAmphours", 90.0);
	expect_number(f, "/Alarms/LowVoltage", 1);
	expect_number(f, "/Alarms/HighVoltage", 0);
	expect_number(f, "/Balancing", 0);
	expect_number(f, "/Io/AllowToCharge", 1);
	expect_invalid(f, "/Io/AllowToBalance");
	expect_invalid(f, "/Info/BatteryLowVoltage");
	expect_invalid(f, "/Info/ChargeMode");
	expect_invalid(f, "/TimeToGo");
	expect_number(f, "/System/MinCellVoltage", 3.28);
	expect_number(f, "/System/MaxCellVoltage", 3.38);
	expect_text(f, "/System/MinVoltageCellId", "ttyS2 C1");
	expect_text(f, "/System/MaxVoltageCellId", "ttyS2 C2");
	expect_invalid(f, "/System/MinTemperatureCellId");
	expect_text(f, "/System/Batteries",
	            "[\"com.victronenergy.battery.ttyS1\", \"com.victronenergy.battery.ttyS2\"]");
	expect_number(f, "/System/NrOfBatteries", 2);
	expect_number(f, "/System/BatteriesParallel", 2);
	expect_number(f, "/System/BatteriesSeries", 1);
	expect_text(f, "/System/InternalResistances", "[0, 0]");
	/* No IR estimate yet: capacity ratios 380/280 and 380/100. */
	expect_number(f, "/Info/MaxChargeCurrent", 100.0 * 380 / 280);
	expect_number(f, "/Info/MaxDischargeCurrent", 150.0 * 380 / 280);
	expect_number(f, "/Info/MaxChargeVoltage", 55.0);

	set(f, a, "/Dc/0/Current=20.0");
	engine_flush(f->e);
	expect_number(f, "/Dc/0/Current", 25.0);
	fixture_free(f);
}

static void test_cvl_follows_balancing(void **state)
{
	Fixture *f = fixture_new("{}");
	EngineInput *b;

	member(f, "com.victronenergy.battery.ttyS1", RACK_A);
	b = member(f, "com.victronenergy.battery.ttyS2", RACK_B);
	engine_flush(f->e);
	expect_number(f, "/Info/MaxChargeVoltage", 55.0);
	set(f, b, "/Balancing=1i");
	engine_flush(f->e);
	expect_number(f, "/Balancing", 1);
	expect_number(f, "/Info/MaxChargeVoltage", 55.2);
	fixture_free(f);
}

static void test_refusing_member_leaves_the_others(void **state)
{
	Fixture *f = fixture_new("{}");
	EngineInput *a, *b;

	a = member(f, "com.victronenergy.battery.ttyS1", RACK_A);
	b = member(f, "com.victronenergy.battery.ttyS2", RACK_B);
	set(f, b, "/Io/AllowToCharge=0i");
	engine_flush(f->e);
	/* Only ttyS1 is connected: the whole bank current goes through it. */
	expect_number(f, "/Info/MaxChargeCurrent", 100.0);
	expect_number(f, "/Io/AllowToCharge", 1);
	set(f, a, "/Io/AllowToCharge=0i");
	engine_flush(f->e);
	/* Every battery that reports a limit refuses charge. */
	expect_number(f, "/Info/MaxChargeCurrent", 0);
	fixture_free(f);
}

static void test_dvcc_user_limit(void **state)
{
	static const struct {
		const char *config;
		bool dvcc;
		double user;
		double ccl;
	} cases[] = {
	        {"{}", true, 30, 30},
	        {"{}", true, -1, 100.0 * 380 / 280},
	        {"{}", false, 30, 100.0 * 380 / 280},
	        {"{\"cclMode\": \"battery\"}", true, 30, 100.0 * 380 / 280},
	        {"{\"cclMode\": \"dvcc\"}", true, 30, 30},
	        {"{\"cclMode\": \"dvcc\"}", false, 30, -1},
	        {"{\"currentRatioMethod\": \"count\"}", true, -1, 50.0 * 2},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		Fixture *f = fixture_new(cases[i].config);

		member(f, "com.victronenergy.battery.ttyS1", RACK_A);
		member(f, "com.victronenergy.battery.ttyS2", RACK_B);
		engine_set_dvcc(f->e, cases[i].dvcc);
		engine_set_user_ccl(f->e, cases[i].user);
		engine_flush(f->e);
		print_message("# case %zu: %s dvcc=%d user=%g\n", i, cases[i].config, cases[i].dvcc,
		              cases[i].user);
		expect_number(f, "/Info/MaxChargeCurrent", cases[i].ccl);
		fixture_free(f);
	}
}

static void test_membership_changes(void **state)
{
	Fixture *f = fixture_new("{}");
	EngineInput *b;

	member(f, "com.victronenergy.battery.ttyS1", RACK_A);
	b = member(f, "com.victronenergy.battery.ttyS2", RACK_B);
	engine_flush(f->e);
	engine_remove_input(f->e, b);
	engine_flush(f->e);
	expect_number(f, "/Dc/0/Voltage", 53.1);
	expect_number(f, "/Info/MaxDischargeCurrent", 150.0);
	expect_text(f, "/System/MinVoltageCellId", "Rack A C3");
	expect_text(f, "/System/Batteries", "[\"com.victronenergy.battery.ttyS1\"]");
	expect_number(f, "/Alarms/LowVoltage", 0);
	member(f, "com.victronenergy.battery.ttyS3",
	       "/Dc/0/Voltage=53.2; /Dc/0/Current=3.0; /Soc=50.0; /InstalledCapacity=100.0;"
	       "/Info/MaxChargeCurrent=40.0; /Info/MaxDischargeCurrent=60.0;"
	       "/Info/MaxChargeVoltage=54.8; /Io/AllowToCharge=1i; /Io/AllowToDischarge=1i");
	engine_flush(f->e);
	expect_number(f, "/Dc/0/Voltage", 53.15);
	expect_number(f, "/Info/MaxChargeCurrent", 100.0 * 380 / 280);
	expect_number(f, "/Info/MaxChargeVoltage", 54.8);
	fixture_free(f);
}

static void test_primary_replaces_auxiliary_fills(void **state)
{
	static const char *const shunt_paths[] = {"/Soc", "/Dc/0/Current", NULL};
	Fixture *f = fixture_new("{}");
	EngineInput *p, *x;

	member(f, "com.victronenergy.battery.ttyS1", RACK_A);
	p = engine_add_input(f->e, ROLE_PRIMARY, "com.victronenergy.battery.shunt", 0, shunt_paths);
	x = engine_add_input(f->e, ROLE_AUXILIARY, "com.victronenergy.battery.aux", 0, NULL);
	set(f, p, "/Soc=42.0; /Dc/0/Current=-7.5; /Dc/0/Voltage=12.0");
	set(f, x, "/TimeToGo=3600i; /Soc=10.0; /Dc/0/Temperature=30.0");
	engine_flush(f->e);
	expect_number(f, "/Soc", 42.0);
	expect_number(f, "/Dc/0/Current", -7.5);
	expect_number(f, "/Dc/0/Voltage", 53.1); /* not in the primary's path list */
	expect_number(f, "/TimeToGo", 3600);     /* no member value: auxiliary */
	expect_number(f, "/Dc/0/Temperature", 21.0);
	set(f, p, "/Soc=-");
	engine_flush(f->e);
	expect_number(f, "/Soc", 80.0);
	fixture_free(f);
}

static void test_fixed_capacity(void **state)
{
	Fixture *f = fixture_new("{\"capacity\": 500}");

	member(f, "com.victronenergy.battery.ttyS1", RACK_A);
	member(f, "com.victronenergy.battery.ttyS2", RACK_B);
	engine_flush(f->e);
	expect_number(f, "/InstalledCapacity", 500);
	expect_invalid(f, "/Capacity");
	/* Members' capacities are not read: the ratio falls back to count. */
	expect_number(f, "/Info/MaxChargeCurrent", 50.0 * 2);
	fixture_free(f);
}

static void test_charge_mode_and_cvl_of_charging_members(void **state)
{
	Fixture *f = fixture_new("{\"cvlMode\": \"max_always\"}");
	EngineInput *a, *b;

	a = member(f, "com.victronenergy.battery.ttyS1", RACK_A "; /Info/ChargeMode='Float'");
	b = member(f, "com.victronenergy.battery.ttyS2", RACK_B "; /Info/ChargeMode='Bulk'");
	engine_flush(f->e);
	expect_text(f, "/Info/ChargeMode", "Float Transition");
	/* The battery still charging decides. */
	expect_number(f, "/Info/MaxChargeVoltage", 55.0);
	set(f, b, "/Info/ChargeMode='Float'");
	engine_flush(f->e);
	expect_text(f, "/Info/ChargeMode", "Float");
	expect_number(f, "/Info/MaxChargeVoltage", 55.2);
	set(f, a, "/Info/ChargeMode=-");
	set(f, b, "/Info/ChargeMode=-");
	engine_flush(f->e);
	expect_invalid(f, "/Info/ChargeMode");
	fixture_free(f);
}

static void test_merge_policy_override(void **state)
{
	Fixture *f = fixture_new("{\"mergePolicies\": {\"/Soc\": \"capacity_weighted_mean\"}}");

	member(f, "com.victronenergy.battery.ttyS1", RACK_A);
	member(f, "com.victronenergy.battery.ttyS2", RACK_B);
	engine_flush(f->e);
	expect_number(f, "/Soc", (80.0 * 280 + 70.0 * 100) / 380);
	fixture_free(f);
}

static void test_wrong_types_are_invalid(void **state)
{
	Fixture *f = fixture_new("{}");
	EngineInput *a = member(f, "com.victronenergy.battery.ttyS1", "/Dc/0/Voltage='53'");

	member(f, "com.victronenergy.battery.ttyS2", "/Dc/0/Voltage=52.0; /Soc='full'");
	engine_flush(f->e);
	expect_number(f, "/Dc/0/Voltage", 52.0);
	expect_invalid(f, "/Soc");
	set(f, a, "/Dc/0/Voltage=54i");
	engine_flush(f->e);
	expect_number(f, "/Dc/0/Voltage", 53.0);
	fixture_free(f);
}

static void test_unchanged_values_publish_nothing(void **state)
{
	Fixture *f = fixture_new("{}");
	EngineInput *a = member(f, "com.victronenergy.battery.ttyS1", RACK_A);
	int before;

	engine_flush(f->e);
	before = f->publishes;
	set(f, a, "/Dc/0/Current=10.0; /Soc=80.0");
	engine_flush(f->e);
	assert_int_equal(f->publishes, before);
	fixture_free(f);
}

/* Property (SPEC 5.4-5.6): in any bank, at the published CCL (DCL) no
 * connected member exceeds its own limit, i.e. CCL <= limit_i * r_i, and the
 * members' shares 1/r_i of the bank current add up to 1. */
static void check_shares(Fixture *f, const char *ratios_path, const char *limit_path,
                         const double *limits, const bool *connected, int n)
{
	const Value *lim = out(f, limit_path);
	const Value *rv = out(f, ratios_path);
	g_auto(GStrv) parts = NULL;
	double bank, share = 0;
	int k = 0;

	assert_int_equal(rv->type, VALUE_TEXT);
	parts = g_strsplit_set(rv->u.s, "[], ", -1);
	for (int i = 0; parts[i]; i++) {
		double r;

		if (!parts[i][0])
			continue;
		if (strcmp(parts[i], "null") == 0) {
			assert_false(connected[k]);
			k++;
			continue;
		}
		assert_true(connected[k]);
		r = g_ascii_strtod(parts[i], NULL);
		assert_true(r >= 1.0 - 1e-9);
		share += 1.0 / r;
		if (value_number(lim, &bank) && bank > limits[k] * r * (1 + 1e-9))
			fail_msg("%s = %.9g exceeds member %d's %.9g x %.9g (%s)", limit_path, bank,
			         k, limits[k], r, rv->u.s);
		k++;
	}
	assert_int_equal(k, n);
	if (share > 0)
		assert_true(fabs(share - 1.0) < 1e-9);
}

static void test_property_random_banks(void **state)
{
	static const char *const methods[] = {"{}", "{\"currentRatioMethod\": \"capacity\"}",
	                                      "{\"currentRatioMethod\": \"count\"}"};
	GRand *rand = g_rand_new_with_seed(20261124);

	for (int bank = 0; bank < 300; bank++) {
		Fixture *f = fixture_new(methods[bank % 3]);
		int n = g_rand_int_range(rand, 1, 9);
		double ccl[8], dcl[8];
		bool charge[8], discharge[8];

		for (int i = 0; i < n; i++) {
			g_autofree char *name = g_strdup_printf("com.victronenergy.battery.b%d", i);
			g_autofree char *spec = NULL;

			/* Limits with six decimals, exactly as the engine reads them. */
			ccl[i] = round(g_rand_double_range(rand, 0, 200) * 1e6) / 1e6;
			dcl[i] = round(g_rand_double_range(rand, 0, 300) * 1e6) / 1e6;
			charge[i] = g_rand_int_range(rand, 0, 4) != 0;
			discharge[i] = g_rand_int_range(rand, 0, 4) != 0;
			spec = g_strdup_printf(
			        "/Info/MaxChargeCurrent=%.6f; /Info/MaxDischargeCurrent=%.6f;"
			        "/InstalledCapacity=%.1f; /Io/AllowToCharge=%di;"
			        "/Io/AllowToDischarge=%di; /Dc/0/Voltage=52.0",
			        ccl[i], dcl[i], g_rand_double_range(rand, 50, 400), charge[i],
			        discharge[i]);
			member(f, name, spec);
		}
		engine_flush(f->e);
		check_shares(f, "/System/ChargeCurrentRatios", "/Info/MaxChargeCurrent", ccl,
		             charge, n);
		check_shares(f, "/System/DischargeCurrentRatios", "/Info/MaxDischargeCurrent", dcl,
		             discharge, n);
		fixture_free(f);
	}
	g_rand_free(rand);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_no_members_counts_zero_measurements_invalid),
	        cmocka_unit_test(test_basic_bank),
	        cmocka_unit_test(test_cvl_follows_balancing),
	        cmocka_unit_test(test_refusing_member_leaves_the_others),
	        cmocka_unit_test(test_dvcc_user_limit),
	        cmocka_unit_test(test_membership_changes),
	        cmocka_unit_test(test_primary_replaces_auxiliary_fills),
	        cmocka_unit_test(test_fixed_capacity),
	        cmocka_unit_test(test_charge_mode_and_cvl_of_charging_members),
	        cmocka_unit_test(test_merge_policy_override),
	        cmocka_unit_test(test_wrong_types_are_invalid),
	        cmocka_unit_test(test_unchanged_values_publish_nothing),
	        cmocka_unit_test(test_property_random_banks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
