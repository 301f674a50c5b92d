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

#include "engine_fixture.h"

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

	fixture_flush(f);
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
	EngineInput *a = fixture_member(f, "com.victronenergy.battery.ttyS1", RACK_A);

	fixture_member(f, "com.victronenergy.battery.ttyS2", RACK_B);
	engine_set_dvcc(f->e, true);
	fixture_flush(f);

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

	fixture_set(f, a, "/Dc/0/Current=20.0");
	fixture_flush(f);
	expect_number(f, "/Dc/0/Current", 25.0);
	fixture_free(f);
}

static void test_cvl_follows_balancing(void **state)
{
	Fixture *f = fixture_new("{}");
	EngineInput *b;

	fixture_member(f, "com.victronenergy.battery.ttyS1", RACK_A);
	b = fixture_member(f, "com.victronenergy.battery.ttyS2", RACK_B);
	fixture_flush(f);
	expect_number(f, "/Info/MaxChargeVoltage", 55.0);
	fixture_set(f, b, "/Balancing=1i");
	fixture_flush(f);
	expect_number(f, "/Balancing", 1);
	expect_number(f, "/Info/MaxChargeVoltage", 55.2);
	fixture_free(f);
}

static void test_refusing_member_leaves_the_others(void **state)
{
	Fixture *f = fixture_new("{}");
	EngineInput *a, *b;

	a = fixture_member(f, "com.victronenergy.battery.ttyS1", RACK_A);
	b = fixture_member(f, "com.victronenergy.battery.ttyS2", RACK_B);
	fixture_set(f, b, "/Io/AllowToCharge=0i");
	fixture_flush(f);
	/* Only ttyS1 is connected: the whole bank current goes through it. */
	expect_number(f, "/Info/MaxChargeCurrent", 100.0);
	expect_number(f, "/Io/AllowToCharge", 1);
	fixture_set(f, a, "/Io/AllowToCharge=0i");
	fixture_flush(f);
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
	        /* Without DVCC there is no user limit: none, not -1 (a published
	         * limit is >= 0 or invalid). */
	        {"{\"cclMode\": \"dvcc\"}", false, 30, NAN},
	        {"{\"cclMode\": \"dvcc\"}", true, -1, NAN},
	        {"{\"currentRatioMethod\": \"count\"}", true, -1, 50.0 * 2},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		Fixture *f = fixture_new(cases[i].config);

		fixture_member(f, "com.victronenergy.battery.ttyS1", RACK_A);
		fixture_member(f, "com.victronenergy.battery.ttyS2", RACK_B);
		engine_set_dvcc(f->e, cases[i].dvcc);
		engine_set_user_ccl(f->e, cases[i].user);
		fixture_flush(f);
		print_message("# case %zu: %s dvcc=%d user=%g\n", i, cases[i].config, cases[i].dvcc,
		              cases[i].user);
		if (isnan(cases[i].ccl))
			expect_invalid(f, "/Info/MaxChargeCurrent");
		else
			expect_number(f, "/Info/MaxChargeCurrent", cases[i].ccl);

		fixture_free(f);
	}
}

static void test_membership_changes(void **state)
{
	Fixture *f = fixture_new("{}");
	EngineInput *b;

	fixture_member(f, "com.victronenergy.battery.ttyS1", RACK_A);
	b = fixture_member(f, "com.victronenergy.battery.ttyS2", RACK_B);
	fixture_flush(f);
	inputs_remove(f->e, b);
	fixture_flush(f);
	expect_number(f, "/Dc/0/Voltage", 53.1);
	expect_number(f, "/Info/MaxDischargeCurrent", 150.0);
	expect_text(f, "/System/MinVoltageCellId", "Rack A C3");
	expect_text(f, "/System/Batteries", "[\"com.victronenergy.battery.ttyS1\"]");
	expect_number(f, "/Alarms/LowVoltage", 0);
	fixture_member(
	        f, "com.victronenergy.battery.ttyS3",
	        "/Dc/0/Voltage=53.2; /Dc/0/Current=3.0; /Soc=50.0; /InstalledCapacity=100.0;"
	        "/Info/MaxChargeCurrent=40.0; /Info/MaxDischargeCurrent=60.0;"
	        "/Info/MaxChargeVoltage=54.8; /Io/AllowToCharge=1i; /Io/AllowToDischarge=1i");
	fixture_flush(f);
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

	fixture_member(f, "com.victronenergy.battery.ttyS1", RACK_A);
	p = inputs_add(f->e, ROLE_PRIMARY, "com.victronenergy.battery.shunt", NULL, 0, shunt_paths);
	x = inputs_add(f->e, ROLE_AUXILIARY, "com.victronenergy.battery.aux", NULL, 0, NULL);
	fixture_set(f, p, "/Soc=42.0; /Dc/0/Current=-7.5; /Dc/0/Voltage=12.0");
	fixture_set(f, x, "/TimeToGo=3600i; /Soc=10.0; /Dc/0/Temperature=30.0");
	fixture_flush(f);
	expect_number(f, "/Soc", 42.0);
	expect_number(f, "/Dc/0/Current", -7.5);
	expect_number(f, "/Dc/0/Voltage", 53.1); /* not in the primary's path list */
	expect_number(f, "/TimeToGo", 3600);     /* no member value: auxiliary */
	expect_number(f, "/Dc/0/Temperature", 21.0);
	fixture_set(f, p, "/Soc=-");
	fixture_flush(f);
	expect_number(f, "/Soc", 80.0);
	fixture_free(f);
}

static void test_fixed_capacity(void **state)
{
	Fixture *f = fixture_new("{\"capacity\": 500}");

	fixture_member(f, "com.victronenergy.battery.ttyS1", RACK_A);
	fixture_member(f, "com.victronenergy.battery.ttyS2", RACK_B);
	fixture_flush(f);
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

	a = fixture_member(f, "com.victronenergy.battery.ttyS1",
	                   RACK_A "; /Info/ChargeMode='Float'");
	b = fixture_member(f, "com.victronenergy.battery.ttyS2",
	                   RACK_B "; /Info/ChargeMode='Bulk'");
	fixture_flush(f);
	expect_text(f, "/Info/ChargeMode", "Float Transition");
	/* The battery still charging decides. */
	expect_number(f, "/Info/MaxChargeVoltage", 55.0);
	fixture_set(f, b, "/Info/ChargeMode='Float'");
	fixture_flush(f);
	expect_text(f, "/Info/ChargeMode", "Float");
	expect_number(f, "/Info/MaxChargeVoltage", 55.2);
	fixture_set(f, a, "/Info/ChargeMode=-");
	fixture_set(f, b, "/Info/ChargeMode=-");
	fixture_flush(f);
	expect_invalid(f, "/Info/ChargeMode");
	fixture_free(f);
}

static void test_merge_policy_override(void **state)
{
	Fixture *f = fixture_new("{\"mergePolicies\": {\"/Soc\": \"capacity_weighted_mean\"}}");

	fixture_member(f, "com.victronenergy.battery.ttyS1", RACK_A);
	fixture_member(f, "com.victronenergy.battery.ttyS2", RACK_B);
	fixture_flush(f);
	expect_number(f, "/Soc", (80.0 * 280 + 70.0 * 100) / 380);
	fixture_free(f);
}

static void test_wrong_types_are_invalid(void **state)
{
	Fixture *f = fixture_new("{}");
	EngineInput *a = fixture_member(f, "com.victronenergy.battery.ttyS1", "/Dc/0/Voltage='53'");

	fixture_member(f, "com.victronenergy.battery.ttyS2", "/Dc/0/Voltage=52.0; /Soc='full'");
	fixture_flush(f);
	expect_number(f, "/Dc/0/Voltage", 52.0);
	expect_invalid(f, "/Soc");
	fixture_set(f, a, "/Dc/0/Voltage=54i");
	fixture_flush(f);
	expect_number(f, "/Dc/0/Voltage", 53.0);
	fixture_free(f);
}

static void test_unchanged_values_publish_nothing(void **state)
{
	Fixture *f = fixture_new("{}");
	EngineInput *a = fixture_member(f, "com.victronenergy.battery.ttyS1", RACK_A);
	int before;

	fixture_flush(f);
	before = f->publishes;
	fixture_set(f, a, "/Dc/0/Current=10.0; /Soc=80.0");
	fixture_flush(f);
	assert_int_equal(f->publishes, before);
	fixture_free(f);
}

static bool tightens(int i, double old, double new)
{
	Value a = isnan(old) ? (Value)VALUE_INIT : value_double(old);
	Value b = isnan(new) ? (Value)VALUE_INIT : value_double(new);

	return outputs_tightens(i, &a, &b);
}

/* What goes out at once rather than at the tick (NAN: invalid). */
static void test_what_tightens(void **state)
{
	/* CCL and DCL: a fall of 1 % or more, to 0, or a limit appearing. */
	assert_true(tightens(P_CCL, 100, 30));
	assert_true(tightens(P_DCL, 100, 99));
	assert_false(tightens(P_CCL, 100, 99.5));
	assert_true(tightens(P_CCL, 0.5, 0));
	assert_true(tightens(P_CCL, NAN, 500));
	assert_false(tightens(P_CCL, 30, 100));
	assert_false(tightens(P_CCL, 30, NAN));
	/* CVL: any fall. */
	assert_true(tightens(P_CVL, 55.2, 55.1));
	assert_false(tightens(P_CVL, 55.1, 55.2));
	/* Alarms rising, allow flags to 0. */
	assert_true(tightens(P_ALARM_HIGH_VOLTAGE, 0, 1));
	assert_true(tightens(P_ALARM_INTERNAL_FAILURE, NAN, 2));
	assert_false(tightens(P_ALARM_LOW_SOC, 2, 1));
	assert_true(tightens(P_ALLOW_TO_CHARGE, 1, 0));
	assert_true(tightens(P_ALLOW_TO_DISCHARGE, NAN, 0));
	assert_false(tightens(P_ALLOW_TO_CHARGE, 0, 1));
	/* The members. */
	assert_true(tightens(N_BATTERY_PATHS + X_NR_OF_BATTERIES, 2, 1));
	/* Measurements wait. */
	assert_false(tightens(P_CURRENT, 10, -50));
	assert_false(tightens(P_SOC, 80, 10));
}

/* ---- what the ir method learned, across engines (a restart) ---- */

#define S1 "com.victronenergy.battery.ttyS1"
#define S2 "com.victronenergy.battery.ttyS2"
#define LEARN_A                                                                                    \
	"/Info/MaxChargeCurrent=100.0; /Info/MaxChargeVoltage=55.2; /InstalledCapacity=280.0"
#define LEARN_B "/Info/MaxChargeCurrent=50.0; /Info/MaxChargeVoltage=55.0; /InstalledCapacity=100.0"
static const double ccl_by_capacity = 100.0 * 380 / 280;

/* 12 samples on the line V = emf + r I, 0.024 V and more apart. */
static void feed_line(Fixture *f, EngineInput *in, double emf, double r)
{
	for (int k = 0; k < 12; k++) {
		g_autofree char *spec = g_strdup_printf("/Dc/0/Current=%.17g; /Dc/0/Voltage=%.17g",
		                                        3.0 * k, emf + r * 3.0 * k);

		fixture_set(f, in, spec);
	}
}

static double number_of(Fixture *f, const char *path)
{
	double x = NAN;

	assert_true(value_number(fixture_out(f, path), &x));
	return x;
}

/* A bank that has learned its resistances, and the state file it saved. */
static StateFile *learned_bank(double *ccl, char **irs)
{
	Fixture *f = fixture_new("{}");
	StateFile *sf = state_file_new();
	EngineInput *a, *b;

	learned_use(f->e, sf);
	a = fixture_member(f, S1, LEARN_A "; /Serial='HQ1'");
	b = fixture_member(f, S2, LEARN_B);
	fixture_flush(f);
	expect_number(f, "/Info/MaxChargeCurrent", ccl_by_capacity);
	/* Nothing learned yet: nothing kept. */
	assert_false(learned_save(f->e));
	feed_line(f, a, 53.0, 0.008);
	feed_line(f, b, 53.1, 0.012);
	fixture_flush(f);
	*ccl = number_of(f, "/Info/MaxChargeCurrent");
	*irs = g_strdup(fixture_out(f, "/System/InternalResistances")->u.s);
	print_message("# learned: CCL %.12g A, resistances %s\n", *ccl, *irs);
	assert_true(fabs(*ccl - ccl_by_capacity) > 1);
	assert_true(learned_save(f->e));
	assert_false(learned_save(f->e));
	assert_int_equal(state_file_len(sf), 2);
	assert_string_equal(state_file_serial(sf, S1), "HQ1");
	assert_string_equal(state_file_serial(sf, S2), "");
	fixture_free(f);
	return sf;
}

/* A new engine (as after a restart) with the state file read back: the
 * first flush has the learned CCL and resistances. */
static void test_learned_state_survives(void **state)
{
	double ccl;
	g_autofree char *irs = NULL;
	StateFile *saved = learned_bank(&ccl, &irs);
	g_autofree char *text = state_file_text(saved);
	StateFile *sf = state_file_parse(text, strlen(text), NULL);
	Fixture *f = fixture_new("{}");
	EngineInput *a;

	assert_non_null(sf);
	learned_use(f->e, sf);
	a = fixture_member(f, S1,
	                   LEARN_A "; /Serial='HQ1'; /Dc/0/Current=33.0; /Dc/0/Voltage=53.264");
	fixture_member(f, S2, LEARN_B "; /Dc/0/Current=33.0; /Dc/0/Voltage=53.496");
	fixture_flush(f);
	expect_number(f, "/Info/MaxChargeCurrent", ccl);
	expect_text(f, "/System/InternalResistances", irs);
	/* Saved again, it is the same. */
	assert_false(learned_save(f->e));

	/* Once per engine: a member that leaves and joins again is the ir
	 * method's business (it starts afresh), not the state file's. */
	inputs_remove(f->e, a);
	a = fixture_member(f, S1, LEARN_A "; /Serial='HQ1'");
	fixture_flush(f);
	expect_number(f, "/Info/MaxChargeCurrent", ccl_by_capacity);
	fixture_free(f);
	state_file_free(sf);
	state_file_free(saved);
}

/* Another battery on S1 (another serial) learns afresh: with one member
 * unknown to it, ir serves none, and capacity shares. */
static void test_learned_state_needs_the_same_serial(void **state)
{
	double ccl;
	g_autofree char *irs = NULL;
	StateFile *sf = learned_bank(&ccl, &irs);
	Fixture *f = fixture_new("{}");
	g_autofree char *mine = NULL;

	learned_use(f->e, sf);
	fixture_member(f, S1, LEARN_A "; /Serial='HQ2'");
	fixture_member(f, S2, LEARN_B);
	fixture_flush(f);
	expect_number(f, "/Info/MaxChargeCurrent", ccl_by_capacity);
	mine = g_strdup_printf("[0, %s", strchr(irs, ',') + 2);
	expect_text(f, "/System/InternalResistances", mine);
	/* Nothing learned about the new battery yet: the old one's record
	 * stays until it has. */
	learned_save(f->e);
	assert_string_equal(state_file_serial(sf, S1), "HQ1");
	fixture_free(f);
	state_file_free(sf);
}

/* A reset forgets every estimate and the state file's records. */
static void test_reset_estimates(void **state)
{
	double ccl;
	g_autofree char *irs = NULL;
	StateFile *sf = learned_bank(&ccl, &irs);
	Fixture *f = fixture_new("{}");

	learned_use(f->e, sf);
	fixture_member(f, S1, LEARN_A "; /Serial='HQ1'");
	fixture_member(f, S2, LEARN_B);
	fixture_flush(f);
	expect_number(f, "/Info/MaxChargeCurrent", ccl);
	learned_reset(f->e);
	fixture_flush(f);
	expect_number(f, "/Info/MaxChargeCurrent", ccl_by_capacity);
	expect_text(f, "/System/InternalResistances", "[0, 0]");
	expect_text(f, "/System/InternalResistanceCorrections", "[1, 1]");
	assert_int_equal(state_file_len(sf), 0);
	assert_true(state_file_dirty(sf));
	assert_false(learned_save(f->e));
	fixture_free(f);
	state_file_free(sf);
}

/* maxChargeCurrent and maxDischargeCurrent cap the published limits, and
 * the texts say so; a cap above the limit changes nothing. */
static void test_bank_caps(void **state)
{
	Fixture *f = fixture_new("{\"currentRatioMethod\": \"count\", \"maxChargeCurrent\": 30, "
	                         "\"maxDischargeCurrent\": 500}");

	fixture_member(f, "com.victronenergy.battery.ttyS1", RACK_A);
	fixture_member(f, "com.victronenergy.battery.ttyS2", RACK_B);
	fixture_flush(f);
	expect_number(f, "/Info/MaxChargeCurrent", 30);
	expect_text(f, "/Info/ChargeLimitation", "bank cap 30 A");
	/* 500 A is above the batteries' min(150, 100) * 2: nothing changes. */
	expect_number(f, "/Info/MaxDischargeCurrent", 200);
	expect_text(f, "/Info/DischargeLimitation", "ttyS2 100 A × 2.00 (count)");
	fixture_free(f);
}

/* A limiter (SDK 3) that reads a member's temperature and a driver's own
 * path: a change of either alone computes the limits again at once
 * (engine_flush_safety()), and its cap only ever lowers the member's
 * limit.  Its caps come from what the test says each path means now. */
static double cap_at_temperature;
static int caps_calls;

static void temperature_caps(void *state, const BataggMember *m, const BataggLimitInput *in,
                             BataggCaps *out)
{
	caps_calls++;
	out->ccl = (BataggNum){.value = cap_at_temperature, .valid = !isnan(cap_at_temperature)};
	batagg_text_copy(out->why, sizeof(out->why), "hot");
}

static const BataggLimiter temperature_limiter = {
        .head = {.struct_size = sizeof(BataggLimiter),
                 .kind = BATAGG_KIND_LIMITER,
                 .name = "hot",
                 .reads = (const char *const[]){"/Dc/0/Temperature", "/Info/Custom", NULL}},
        .caps = temperature_caps,
};

static void test_a_limiter_reads_paths_and_only_lowers(void **state)
{
	Fixture *f = fixture_new("{\"currentRatioMethod\": \"count\"}");
	EngineSetup setup = *strategies_setup(f->st);
	StrategyUse use = {.table = &temperature_limiter.head};
	EngineInput *a;
	int before;

	setup.limiters = &use;
	setup.n_limiters = 1;
	engine_free(f->e);
	f->e = engine_new(&setup);
	strategies_bind(f->st, f->e, NULL, NULL);
	cap_at_temperature = NAN;
	a = fixture_member(f, "com.victronenergy.battery.ttyS1", RACK_A);
	fixture_member(f, "com.victronenergy.battery.ttyS2", RACK_B);
	fixture_flush(f);
	expect_number(f, "/Info/MaxChargeCurrent", 100);
	/* Hot: the temperature alone moves the limit, at once. */
	cap_at_temperature = 20;
	fixture_set(f, a, "/Dc/0/Temperature=45.0");
	engine_flush_safety(f->e);
	expect_number(f, "/Info/MaxChargeCurrent", 40);
	expect_text(f, "/Info/ChargeLimitation", "Rack A 20 A cap (hot: hot) × 2.00 (count)");
	/* A driver's own path, declared in reads, likewise. */
	cap_at_temperature = 10;
	fixture_set(f, a, "/Info/Custom=1i");
	engine_flush_safety(f->e);
	expect_number(f, "/Info/MaxChargeCurrent", 20);
	/* A path nobody reads computes nothing. */
	before = caps_calls;
	fixture_set(f, a, "/Info/Other=1i");
	engine_flush_safety(f->e);
	assert_int_equal(caps_calls, before);
	/* A cap above the member's own changes nothing. */
	cap_at_temperature = 1000;
	fixture_set(f, a, "/Dc/0/Temperature=25.0");
	engine_flush_safety(f->e);
	expect_number(f, "/Info/MaxChargeCurrent", 100);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_a_limiter_reads_paths_and_only_lowers),
	        cmocka_unit_test(test_bank_caps),
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
	        cmocka_unit_test(test_what_tightens),
	        cmocka_unit_test(test_learned_state_survives),
	        cmocka_unit_test(test_learned_state_needs_the_same_serial),
	        cmocka_unit_test(test_reset_estimates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
