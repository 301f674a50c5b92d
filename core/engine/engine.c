/* SPDX-License-Identifier: MIT */
/*
 * An engine: made for a setup with the combiner its kind needs (the
 * aggregate's, a virtual battery's precedence, a series string's), fed the
 * DVCC state, flushed, freed.  The inputs are inputs.c's, the published
 * values outputs.c's; combining is the combiner's.
 */
#include "engine/engine.h"

#include "engine/aggregate.h"
#include "engine/precedence.h"
#include "engine/series.h"

Engine *engine_new(const EngineSetup *setup)
{
	Engine *e = g_new0(Engine, 1);

	e->s = *setup;
	e->combiner = setup->series_modules    ? &series_combiner
	              : setup->precedence_only ? &precedence_combiner
	                                       : &aggregate_combiner;
	e->members = g_ptr_array_new();
	e->primary = g_ptr_array_new();
	e->auxiliary = g_ptr_array_new();
	e->used = g_ptr_array_new();
	e->next_id = 1;
	e->user_ccl = -1;
	e->user_cvl = 0;
	e->dirty = ALL_BATTERY_PATHS;
	e->membership_changed = true;
	e->joined = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	e->told = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	inputs_init(e);
	feeds_init(e);
	if (e->s.expected)
		e->pub[N_BATTERY_PATHS + X_NR_OF_BATTERIES_EXPECTED] =
		        value_int((int64_t)e->s.expected);
	return e;
}

void engine_free(Engine *e)
{
	if (!e)
		return;
	inputs_free(e, e->members);
	inputs_free(e, e->primary);
	inputs_free(e, e->auxiliary);
	g_ptr_array_free(e->used, TRUE);
	for (int i = 0; i < N_PUBLISHED; i++)
		value_clear(&e->pub[i]);
	g_free(e->ratios[0]);
	g_free(e->ratios[1]);
	g_free(e->diag);
	g_free(e->vals);
	g_free(e->keys);
	g_free(e->second_keys);
	g_free(e->labels);
	g_free(e->merge_members);
	g_hash_table_destroy(e->joined);
	g_hash_table_destroy(e->told);
	for (size_t x = 0; x < e->n_extra; x++)
		g_free(e->extra[x]);
	g_free(e);
}

void engine_set_dvcc(Engine *e, bool on)
{
	if (e->dvcc == on)
		return;
	e->dvcc = on;
	feeds_due(e, L_CCL);
	feeds_due(e, L_CVL);
}

void engine_set_user_ccl(Engine *e, double amps)
{
	if (e->user_ccl == amps)
		return;
	e->user_ccl = amps;
	feeds_due(e, L_CCL);
}

void engine_set_user_cvl(Engine *e, double volts)
{
	if (e->user_cvl == volts)
		return;
	e->user_cvl = volts;
	feeds_due(e, L_CVL);
}

void engine_set_config_problem(Engine *e, bool on)
{
	Value text = value_text(on ? "config problem: see the log" : "");

	e->config_problem = on;
	e->dirty |= BIT(P_ALARM_INTERNAL_FAILURE);
	if (e->combiner->publishes(N_BATTERY_PATHS + X_CONFIG_PROBLEM))
		outputs_set(e, N_BATTERY_PATHS + X_CONFIG_PROBLEM, &text);
	else
		value_clear(&text);
}

bool engine_publishes(Engine *e, int i)
{
	if (i == N_BATTERY_PATHS + X_NR_OF_BATTERIES_EXPECTED)
		return e->s.expected > 0;
	return e->combiner->publishes(i);
}

void engine_flush(Engine *e)
{
	e->combiner->flush(e, true);
}

void engine_flush_safety(Engine *e)
{
	e->combiner->flush(e, false);
}
