/* SPDX-License-Identifier: MIT */
/*
 * A series battery's combiner (seriesBatteries): its members are the
 * modules of one string, and every path, the limits too, is merged by its
 * policy (defaults.series_policy, or seriesMergePolicies).  A module that
 * is gone, or has no voltage, leaves cells nobody watches: the string then
 * refuses charge (CCL 0, AllowToCharge 0) and raises /Alarms/BmsCable,
 * keeps the DCL of the modules it sees so that loads stay on, and
 * estimates its voltages from the modules it sees, scaled to the full
 * count.
 */
#include "engine/series.h"

#include "engine/bank.h"
#include "engine/inputs.h"
#include "engine/merged.h"
#include "engine/outputs.h"

#include <math.h>

/* The same current flows through every module: more spread than this
 * between their readings is worth a warning (shunts read a few A apart). */
#define CURRENT_SPREAD_A 5.0

static bool has_number(const EngineInput *m, int p)
{
	return value_num(&m->values[p]).valid;
}

static size_t count_numbers(const Engine *e, int p)
{
	size_t n = 0;

	for (guint i = 0; i < e->members->len; i++)
		n += has_number(e->members->pdata[i], p);
	return n;
}

static void watch_currents(Engine *e)
{
	double lo = INFINITY, hi = -INFINITY;

	for (guint i = 0; i < e->members->len; i++) {
		BataggNum c = value_num(&((EngineInput *)e->members->pdata[i])->values[P_CURRENT]);

		if (c.valid) {
			lo = fmin(lo, c.value);
			hi = fmax(hi, c.value);
		}
	}
	if (hi - lo > CURRENT_SPREAD_A && !e->currents_disagree)
		g_warning("%s: its modules' currents disagree by %.1f A, yet the same current "
		          "flows through every module of a string: check the modules' wiring and "
		          "shunts (batagg publishes their mean)",
		          e->s.series_name, hi - lo);
	e->currents_disagree = hi - lo > CURRENT_SPREAD_A;
}

/* Modules gone (after reconnectTimeout) or without a voltage. */
static void count_missing(Engine *e)
{
	size_t seen = count_numbers(e, P_VOLTAGE);
	size_t missing = seen < e->s.series_modules ? e->s.series_modules - seen : 0;
	bool changed = missing != e->missing;

	/* While the modules are first read, one by one, that is no news (the
	 * alarm shows a module that never comes). */
	if (changed && missing && e->whole_once)
		g_warning("%s: %zu of its %zu modules missing or without a voltage: it refuses "
		          "charge (CCL 0, AllowToCharge 0, /Alarms/BmsCable 2), and its voltages "
		          "are estimated from the %zu it sees",
		          e->s.series_name, missing, e->s.series_modules, seen);
	else if (changed && e->whole_once)
		g_info("%s: all %zu modules are back", e->s.series_name, e->s.series_modules);
	e->whole_once = e->whole_once || !missing;
	if (changed)
		e->dirty |= ALL_BATTERY_PATHS;
	e->missing = missing;
}

static void compute_path(Engine *e, int p)
{
	bool any = false;
	Value agg = merged_run(e, e->s.policy[p], e->s.policy_state[p], e->members, p, &any,
	                       e->text, sizeof(e->text));
	double x;

	if (e->missing && (e->s.series_scaled & BIT(p)) && value_number(&agg, &x)) {
		/* Estimated: the modules it sees stand for the full string. */
		size_t n = count_numbers(e, p);

		if (n)
			agg = value_double(x * (double)e->s.series_modules / (double)n);
	}
	/* agg is borrowed (merged_run()): replaced, never freed. */
	if (e->missing && (p == P_CCL || p == P_ALLOW_TO_CHARGE)) {
		agg = value_int(0);
		any = true;
	}
	if (e->missing && p == P_ALARM_BMS_CABLE && !(value_number(&agg, &x) && x >= 2)) {
		agg = value_int(2);
		any = true;
	}
	merged_publish(e, p, &agg, any);
}

static void publish_int(Engine *e, int x, int64_t i)
{
	Value v = value_int(i);

	outputs_set(e, N_BATTERY_PATHS + x, &v);
}

/* Always everything: a string has few modules. */
static void flush(Engine *e, bool all)
{
	if (e->membership_changed)
		e->dirty |= ALL_BATTERY_PATHS;
	count_missing(e);
	if (e->dirty & BIT(P_CURRENT))
		watch_currents(e);
	for (int p = 0; p < N_BATTERY_PATHS; p++) {
		if (e->dirty & BIT(p))
			compute_path(e, p);
	}
	if (e->membership_changed) {
		bank_publish_members(e, e->members, false);
		publish_int(e, X_NR_OF_BATTERIES, e->members->len);
		publish_int(e, X_BATTERIES_PARALLEL, 1);
		publish_int(e, X_BATTERIES_SERIES, (int64_t)e->s.series_modules);
	}
	e->dirty = 0;
	e->membership_changed = false;
}

/* The battery paths and the bank description, without the diagnosis. */
static bool publishes(int i)
{
	return i < N_BATTERY_PATHS || i == N_BATTERY_PATHS + X_BATTERIES ||
	       i == N_BATTERY_PATHS + X_NR_OF_BATTERIES ||
	       i == N_BATTERY_PATHS + X_BATTERIES_PARALLEL ||
	       i == N_BATTERY_PATHS + X_BATTERIES_SERIES;
}

const Combiner series_combiner = {
        .flush = flush,
        .publishes = publishes,
        .lists_sources = false,
};
