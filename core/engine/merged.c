/* SPDX-License-Identifier: MIT */
/*
 * One path's value from the engine's inputs: a merge policy over the
 * members, then precedence (SPEC 5.1): a primary service's valid value
 * replaces the merged one, an auxiliary's fills in where there is none.
 */
#include "engine/merged.h"

#include <string.h>

#include "engine/inputs.h"
#include "engine/outputs.h"

static void ensure_scratch(Engine *e, size_t n)
{
	if (n <= e->scratch_len)
		return;
	e->scratch_len = n * 2;
	e->vals = g_renew(BataggValue, e->vals, e->scratch_len);
	e->keys = g_renew(BataggValue, e->keys, e->scratch_len);
	e->second_keys = g_renew(BataggValue, e->second_keys, e->scratch_len);
	e->labels = g_renew(const char *, e->labels, e->scratch_len);
	e->merge_members = g_renew(BataggMember, e->merge_members, e->scratch_len);
}

/* Runs a merge policy over the given inputs' values of path p. */
Value merged_run(Engine *e, const BataggMergePolicy *pol, void *state, GPtrArray *inputs, int p,
                 bool *any_valid, char *text, size_t text_len)
{
	BataggMergeInput in = {.n = inputs->len, .path = battery_paths[p].path};
	BataggValue out = {0};
	int k = e->key[p];
	int k2 = e->second_key[p];

	ensure_scratch(e, inputs->len + 1);
	in.values = e->vals;
	*any_valid = false;
	for (guint i = 0; i < inputs->len; i++) {
		const EngineInput *m = inputs->pdata[i];

		e->vals[i] = value_view(&m->values[p]);
		*any_valid = *any_valid || e->vals[i].type != BATAGG_VALUE_INVALID;
		e->labels[i] = inputs_label(m);
		e->merge_members[i] = inputs_member(m);
		if (k >= 0)
			e->keys[i] = value_view(&m->values[k]);
		if (k2 >= 0)
			e->second_keys[i] = value_view(&m->values[k2]);
	}
	in.labels = e->labels;
	/* Members (SDK 3), not a virtual battery's services. */
	in.members = inputs == e->members ? e->merge_members : NULL;
	in.keys = k >= 0 ? e->keys : NULL;
	in.second_keys = k2 >= 0 ? e->second_keys : NULL;
	pol->merge(state, &in, &out, text, text_len);
	/* Borrowed: a text result is the policy's (text) or an input's. */
	if (out.type == BATAGG_VALUE_TEXT)
		return out.text ? (Value){.type = VALUE_TEXT, .u.s = (char *)out.text} : VALUE_INIT;
	return out.type == BATAGG_VALUE_NUMBER ? value_double(out.number) : VALUE_INIT;
}

/* The sources of one role that are used for path p, in precedence order
 * (borrowed: its text is in text, or a source's). */
static Value from_sources(Engine *e, GPtrArray *sources, int p, char *text, size_t text_len)
{
	GPtrArray *used = e->used;
	bool any;

	if (sources->len == 0 || !e->s.first)
		return VALUE_INIT;
	g_ptr_array_set_size(used, 0);
	for (guint i = 0; i < sources->len; i++) {
		EngineInput *s = sources->pdata[i];

		if (s->paths & BIT(p))
			g_ptr_array_add(used, s);
	}
	if (used->len == 0)
		return VALUE_INIT;
	return merged_run(e, e->s.first, e->s.first_state, used, p, &any, text, text_len);
}

/* SPEC 5.1: a primary value replaces the aggregated one; an auxiliary value
 * fills in where aggregation has none.  Every value here is borrowed (or a
 * number): only one that changes what is published is copied. */
void merged_publish(Engine *e, int p, const Value *aggregated, bool members_have_value)
{
	Value v = from_sources(e, e->primary, p, e->primary_text, sizeof(e->primary_text));

	if (v.type == VALUE_INVALID) {
		v = *aggregated;
		if (v.type == VALUE_INVALID || !members_have_value) {
			Value aux = from_sources(e, e->auxiliary, p, e->auxiliary_text,
			                         sizeof(e->auxiliary_text));

			if (aux.type != VALUE_INVALID)
				v = aux;
		}
	}
	/* A refusal reaches the chargers only as a limit of 0: systemcalc reads
	 * a battery's limits, never its allow flags.  So a battery that says it
	 * refuses publishes no other limit (P_ALLOW_* come before the limits in
	 * every combiner's order, and make them due: feeds_table). */
	if ((p == P_CCL && outputs_refuses(e, P_ALLOW_TO_CHARGE)) ||
	    (p == P_DCL && outputs_refuses(e, P_ALLOW_TO_DISCHARGE)))
		v = value_double(0);
	paths_coerce((PathId)p, &v);
	if (p == P_ALARM_BMS_CABLE && inputs_short(e)) {
		double level = 0;

		/* A member missing: an alarm, whatever the others say. */
		if (!value_number(&v, &level) || level < 2)
			v = value_int(2);
	}
	if (p == P_ALARM_INTERNAL_FAILURE && e->config_problem) {
		double level = 0;

		/* At least a warning, whatever the inputs say. */
		if (!value_number(&v, &level) || level < 1)
			v = value_int(1);
	}
	outputs_put(e, p, &v);
}
