/* SPDX-License-Identifier: MIT */
/*
 * Limits never lag their inputs, property-tested: random banks play random
 * event sequences (value changes of every path a limit reads and of others,
 * members joining and leaving, renames, capacity changes, reloads whose
 * members are read again slowly) against the engine, as published.c
 * drives it (engine_flush_safety() after every change).  After every event:
 *
 *  - the limits and their texts are those of a fresh engine given the
 *    inputs of that moment (ratio methods without history: count,
 *    capacity): whatever changed, what they read was recomputed;
 *  - what is "on the bus" (the engine's values, or while a reload holds,
 *    only those outputs_safer() lets through) is never above the safe
 *    limit computed from the inputs of that moment;
 *  - an allow flag of 0 goes with a limit of 0, in the engine and on the
 *    bus;
 *  - the limits read nothing that feeds_table does not list, so that a
 *    change of anything they read recomputes them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "engine_fixture.h"
#include "engine/internal.h"

#define MAX_MEMBERS 8
#define TOLERANCE 1e-9

static const char *const methods[] = {"count", "capacity", "ir"};
static const char *const ccl_modes[] = {"battery+dvcc", "battery"};
static const char *const cvl_modes[] = {"max_when_balancing", "min_when_balancing", "max_always",
                                        "max_when_floating"};
static const char *const watched[] = {
        "/Info/MaxChargeCurrent",
        "/Info/MaxDischargeCurrent",
        "/Io/AllowToCharge",
        "/Io/AllowToDischarge",
        "/Info/MaxChargeVoltage",
        "/InstalledCapacity",
        "/CustomName",
        "/Info/ChargeMode",
        "/Balancing",
        "/Dc/0/Voltage",
        "/Dc/0/Current",
        "/Soc",
};
static const char *const modes[] = {"Bulk", "Absorption", "Float", "Storage", "Keep always"};

typedef struct {
	char *config;
	bool ir;
	Fixture *f;          /* the engine under test */
	Strategies *scratch; /* strategy instances for fresh engines */
	int next_name;
	/* What is on the bus; held: a reload is reading the members again. */
	Value bus[N_PUBLISHED];
	int held;
	bool dvcc;
	double user_ccl, user_cvl;
} Run;

static Value any_value(GRand *r, const char *path)
{
	if (strcmp(path, "/CustomName") == 0) {
		static const char *const names[] = {"", "Rack A", "Rack B", "Shed Bank", "ttyS2"};

		return value_text(names[g_rand_int_range(r, 0, G_N_ELEMENTS(names))]);
	}
	if (strcmp(path, "/Info/ChargeMode") == 0)
		return g_rand_int_range(r, 0, 6) == 0
		               ? VALUE_INIT
		               : value_text(modes[g_rand_int_range(r, 0, G_N_ELEMENTS(modes))]);
	if (g_str_has_prefix(path, "/Io/") || strcmp(path, "/Balancing") == 0)
		return g_rand_int_range(r, 0, 5) == 0 ? VALUE_INIT
		                                      : value_int(g_rand_int_range(r, 0, 2));
	switch (g_rand_int_range(r, 0, 10)) {
	case 0:
		return VALUE_INIT;
	case 1:
		return value_double(NAN);
	case 2:
		return value_double(-g_rand_double_range(r, 0, 100));
	case 3:
		return value_double(0);
	default:
		break;
	}
	if (strcmp(path, "/Info/MaxChargeVoltage") == 0)
		return value_double(g_rand_double_range(r, 50, 58));
	if (strcmp(path, "/Dc/0/Voltage") == 0)
		return value_double(g_rand_double_range(r, 50, 56));
	return value_double(g_rand_double_range(r, 0.5, 400));
}

static void set(Engine *e, EngineInput *in, const char *path, Value v)
{
	inputs_set(e, in, path, &v);
	value_clear(&v);
}

static void join(Run *run, GRand *r)
{
	g_autofree char *name = g_strdup_printf("com.victronenergy.battery.m%d", run->next_name++);
	EngineInput *in = inputs_add(run->f->e, ROLE_MEMBER, name, NULL, 0, NULL);

	for (size_t k = 0; k < G_N_ELEMENTS(watched); k++)
		set(run->f->e, in, watched[k], any_value(r, watched[k]));
}

/* A copy of e's members, their values and BMS status, in a new engine on
 * the scratch strategies; fully computed. */
static Engine *fresh(Run *run, Engine *e)
{
	Engine *x = engine_new(strategies_setup(run->scratch));

	strategies_bind(run->scratch, x, NULL, NULL);

	for (guint i = 0; i < e->members->len; i++) {
		const EngineInput *m = e->members->pdata[i];
		EngineInput *c = inputs_add(x, ROLE_MEMBER, m->service, NULL, 0, NULL);

		if (m->bms)
			set(x, c, "/Info/MaxChargeVoltage", value_double(55));
		for (int p = 0; p < N_MEMBER_PATHS; p++)
			inputs_set(x, c, battery_paths[p].path, &m->values[p]);
	}
	engine_set_dvcc(x, run->dvcc);
	engine_set_user_ccl(x, run->user_ccl);
	engine_set_user_cvl(x, run->user_cvl);
	engine_flush(x);
	return x;
}

static double num(const Value *v)
{
	double x;

	return value_number(v, &x) ? x : NAN;
}

/* The engine's values go to the bus, or while held only what is safer. */
static void to_bus(Run *run)
{
	for (int i = 0; i < N_PUBLISHED; i++) {
		const Value *v = outputs_get(run->f->e, i);

		if (!run->held || outputs_safer(i, &run->bus[i], v))
			value_copy(&run->bus[i], v);
	}
}

static void check(Run *run, int seq, int event)
{
	static const int limits[] = {P_CCL, P_DCL, P_CVL};
	static const int texts[] = {N_BATTERY_PATHS + X_CHARGE_LIMITATION,
	                            N_BATTERY_PATHS + X_DISCHARGE_LIMITATION,
	                            N_BATTERY_PATHS + X_VOLTAGE_LIMITATION};
	Engine *e = run->f->e;
	Engine *x = fresh(run, e);

	for (int l = 0; l < N_LIMITS; l++) {
		const Value *got = outputs_get(e, limits[l]);
		const Value *want = outputs_get(x, limits[l]);
		/* Safe: from the inputs now (the ir method's ratios come from its
		 * history, which only the engine under test has). */
		double safe = num(run->ir ? got : want), bus = num(&run->bus[limits[l]]);

		if (!run->ir && !value_equal(got, want)) {
			g_autofree char *a = value_format(got, UNIT_NONE);
			g_autofree char *b = value_format(want, UNIT_NONE);

			fail_msg("sequence %d event %d (%s): %s is %s, from scratch %s", seq, event,
			         run->config, outputs_path(limits[l]), a, b);
		}
		if (!run->ir && !value_equal(outputs_get(e, texts[l]), outputs_get(x, texts[l])))
			fail_msg("sequence %d event %d: %s is '%s', from scratch '%s'", seq, event,
			         outputs_path(texts[l]), outputs_get(e, texts[l])->u.s,
			         outputs_get(x, texts[l])->u.s);
		if (!isnan(safe) && !(bus <= safe * (1 + TOLERANCE) + TOLERANCE))
			fail_msg("sequence %d event %d (%s, %s): %s on the bus is %g, safe %g", seq,
			         event, run->config, run->held ? "held" : "not held",
			         outputs_path(limits[l]), bus, safe);
		if ((e->reads[l].member & ~feeds_table[l].member) ||
		    (e->reads[l].bank & ~feeds_table[l].bank))
			fail_msg("%s reads paths feeds_table does not list",
			         outputs_path(limits[l]));
	}
	for (int d = 0; d < 2; d++) {
		int allow = d ? P_ALLOW_TO_DISCHARGE : P_ALLOW_TO_CHARGE;
		int limit = d ? P_DCL : P_CCL;

		if (num(outputs_get(e, allow)) == 0 && num(outputs_get(e, limit)) != 0)
			fail_msg("sequence %d event %d: %s 0 with %s %g", seq, event,
			         outputs_path(allow), outputs_path(limit),
			         num(outputs_get(e, limit)));
		if (num(&run->bus[allow]) == 0 && num(&run->bus[limit]) != 0)
			fail_msg("sequence %d event %d: on the bus %s 0 with %s %g", seq, event,
			         outputs_path(allow), outputs_path(limit), num(&run->bus[limit]));
	}
	engine_free(x);
}

static void use_config(Run *run, GRand *r)
{
	const char *method = methods[g_rand_int_range(r, 0, G_N_ELEMENTS(methods))];

	g_free(run->config);
	run->config = g_strdup_printf("{\"currentRatioMethod\": \"%s\", \"cclMode\": \"%s\", "
	                              "\"cvlMode\": \"%s\"}",
	                              method, ccl_modes[g_rand_int_range(r, 0, 2)],
	                              cvl_modes[g_rand_int_range(r, 0, 4)]);
	run->ir = strcmp(method, "ir") == 0;
}

static void apply_dvcc(Run *run)
{
	engine_set_dvcc(run->f->e, run->dvcc);
	engine_set_user_ccl(run->f->e, run->user_ccl);
	engine_set_user_cvl(run->f->e, run->user_cvl);
}

/* A reload: a new engine, with every member's last values at once (the
 * monitor's seed), held until the members have been read again. */
static void start(Run *run)
{
	GError *error = NULL;

	run->f = fixture_new(run->config);
	run->scratch = strategies_new(run->f->cfg, run->f->reg, &error);
	assert_non_null(run->scratch);
}

static void stop(Run *run)
{
	strategies_free(run->scratch);
	fixture_free(run->f);
}

/* A reload: a new engine, with every member's last values at once (the
 * monitor's seed), held until the members have been read again.  (One
 * registry at a time: the old engine goes first.) */
static void reload(Run *run, GRand *r)
{
	Engine *old = run->f->e;
	guint n = old->members->len;
	g_autofree char **names = g_new0(char *, n + 1);
	g_autofree Value *values = g_new0(Value, (size_t)n * N_MEMBER_PATHS);

	if (n == 0)
		return;
	for (guint i = 0; i < n; i++) {
		const EngineInput *m = old->members->pdata[i];

		names[i] = g_strdup(m->service);
		for (int p = 0; p < N_MEMBER_PATHS; p++)
			value_copy(&values[i * N_MEMBER_PATHS + p], &m->values[p]);
	}
	stop(run);
	use_config(run, r);
	start(run);
	for (guint i = 0; i < n; i++) {
		EngineInput *in = inputs_add(run->f->e, ROLE_MEMBER, names[i], NULL, 0, NULL);

		for (int p = 0; p < N_MEMBER_PATHS; p++) {
			Value *v = &values[i * N_MEMBER_PATHS + p];

			if (v->type != VALUE_INVALID)
				inputs_set(run->f->e, in, battery_paths[p].path, v);
			value_clear(v);
		}
		g_free(names[i]);
	}
	apply_dvcc(run);
	run->held = g_rand_int_range(r, 1, 6);
}

static void event(Run *run, GRand *r)
{
	Engine *e = run->f->e;
	guint n = e->members->len;
	int what = g_rand_int_range(r, 0, 20);

	if (what == 0 && n < MAX_MEMBERS) {
		join(run, r);
	} else if (what == 1 && n > 1) {
		inputs_remove(e, e->members->pdata[g_rand_int_range(r, 0, (int)n)]);
	} else if (what == 2) {
		reload(run, r);
		return;
	} else if (what == 3) {
		run->dvcc = g_rand_boolean(r);
		run->user_ccl = g_rand_boolean(r) ? -1 : g_rand_double_range(r, 0, 300);
		apply_dvcc(run);
	} else if (n > 0) {
		EngineInput *in = e->members->pdata[g_rand_int_range(r, 0, (int)n)];
		const char *path = watched[g_rand_int_range(r, 0, G_N_ELEMENTS(watched))];

		set(e, in, path, any_value(r, path));
	}
	if (run->held && --run->held == 0) {
		/* Read again: published_release() sends everything. */
		engine_flush(run->f->e);
		to_bus(run);
	}
}

static void test_limits_never_lag(void **state)
{
	GRand *r = g_rand_new_with_seed(20261206);

	for (int seq = 0; seq < 300; seq++) {
		Run run = {.user_ccl = -1};

		use_config(&run, r);
		start(&run);
		for (int i = g_rand_int_range(r, 1, MAX_MEMBERS + 1); i > 0; i--)
			join(&run, r);
		engine_flush(run.f->e);
		to_bus(&run);
		for (int k = 0; k < 100; k++) {
			event(&run, r);
			/* published_changed(): the safety part at once. */
			engine_flush_safety(run.f->e);
			to_bus(&run);
			check(&run, seq, k);
		}
		for (int i = 0; i < N_PUBLISHED; i++)
			value_clear(&run.bus[i]);
		stop(&run);
		g_free(run.config);
	}
	g_rand_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_limits_never_lag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
