/* SPDX-License-Identifier: MIT */
/*
 * The engine's inputs (members, primary and auxiliary services, hooks) and
 * their values: where a member's value is stored, made sane first
 * (paths_sanitize()).  A change marks what depends on it: the merged paths
 * (their keys too), and the limits that read it (feeds_table); the
 * strategies hear of members joining and leaving, and of samples.
 */
#include "engine/inputs.h"

#include <math.h>
#include <string.h>

#include "base/names.h"

BataggNum inputs_read_num(Engine *e, LimitId l, const EngineInput *m, int p)
{
	e->reads[l].member |= BIT(p);
	return value_num(&m->values[p]);
}

const Value *inputs_read(Engine *e, LimitId l, const EngineInput *m, int p)
{
	e->reads[l].member |= BIT(p);
	return &m->values[p];
}

const char *inputs_read_label(Engine *e, LimitId l, const EngineInput *m)
{
	e->reads[l].member |= BIT(P_CUSTOM_NAME);
	return inputs_label(m);
}

bool inputs_read_bms(Engine *e, LimitId l, const EngineInput *m)
{
	e->reads[l].member |= BIT(P_CVL);
	return m->bms;
}

const char *inputs_label(const EngineInput *m)
{
	const Value *name = &m->values[P_CUSTOM_NAME];

	if (name->type == VALUE_TEXT && name->u.s[0])
		return name->u.s;
	if (g_str_has_prefix(m->service, NAMES_BATTERY_PREFIX))
		return m->service + strlen(NAMES_BATTERY_PREFIX);
	return m->service;
}

void inputs_init(Engine *e)
{
	for (int p = 0; p < N_BATTERY_PATHS; p++) {
		const BataggMergePolicy *pol = e->s.policy[p];
		int k = -1;

		if (pol && pol->key_path)
			k = paths_find(pol->key_path);
		else if (battery_paths[p].key)
			k = (int)battery_paths[p].key;
		e->key[p] = k;
		if (k >= 0)
			e->dependents[k] |= BIT(p);
		k = pol && pol->second_key_path ? paths_find(pol->second_key_path) : -1;
		e->second_key[p] = k;
		if (k >= 0)
			e->dependents[k] |= BIT(p);
	}
	/* Labels name members by their /CustomName. */
	for (int p = 0; p < N_BATTERY_PATHS; p++) {
		if (battery_paths[p].key)
			e->dependents[P_CUSTOM_NAME] |= BIT(p);
	}
}

static void input_free(EngineInput *in, size_t n_slots)
{
	for (int p = 0; p < N_MEMBER_PATHS; p++)
		value_clear(&in->values[p]);
	for (int x = 0; x < EXTRA_MAX; x++)
		value_clear(&in->extra[x]);
	for (size_t k = 0; in->slots && k < n_slots; k++)
		g_free(in->slots[k]);
	g_free(in->slots);
	g_free(in->service);
	g_free(in->first_name);
	g_free(in->label);
	g_free(in);
}

void inputs_free(Engine *e, GPtrArray *inputs)
{
	for (guint i = 0; i < inputs->len; i++)
		input_free(inputs->pdata[i], e->s.n_used);
	g_ptr_array_free(inputs, TRUE);
}

BataggMember inputs_member(const EngineInput *in)
{
	return (BataggMember){.id = in->id,
	                      .service = in->service,
	                      .custom_name = in->first_name ? in->first_name : "",
	                      .label = in->label ? in->label : in->service};
}

/* Every strategy the aggregate uses hears of a member joining (again, when
 * it reconnects) and leaving. */
static void tell_used(Engine *e, const EngineInput *in, bool added)
{
	BataggMember m = inputs_member(in);

	for (size_t i = 0; i < e->s.n_used; i++) {
		const StrategyUse *u = &e->s.used[i];

		if (added && u->table->member_added)
			u->table->member_added(u->state, &m);
		else if (!added && u->table->member_removed)
			u->table->member_removed(u->state, &m);
	}
}

static gint by_rank(gconstpointer a, gconstpointer b)
{
	const EngineInput *x = *(EngineInput *const *)a;
	const EngineInput *y = *(EngineInput *const *)b;

	return (x->rank > y->rank) - (x->rank < y->rank);
}

static GPtrArray *list_of(Engine *e, InputRole role)
{
	switch (role) {
	case ROLE_PRIMARY:
		return e->primary;
	case ROLE_AUXILIARY:
		return e->auxiliary;
	case ROLE_MEMBER:
		break;
	}
	return e->members;
}

EngineInput *inputs_add(Engine *e, InputRole role, const char *service, const char *custom_name,
                        int rank, const char *const *paths)
{
	EngineInput *in = g_new0(EngineInput, 1);

	in->role = role;
	in->service = g_strdup(service);
	in->values[P_CUSTOM_NAME] = value_text(custom_name);
	in->first_name = g_strdup(custom_name ? custom_name : "");
	in->label = g_strdup(inputs_label(in));
	in->rank = rank;

	in->paths = paths && paths[0] ? 0 : ALL_BATTERY_PATHS;
	for (size_t i = 0; paths && paths[i]; i++) {
		int p = paths_find(paths[i]);

		if (p >= 0 && p < N_BATTERY_PATHS)
			in->paths |= BIT(p);
	}
	g_ptr_array_add(list_of(e, role), in);
	if (role == ROLE_MEMBER) {
		in->id = e->next_id++;
		in->restore_due = g_hash_table_add(e->joined, g_strdup(service));
		e->restore_due = e->restore_due || in->restore_due;
		in->slots = g_new0(void *, e->s.n_used ? e->s.n_used : 1);
		for (size_t k = 0; k < e->s.n_used; k++) {
			size_t size = e->s.used[k].table->member_state_size;

			in->slots[k] = size ? g_malloc0(size) : NULL;
		}
		tell_used(e, in, true);
		e->membership_changed = true;
	} else {
		g_ptr_array_sort(list_of(e, role), by_rank);
		e->dirty |= in->paths;
		/* A virtual battery lists its inputs in /System/Batteries. */
		e->membership_changed = e->membership_changed || e->combiner->lists_sources;
	}
	return in;
}

EngineInput *inputs_add_hook(Engine *e, int rank, const BataggHook *hook, void *state)
{
	EngineInput *in = g_new0(EngineInput, 1);

	in->role = ROLE_PRIMARY;
	in->service = g_strdup(hook->head.name);
	/* Before every member when its values win wherever it stands. */
	in->rank = hook->placement == BATAGG_HOOK_OVERRIDES ? -1 : rank;
	in->hook = hook;
	in->hook_state = state;
	in->hook_key = hook->key_path ? paths_find(hook->key_path) : -1;
	for (int p = 0; p < N_BATTERY_PATHS; p++) {
		if (hook->provides(state, battery_paths[p].path))
			in->paths |= BIT(p);
	}
	g_ptr_array_add(e->primary, in);
	g_ptr_array_sort(e->primary, by_rank);
	e->membership_changed = true;
	return in;
}

void inputs_remove(Engine *e, EngineInput *in)
{
	if (in->role == ROLE_MEMBER) {
		tell_used(e, in, false);
		e->membership_changed = true;
	} else {
		e->dirty |= in->paths;
		e->membership_changed = e->membership_changed || e->combiner->lists_sources;
	}
	g_ptr_array_remove(list_of(e, in->role), in);
	input_free(in, e->s.n_used);
}

void inputs_reset(Engine *e, EngineInput *in)
{
	for (int p = 0; p < N_MEMBER_PATHS; p++)
		value_clear(&in->values[p]);
	if (in->role == ROLE_MEMBER) {
		tell_used(e, in, true);
		e->membership_changed = true;
	} else {
		e->dirty |= in->paths;
	}
}

/* A member's new voltage, with its current as it is at that moment (values
 * arrive in order), goes to every strategy that samples; a new current to
 * the ratio methods of the chain, which may correct themselves.  Returns
 * the BATAGG_* bits they ask for. */
static int feed_methods(Engine *e, const EngineInput *in, int p)
{
	BataggNum v = value_num(&in->values[P_VOLTAGE]);
	BataggNum c = value_num(&in->values[P_CURRENT]);
	BataggMember m = inputs_member(in);
	int bits = 0;

	if (p == P_VOLTAGE && v.valid && c.valid) {
		for (size_t i = 0; i < e->s.n_used; i++) {
			const StrategyUse *u = &e->s.used[i];

			if (u->table->sample)
				bits |= u->table->sample(u->state, &m, v.value, c.value);
		}
	}
	if (p == P_CURRENT && c.valid) {
		for (size_t k = 0; k < e->s.ratios.n; k++) {
			const BataggRatioMethod *r = e->s.ratios.method[k];

			if (r->current)
				bits |= r->current(e->s.ratios.state[k], &m, c.value,
				                   value_num(&in->values[P_CCL]),
				                   value_num(&in->values[P_DCL]));
		}
	}
	return bits;
}

bool inputs_set_extra(Engine *e, EngineInput *in, const char *path, const Value *v)
{
	int x = feeds_extra_find(e, path);
	Value sane = *v;
	double d;

	if (x < 0)
		return false;
	/* Made sane as any path (a number that is not finite is invalid), and
	 * compared before anything is copied. */
	if (value_number(v, &d) && !isfinite(d))
		sane = VALUE_INIT;
	if (value_equal(&in->extra[x], &sane))
		return false;
	value_assign(&in->extra[x], &sane);
	if (in->role != ROLE_MEMBER)
		return true;
	e->dirty |= e->extra_dependents[x];
	for (int l = 0; l < N_LIMITS; l++) {
		if (e->extra_feeds[l] & BIT(x))
			feeds_due(e, (LimitId)l);
	}
	return true;
}

bool inputs_set_id(Engine *e, EngineInput *in, int p, const Value *v)
{
	Value sane;
	unsigned limits;

	/* The incoming value as it would be stored (nothing copied: its text
	 * is v's): equal to what is stored, it changes nothing. */
	paths_sane((PathId)p, v, &sane);
	if (value_equal(&in->values[p], &sane))
		return false;
	value_assign(&in->values[p], &sane);
	if (in->role != ROLE_MEMBER) {
		if (p < N_BATTERY_PATHS && (in->paths & BIT(p)))
			e->dirty |= BIT(p);
		return true;
	}
	if (p < N_BATTERY_PATHS)
		e->dirty |= BIT(p);
	e->dirty |= e->dependents[p];
	/* A member's own module count is part of the bank description. */
	if (p == P_MEMBER_SERIES)
		e->membership_changed = true;
	if (p == P_CVL && in->values[p].type != VALUE_INVALID)
		in->bms = true;
	/* Only the limits that read this path (feeds_table, the strategies'
	 * reads) are computed again. */
	limits = e->feeds_by_path[p];
	for (int l = 0; limits && l < N_LIMITS; l++) {
		if (limits & BIT(l))
			feeds_due(e, (LimitId)l);
	}
	if (p == P_VOLTAGE || p == P_CURRENT)
		e->method_bits |= feed_methods(e, in, p);
	return true;
}

bool inputs_set(Engine *e, EngineInput *in, const char *path, const Value *v)
{
	int p = paths_find(path);

	if (p < 0)
		return inputs_set_extra(e, in, path, v);
	return inputs_set_id(e, in, p, v);
}

void inputs_each_value(Engine *e, InputsValueFn fn, void *user_data)
{
	GPtrArray *lists[] = {e->members, e->primary, e->auxiliary};

	for (size_t k = 0; k < G_N_ELEMENTS(lists); k++) {
		for (guint i = 0; i < lists[k]->len; i++) {
			const EngineInput *in = lists[k]->pdata[i];

			for (int p = 0; p < N_MEMBER_PATHS && !in->hook; p++) {
				if (in->values[p].type != VALUE_INVALID)
					fn(user_data, in->service, battery_paths[p].path,
					   &in->values[p]);
			}
		}
	}
}

bool inputs_is_bms(const EngineInput *in)
{
	return in->bms;
}

InputRole inputs_role(const EngineInput *in)
{
	return in->role;
}

static gint by_service(gconstpointer a, gconstpointer b)
{
	return strcmp((*(EngineInput *const *)a)->service, (*(EngineInput *const *)b)->service);
}

void inputs_sort(Engine *e)
{
	g_ptr_array_sort(e->members, by_service);
	e->membership_changed = true;
}

bool inputs_has_voltage(Engine *e)
{
	for (guint i = 0; i < e->members->len; i++) {
		const EngineInput *m = e->members->pdata[i];
		BataggNum v = value_num(&m->values[P_VOLTAGE]);

		if (v.valid && v.value != 0)
			return true;
	}
	return false;
}

size_t inputs_present(const Engine *e)
{
	size_t n = 0;

	if (!e->combiner->lists_sources)
		return e->members->len;
	for (guint i = 0; i < e->primary->len; i++)
		n += ((const EngineInput *)e->primary->pdata[i])->hook == NULL;
	return n;
}

bool inputs_short(const Engine *e)
{
	return e->s.expected && inputs_present(e) < e->s.expected;
}
