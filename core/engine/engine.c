/* SPDX-License-Identifier: MIT */
/*
 * The engine's core: its inputs (members, primary and auxiliary services,
 * hooks) and their values, stored sane; what changed since the last flush;
 * the strategies told about members; the published values.  Combining the
 * inputs is the combiner's (aggregate.c or precedence.c).
 */
#include "engine/engine_internal.h"

#include <string.h>

static const char *const extra_paths[N_EXTRA_PATHS] = {
        [X_BATTERIES] = "/System/Batteries",
        [X_NR_OF_BATTERIES] = "/System/NrOfBatteries",
        [X_BATTERIES_PARALLEL] = "/System/BatteriesParallel",
        [X_BATTERIES_SERIES] = PATH_BATTERIES_SERIES,
        [X_CHARGE_LIMITATION] = "/Info/ChargeLimitation",
        [X_DISCHARGE_LIMITATION] = "/Info/DischargeLimitation",
        [X_VOLTAGE_LIMITATION] = "/Info/ChargeVoltageLimitation",
        [X_NR_OF_BATTERIES_EXPECTED] = "/System/NrOfBatteriesExpected",
        [X_INTERNAL_RESISTANCES] = "/System/InternalResistances",
        [X_EMFS] = "/System/EMFs",
        [X_IR_CORRECTIONS] = "/System/InternalResistanceCorrections",
        [X_CHARGE_RATIOS] = "/System/ChargeCurrentRatios",
        [X_DISCHARGE_RATIOS] = "/System/DischargeCurrentRatios",
        [X_CONFIG_PROBLEM] = "/ConfigProblem",
};

const char *engine_published_path(int i)
{
	return i < N_BATTERY_PATHS ? battery_paths[i].path : extra_paths[i - N_BATTERY_PATHS];
}

Unit engine_published_unit(int i)
{
	return i < N_BATTERY_PATHS ? battery_paths[i].unit : UNIT_NONE;
}

BataggNum engine_num(const Value *v)
{
	BataggNum n = {0};

	n.valid = value_number(v, &n.value);
	return n;
}

/* clang-format off */
const LimitInputs limit_inputs[N_LIMITS] = {
	/* A member's own limit and allow flag; its CVL makes it a BMS, which
	 * alone shares the bank current; the capacity method shares by
	 * /InstalledCapacity; the limitation text names members.  The bank
	 * refusing (its allow flag 0) makes the limit 0. */
	[L_CCL] = {.member = BIT(P_CCL) | BIT(P_ALLOW_TO_CHARGE) | BIT(P_CVL) |
	                     BIT(P_INSTALLED_CAPACITY) | BIT(P_CUSTOM_NAME),
	           .bank = BIT(P_ALLOW_TO_CHARGE)},
	[L_DCL] = {.member = BIT(P_DCL) | BIT(P_ALLOW_TO_DISCHARGE) | BIT(P_CVL) |
	                     BIT(P_INSTALLED_CAPACITY) | BIT(P_CUSTOM_NAME),
	           .bank = BIT(P_ALLOW_TO_DISCHARGE)},
	/* The CVL mode reads the members' CVLs and charge modes, and the
	 * bank's /Balancing and /Info/ChargeMode. */
	[L_CVL] = {.member = BIT(P_CVL) | BIT(P_CHARGE_MODE) | BIT(P_CUSTOM_NAME),
	           .bank = BIT(P_BALANCING) | BIT(P_CHARGE_MODE)},
};
/* clang-format on */

const int limit_path[N_LIMITS] = {[L_CCL] = P_CCL, [L_DCL] = P_DCL, [L_CVL] = P_CVL};

void engine_limit_due(Engine *e, LimitId l)
{
	e->need[l] = true;
	/* The series and precedence combiners merge what is dirty. */
	e->dirty |= BIT(limit_path[l]);
}

BataggNum engine_limit_num(Engine *e, LimitId l, const EngineInput *m, int p)
{
	e->reads[l].member |= BIT(p);
	return engine_num(&m->values[p]);
}

const Value *engine_limit_value(Engine *e, LimitId l, const EngineInput *m, int p)
{
	e->reads[l].member |= BIT(p);
	return &m->values[p];
}

const char *engine_limit_label(Engine *e, LimitId l, const EngineInput *m)
{
	e->reads[l].member |= BIT(P_CUSTOM_NAME);
	return merged_label(m);
}

bool engine_limit_bms(Engine *e, LimitId l, const EngineInput *m)
{
	e->reads[l].member |= BIT(P_CVL);
	return m->bms;
}

const Value *engine_limit_bank(Engine *e, LimitId l, int p)
{
	e->reads[l].bank |= BIT(p);
	return &e->pub[p];
}

bool engine_refuses(const Engine *e, int p)
{
	double x;

	return value_number(&e->pub[p], &x) && x == 0;
}

void engine_set_published(Engine *e, int i, Value *v)
{
	bool tightens;

	if (value_equal(&e->pub[i], v)) {
		value_clear(v);
		return;
	}
	tightens = engine_tightens(i, &e->pub[i], v);
	value_move(&e->pub[i], v);
	e->publish(e->user_data, i, &e->pub[i], tightens);
	for (int l = 0; i < N_BATTERY_PATHS && l < N_LIMITS; l++) {
		if (limit_inputs[l].bank & BIT(i))
			engine_limit_due(e, (LimitId)l);
	}
}

/* A limit falling by less than this share of it (the IR method's ratios
 * drift a little with every sample) waits for the tick. */
#define SMALL_FALL 0.01

bool engine_tightens(int i, const Value *old, const Value *new)
{
	double a, b;
	bool had = value_number(old, &a);
	bool has = value_number(new, &b);

	switch (i) {
	case P_CCL:
	case P_DCL:
		return has && (!had || (b < a && b <= a * (1 - SMALL_FALL)));
	case P_CVL:
		return has && (!had || b < a);
	case P_ALLOW_TO_CHARGE:
	case P_ALLOW_TO_DISCHARGE:
		return has && b == 0 && (!had || a != 0);
	case N_BATTERY_PATHS + X_BATTERIES:
	case N_BATTERY_PATHS + X_NR_OF_BATTERIES:
		return true;
	default:
		break;
	}
	if (i >= P_ALARM_CELL_IMBALANCE && i <= P_ALARM_INTERNAL_FAILURE)
		return has && b > (had ? a : 0);
	return false;
}

bool engine_safer(int i, const Value *old, const Value *new)
{
	double a, b;
	bool had = value_number(old, &a);
	bool has = value_number(new, &b);

	switch (i) {
	case P_CCL:
	case P_DCL:
	case P_CVL:
		return has && (!had || b < a);
	case P_ALLOW_TO_CHARGE:
	case P_ALLOW_TO_DISCHARGE:
		return has && b == 0 && (!had || a != 0);
	default:
		break;
	}
	if (i >= P_ALARM_CELL_IMBALANCE && i <= P_ALARM_INTERNAL_FAILURE)
		return has && b > (had ? a : 0);
	return false;
}

static void init_keys(Engine *e)
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

Engine *engine_new(const EngineSetup *setup, EnginePublishFn publish, void *user_data)
{
	Engine *e = g_new0(Engine, 1);

	e->s = *setup;
	e->combiner = setup->series_modules    ? &series_combiner
	              : setup->precedence_only ? &precedence_combiner
	                                       : &aggregate_combiner;
	e->publish = publish;
	e->user_data = user_data;
	e->members = g_ptr_array_new();
	e->primary = g_ptr_array_new();
	e->auxiliary = g_ptr_array_new();
	e->next_id = 1;
	e->user_ccl = -1;
	e->user_cvl = 0;
	e->dirty = ALL_BATTERY_PATHS;
	e->membership_changed = true;
	e->joined = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	e->told = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	init_keys(e);
	if (e->s.expected)
		e->pub[N_BATTERY_PATHS + X_NR_OF_BATTERIES_EXPECTED] =
		        value_int((int64_t)e->s.expected);
	return e;
}

static void input_free(EngineInput *in)
{
	for (int p = 0; p < N_MEMBER_PATHS; p++)
		value_clear(&in->values[p]);
	g_free(in->service);
	g_free(in->first_name);
	g_free(in->label);
	g_free(in);
}

static void free_inputs(GPtrArray *inputs)
{
	for (guint i = 0; i < inputs->len; i++)
		input_free(inputs->pdata[i]);
	g_ptr_array_free(inputs, TRUE);
}

void engine_free(Engine *e)
{
	if (!e)
		return;
	free_inputs(e->members);
	free_inputs(e->primary);
	free_inputs(e->auxiliary);
	for (int i = 0; i < N_PUBLISHED; i++)
		value_clear(&e->pub[i]);
	g_free(e->ratios[0]);
	g_free(e->ratios[1]);
	g_free(e->vals);
	g_free(e->keys);
	g_free(e->second_keys);
	g_free(e->labels);
	g_hash_table_destroy(e->joined);
	g_hash_table_destroy(e->told);
	g_free(e);
}

BataggMember engine_member(const EngineInput *in)
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
	BataggMember m = engine_member(in);

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

EngineInput *engine_add_input(Engine *e, InputRole role, const char *service,
                              const char *custom_name, int rank, const char *const *paths)
{
	EngineInput *in = g_new0(EngineInput, 1);

	in->role = role;
	in->service = g_strdup(service);
	in->values[P_CUSTOM_NAME] = value_text(custom_name);
	in->first_name = g_strdup(custom_name ? custom_name : "");
	in->label = g_strdup(merged_label(in));
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

EngineInput *engine_add_hook(Engine *e, int rank, const BataggHook *hook, void *state)
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

void engine_remove_input(Engine *e, EngineInput *in)
{
	if (in->role == ROLE_MEMBER) {
		tell_used(e, in, false);
		e->membership_changed = true;
	} else {
		e->dirty |= in->paths;
		e->membership_changed = e->membership_changed || e->combiner->lists_sources;
	}
	g_ptr_array_remove(list_of(e, in->role), in);
	input_free(in);
}

void engine_reset_input(Engine *e, EngineInput *in)
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
	BataggNum v = engine_num(&in->values[P_VOLTAGE]);
	BataggNum c = engine_num(&in->values[P_CURRENT]);
	BataggMember m = engine_member(in);
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
				                   engine_num(&in->values[P_CCL]),
				                   engine_num(&in->values[P_DCL]));
		}
	}
	return bits;
}

void engine_input_set(Engine *e, EngineInput *in, const char *path, const Value *v)
{
	int p = paths_find(path);
	Value sane = VALUE_INIT;

	if (p < 0)
		return;
	value_copy(&sane, v);
	paths_sanitize((PathId)p, &sane);
	if (value_equal(&in->values[p], &sane)) {
		value_clear(&sane);
		return;
	}
	value_move(&in->values[p], &sane);
	if (in->role != ROLE_MEMBER) {
		if (p < N_BATTERY_PATHS && (in->paths & BIT(p)))
			e->dirty |= BIT(p);
		return;
	}
	if (p < N_BATTERY_PATHS)
		e->dirty |= BIT(p);
	e->dirty |= e->dependents[p];
	/* A member's own module count is part of the bank description. */
	if (p == P_MEMBER_SERIES)
		e->membership_changed = true;
	if (p == P_CVL && in->values[p].type != VALUE_INVALID)
		in->bms = true;
	for (int l = 0; l < N_LIMITS; l++) {
		if (limit_inputs[l].member & BIT(p))
			engine_limit_due(e, (LimitId)l);
	}
	if (p == P_VOLTAGE || p == P_CURRENT)
		e->method_bits |= feed_methods(e, in, p);
}

void engine_each_value(Engine *e, EngineValueFn fn, void *user_data)
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

bool engine_input_is_bms(const EngineInput *in)
{
	return in->bms;
}

InputRole engine_input_role(const EngineInput *in)
{
	return in->role;
}

void engine_set_dvcc(Engine *e, bool on)
{
	if (e->dvcc == on)
		return;
	e->dvcc = on;
	engine_limit_due(e, L_CCL);
	engine_limit_due(e, L_CVL);
}

void engine_set_user_ccl(Engine *e, double amps)
{
	if (e->user_ccl == amps)
		return;
	e->user_ccl = amps;
	engine_limit_due(e, L_CCL);
}

void engine_set_user_cvl(Engine *e, double volts)
{
	if (e->user_cvl == volts)
		return;
	e->user_cvl = volts;
	engine_limit_due(e, L_CVL);
}

static gint by_service(gconstpointer a, gconstpointer b)
{
	return strcmp((*(EngineInput *const *)a)->service, (*(EngineInput *const *)b)->service);
}

void engine_sort_members(Engine *e)
{
	g_ptr_array_sort(e->members, by_service);
	e->membership_changed = true;
}

bool engine_has_voltage(Engine *e)
{
	for (guint i = 0; i < e->members->len; i++) {
		const EngineInput *m = e->members->pdata[i];
		BataggNum v = engine_num(&m->values[P_VOLTAGE]);

		if (v.valid && v.value != 0)
			return true;
	}
	return false;
}

bool engine_publishes(Engine *e, int i)
{
	if (i == N_BATTERY_PATHS + X_NR_OF_BATTERIES_EXPECTED)
		return e->s.expected > 0;
	return e->combiner->publishes(i);
}

const Value *engine_published(Engine *e, int i)
{
	return &e->pub[i];
}

void engine_flush(Engine *e)
{
	e->combiner->flush(e, true);
}

void engine_flush_safety(Engine *e)
{
	e->combiner->flush(e, false);
}
