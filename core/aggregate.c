/* SPDX-License-Identifier: MIT */
/*
 * The aggregation engine: stores every input's values, and on each flush
 * recomputes only what changed since the last one: the merged paths whose
 * inputs changed, the limits whose triggers (SPEC 5.5-5.7) fired, and the
 * bank description when membership changed.  Pure computation: strategies are
 * called through their tables, results leave through the publish callback.
 */
#include "aggregate.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#define BATTERY_PREFIX "com.victronenergy.battery."
#define BIT(p) (UINT64_C(1) << (p))
#define ALL_BATTERY_PATHS (BIT(N_BATTERY_PATHS) - 1)

struct EngineInput {
	InputRole role;
	char *service;
	int rank;
	BataggMemberId id;
	uint64_t paths;                /* primary/auxiliary: the battery paths it is used for */
	const BataggMergePolicy *hook; /* a hook supplies its own values */
	void *hook_state;
	int hook_key; /* PathId of the hook's key_path, or -1 */
	/* A BMS: it has reported a valid CVL since it joined.  Only BMSes share
	 * the bank current (a shunt or battery monitor does not). */
	bool bms;
	Value values[N_MEMBER_PATHS];
};

struct Engine {
	EngineSetup s;
	EnginePublishFn publish;
	void *user_data;

	GPtrArray *members; /* EngineInput *, in joining order */
	GPtrArray *primary; /* EngineInput *, by rank */
	GPtrArray *auxiliary;
	BataggMemberId next_id;

	bool dvcc;
	double user_ccl;
	double user_cvl;

	/* What the next flush must recompute. */
	uint64_t dirty;
	bool membership_changed;
	bool need_ccl, need_dcl, need_cvl, need_estimates;
	int method_bits; /* BATAGG_* bits the methods asked for */

	/* Merge inputs that depend on another path (cell ids on their extreme,
	 * a weighted mean on its weight): dependents[k] are the paths to redo
	 * when path k changes. */
	int key[N_BATTERY_PATHS];
	uint64_t dependents[N_MEMBER_PATHS];

	BataggNum *ratios[2]; /* last CCL/DCL ratio of each member, for diagnosis */
	guint n_ratios[2];
	Value pub[N_PUBLISHED];

	/* Scratch space for merge inputs, sized to the member count. */
	size_t scratch_len;
	BataggValue *vals;
	BataggValue *keys;
	const char **labels;
	char text[256];
};

static const char *const extra_paths[N_EXTRA_PATHS] = {
        [X_BATTERIES] = "/System/Batteries",
        [X_NR_OF_BATTERIES] = "/System/NrOfBatteries",
        [X_BATTERIES_PARALLEL] = "/System/BatteriesParallel",
        [X_BATTERIES_SERIES] = "/System/BatteriesSeries",
        [X_INTERNAL_RESISTANCES] = "/System/InternalResistances",
        [X_EMFS] = "/System/EMFs",
        [X_IR_CORRECTIONS] = "/System/InternalResistanceCorrections",
        [X_CHARGE_RATIOS] = "/System/ChargeCurrentRatios",
        [X_DISCHARGE_RATIOS] = "/System/DischargeCurrentRatios",
};

const char *engine_published_path(int i)
{
	return i < N_BATTERY_PATHS ? battery_paths[i].path : extra_paths[i - N_BATTERY_PATHS];
}

Unit engine_published_unit(int i)
{
	return i < N_BATTERY_PATHS ? battery_paths[i].unit : UNIT_NONE;
}

static BataggNum num(const Value *v)
{
	BataggNum n = {0};

	n.valid = value_number(v, &n.value);
	return n;
}

static void set_published(Engine *e, int i, Value *v)
{
	if (value_equal(&e->pub[i], v)) {
		value_clear(v);
		return;
	}
	value_move(&e->pub[i], v);
	e->publish(e->user_data, engine_published_path(i), &e->pub[i]);
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
	init_keys(e);
	return e;
}

static void input_free(EngineInput *in)
{
	for (int p = 0; p < N_MEMBER_PATHS; p++)
		value_clear(&in->values[p]);
	g_free(in->service);
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
	g_free(e->labels);
	g_free(e);
}

/* The distinct methods that keep per-member state. */
static void tell_methods(Engine *e, BataggMemberId id, bool added)
{
	const BataggRatioMethod *seen[RATIO_CHAIN_MAX + 1];
	void *states[RATIO_CHAIN_MAX + 1];
	size_t n = 0;

	if (e->s.estimator) {
		seen[n] = e->s.estimator;
		states[n++] = e->s.estimator_state;
	}
	for (size_t k = 0; k < e->s.ratios.n; k++) {
		bool dup = false;

		for (size_t j = 0; j < n; j++)
			dup = dup || seen[j] == e->s.ratios.method[k];
		if (!dup) {
			seen[n] = e->s.ratios.method[k];
			states[n++] = e->s.ratios.state[k];
		}
	}
	for (size_t j = 0; j < n; j++) {
		if (added && seen[j]->member_added)
			seen[j]->member_added(states[j], id);
		else if (!added && seen[j]->member_removed)
			seen[j]->member_removed(states[j], id);
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

EngineInput *engine_add_input(Engine *e, InputRole role, const char *service, int rank,
                              const char *const *paths)
{
	EngineInput *in = g_new0(EngineInput, 1);

	in->role = role;
	in->service = g_strdup(service);
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
		tell_methods(e, in->id, true);
		e->membership_changed = true;
	} else {
		g_ptr_array_sort(list_of(e, role), by_rank);
		e->dirty |= in->paths;
		/* A virtual battery lists its inputs in /System/Batteries. */
		e->membership_changed = e->membership_changed || e->s.precedence_only;
	}
	return in;
}

EngineInput *engine_add_hook(Engine *e, int rank, const BataggMergePolicy *hook, void *state)
{
	EngineInput *in = g_new0(EngineInput, 1);

	in->role = ROLE_PRIMARY;
	in->service = g_strdup(hook->name);
	in->rank = rank;
	in->hook = hook;
	in->hook_state = state;
	in->hook_key = hook->key_path ? paths_find(hook->key_path) : -1;
	for (int p = 0; p < N_BATTERY_PATHS; p++) {
		if (hook->provides && hook->provides(state, battery_paths[p].path))
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
		tell_methods(e, in->id, false);
		e->membership_changed = true;
	} else {
		e->dirty |= in->paths;
		e->membership_changed = e->membership_changed || e->s.precedence_only;
	}
	g_ptr_array_remove(list_of(e, in->role), in);
	input_free(in);
}

void engine_reset_input(Engine *e, EngineInput *in)
{
	for (int p = 0; p < N_MEMBER_PATHS; p++)
		value_clear(&in->values[p]);
	if (in->role == ROLE_MEMBER) {
		tell_methods(e, in->id, true);
		e->membership_changed = true;
	} else {
		e->dirty |= in->paths;
	}
}

/* Tells the estimator about a member's new voltage (with its current as it
 * is at that moment, as values arrive in order) and the configured method
 * about a new current; returns the BATAGG_* bits they ask for. */
static int feed_methods(Engine *e, const EngineInput *m, int p)
{
	BataggNum v = num(&m->values[P_VOLTAGE]);
	BataggNum c = num(&m->values[P_CURRENT]);

	if (p == P_VOLTAGE && v.valid && c.valid && e->s.estimator && e->s.estimator->sample)
		return e->s.estimator->sample(e->s.estimator_state, m->id, v.value, c.value);
	if (p == P_CURRENT && c.valid && e->s.configured && e->s.configured->current)
		return e->s.configured->current(e->s.configured_state, m->id, c.value,
		                                num(&m->values[P_CCL]), num(&m->values[P_DCL]));
	return 0;
}

/* Who shares the bank current changed: a member became a BMS, or the
 * capacity method gained or lost a member it can serve. */
static void shares_changed(Engine *e)
{
	e->need_ccl = e->need_dcl = true;
}

void engine_input_set(Engine *e, EngineInput *in, const char *path, const Value *v)
{
	int p = paths_find(path);
	Value sane = VALUE_INIT;
	bool was_valid;

	if (p < 0)
		return;
	value_copy(&sane, v);
	paths_sanitize((PathId)p, &sane);
	if (value_equal(&in->values[p], &sane)) {
		value_clear(&sane);
		return;
	}
	was_valid = in->values[p].type != VALUE_INVALID;
	value_move(&in->values[p], &sane);
	if (in->role != ROLE_MEMBER) {
		if (p < N_BATTERY_PATHS && (in->paths & BIT(p)))
			e->dirty |= BIT(p);
		return;
	}
	if (p < N_BATTERY_PATHS)
		e->dirty |= BIT(p);
	e->dirty |= e->dependents[p];
	if (p == P_CVL && !in->bms && in->values[p].type != VALUE_INVALID) {
		in->bms = true;
		shares_changed(e);
	}
	if (p == P_INSTALLED_CAPACITY && was_valid != (in->values[p].type != VALUE_INVALID))
		shares_changed(e);
	if (p == P_VOLTAGE || p == P_CURRENT)
		e->method_bits |= feed_methods(e, in, p);
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
	e->need_ccl = e->need_cvl = true;
}

void engine_set_user_ccl(Engine *e, double amps)
{
	if (e->user_ccl == amps)
		return;
	e->user_ccl = amps;
	e->need_ccl = true;
}

void engine_set_user_cvl(Engine *e, double volts)
{
	if (e->user_cvl == volts)
		return;
	e->user_cvl = volts;
	e->need_cvl = true;
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
		BataggNum v = num(&m->values[P_VOLTAGE]);

		if (v.valid && v.value != 0)
			return true;
	}
	return false;
}

bool engine_publishes(Engine *e, int i)
{
	return !e->s.precedence_only || i < N_BATTERY_PATHS || i == N_BATTERY_PATHS + X_BATTERIES;
}

const Value *engine_published(Engine *e, int i)
{
	return &e->pub[i];
}

static const char *label(const EngineInput *m)
{
	const Value *name = &m->values[P_CUSTOM_NAME];

	if (name->type == VALUE_TEXT && name->u.s[0])
		return name->u.s;
	if (g_str_has_prefix(m->service, BATTERY_PREFIX))
		return m->service + strlen(BATTERY_PREFIX);
	return m->service;
}

static void ensure_scratch(Engine *e, size_t n)
{
	if (n <= e->scratch_len)
		return;
	e->scratch_len = n * 2;
	e->vals = g_renew(BataggValue, e->vals, e->scratch_len);
	e->keys = g_renew(BataggValue, e->keys, e->scratch_len);
	e->labels = g_renew(const char *, e->labels, e->scratch_len);
}

/* Runs a merge policy over the given inputs' values of path p. */
static Value run_policy(Engine *e, const BataggMergePolicy *pol, void *state, GPtrArray *inputs,
                        int p, bool *any_valid)
{
	BataggMergeInput in = {.n = inputs->len, .path = battery_paths[p].path};
	BataggValue out = {0};
	int k = e->key[p];

	ensure_scratch(e, inputs->len + 1);
	in.values = e->vals;
	*any_valid = false;
	for (guint i = 0; i < inputs->len; i++) {
		const EngineInput *m = inputs->pdata[i];

		e->vals[i] = value_view(&m->values[p]);
		*any_valid = *any_valid || e->vals[i].type != BATAGG_VALUE_INVALID;
		e->labels[i] = label(m);
		if (k >= 0)
			e->keys[i] = value_view(&m->values[k]);
	}
	in.labels = e->labels;
	in.keys = k >= 0 ? e->keys : NULL;
	pol->merge(state, &in, &out, e->text, sizeof(e->text));
	return value_from_view(&out);
}

/* The sources of one role that are used for path p, in precedence order. */
static Value from_sources(Engine *e, GPtrArray *sources, int p)
{
	g_autoptr(GPtrArray) used = NULL;
	bool any;

	if (sources->len == 0 || !e->s.first)
		return VALUE_INIT;
	used = g_ptr_array_new();
	for (guint i = 0; i < sources->len; i++) {
		EngineInput *s = sources->pdata[i];

		if (s->paths & BIT(p))
			g_ptr_array_add(used, s);
	}
	if (used->len == 0)
		return VALUE_INIT;
	return run_policy(e, e->s.first, e->s.first_state, used, p, &any);
}

/* SPEC 5.1: a primary value replaces the aggregated one; an auxiliary value
 * fills in where aggregation has none. */
static void publish_merged(Engine *e, int p, Value *aggregated, bool members_have_value)
{
	Value v = from_sources(e, e->primary, p);

	if (v.type == VALUE_INVALID) {
		value_move(&v, aggregated);
		if (v.type == VALUE_INVALID || !members_have_value) {
			Value aux = from_sources(e, e->auxiliary, p);

			if (aux.type != VALUE_INVALID)
				value_move(&v, &aux);
		}
	}
	value_clear(aggregated);
	paths_coerce((PathId)p, &v);
	set_published(e, p, &v);
}

static void compute_path(Engine *e, int p)
{
	Value agg = VALUE_INIT;
	bool any = false;

	if (e->s.precedence_only) {
		any = false;
	} else if (e->s.has_capacity && (p == P_CAPACITY || p == P_INSTALLED_CAPACITY)) {
		/* A fixed bank capacity replaces what members say. */
		if (p == P_INSTALLED_CAPACITY)
			agg = value_double(e->s.capacity);
		any = agg.type != VALUE_INVALID;
	} else {
		agg = run_policy(e, e->s.policy[p], e->s.policy_state[p], e->members, p, &any);
	}
	publish_merged(e, p, &agg, any);
}

static void append_json_number(GString *s, BataggNum n, const char *unknown)
{
	g_autofree char *text = NULL;
	Value v = value_double(n.value);

	/* JSON has no NaN or infinity. */
	if (!n.valid || !isfinite(n.value)) {
		g_string_append(s, unknown);
		return;
	}
	text = value_format(&v, UNIT_NONE);
	g_string_append(s, text);
}

static void publish_text(Engine *e, int x, GString *s)
{
	Value v = value_text(s->str);

	set_published(e, N_BATTERY_PATHS + x, &v);
}

static void publish_ratios(Engine *e, bool discharge)
{
	g_autoptr(GString) s = g_string_new("[");

	for (guint i = 0; i < e->members->len; i++) {
		if (i)
			g_string_append(s, ", ");
		append_json_number(s, e->ratios[discharge][i], "null");
	}
	g_string_append_c(s, ']');
	publish_text(e, discharge ? X_DISCHARGE_RATIOS : X_CHARGE_RATIOS, s);
}

static bool same_ratios(const BataggNum *a, const BataggNum *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i].valid != b[i].valid || (a[i].valid && a[i].value != b[i].value))
			return false;
	}
	return true;
}

/* The bank capacity the capacity method divides: the configured one, else
 * the sum over the BMS members (a shunt's capacity is no share of the bank
 * current). */
static BataggNum bank_capacity(const Engine *e, const LimitMember *lm, guint n)
{
	BataggNum sum = {0};

	if (e->s.has_capacity)
		return (BataggNum){.value = e->s.capacity, .valid = true};
	for (guint i = 0; i < n; i++) {
		if (lm[i].bms && lm[i].capacity.valid) {
			sum.value += lm[i].capacity.value;
			sum.valid = true;
		}
	}
	return sum;
}

static void compute_current_limit(Engine *e, bool discharge)
{
	guint n = e->members->len;
	g_autofree LimitMember *lm = g_new0(LimitMember, n ? n : 1);
	g_autofree BataggNum *ratios = g_new0(BataggNum, n ? n : 1);
	int limit = discharge ? P_DCL : P_CCL;
	int allow = discharge ? P_ALLOW_TO_DISCHARGE : P_ALLOW_TO_CHARGE;
	BataggNum r;
	Value v = VALUE_INIT;

	for (guint i = 0; i < n; i++) {
		const EngineInput *m = e->members->pdata[i];

		lm[i].id = m->id;
		lm[i].bms = m->bms;
		lm[i].limit = num(&m->values[limit]);
		lm[i].allow = num(&m->values[allow]);
		if (!e->s.has_capacity)
			lm[i].capacity = num(&m->values[P_INSTALLED_CAPACITY]);
	}
	r = limits_current(lm, n, &e->s.ratios, discharge, bank_capacity(e, lm, n), ratios);
	r = discharge ? limits_sane_current(r)
	              : limits_ccl_mode(e->s.ccl_mode, r, e->dvcc, e->user_ccl);
	if (r.valid)
		v = value_double(r.value);
	publish_merged(e, limit, &v, r.valid);
	/* Formatting the diagnosis costs more than computing it: only when it
	 * changed. */
	if (e->membership_changed || e->n_ratios[discharge] != n ||
	    !same_ratios(ratios, e->ratios[discharge], n)) {
		g_free(e->ratios[discharge]);
		e->ratios[discharge] = g_steal_pointer(&ratios);
		e->n_ratios[discharge] = n;
		publish_ratios(e, discharge);
	}
}

static void compute_cvl(Engine *e)
{
	guint n = e->members->len;
	g_autofree BataggNum *cvl = g_new0(BataggNum, n ? n : 1);
	g_autofree const char **modes = g_new0(const char *, n ? n : 1);
	const Value *bank_mode = &e->pub[P_CHARGE_MODE];
	BataggCvlInput in = {
	        .n = n,
	        .cvl = cvl,
	        .charge_mode = modes,
	        .balancing = num(&e->pub[P_BALANCING]),
	        .bank_charge_mode = bank_mode->type == VALUE_TEXT ? bank_mode->u.s : NULL,
	        .user_cap = e->dvcc ? e->user_cvl : 0,
	};
	BataggNum r;
	Value v = VALUE_INIT;

	for (guint i = 0; i < n; i++) {
		const EngineInput *m = e->members->pdata[i];
		const Value *mode = &m->values[P_CHARGE_MODE];

		cvl[i] = num(&m->values[P_CVL]);
		modes[i] = mode->type == VALUE_TEXT ? mode->u.s : NULL;
	}
	r = limits_sane_voltage(e->s.cvl->cvl(e->s.cvl_state, &in));
	if (r.valid)
		v = value_double(r.value);
	publish_merged(e, P_CVL, &v, r.valid);
}

static void append_services(GString *s, GPtrArray *inputs)
{
	gboolean first = TRUE;

	for (guint i = 0; i < inputs->len; i++) {
		const EngineInput *m = inputs->pdata[i];
		g_autofree char *quoted = NULL;

		if (m->hook)
			continue;
		quoted = g_strescape(m->service, NULL);
		g_string_append_printf(s, "%s\"%s\"", first ? "" : ", ", quoted);
		first = FALSE;
	}
}

static void publish_bank(Engine *e)
{
	g_autoptr(GString) s = g_string_new("[");
	Value v;

	append_services(s, e->s.precedence_only ? e->primary : e->members);
	g_string_append_c(s, ']');
	publish_text(e, X_BATTERIES, s);
	if (e->s.precedence_only)
		return;
	v = value_int(e->members->len);
	set_published(e, N_BATTERY_PATHS + X_NR_OF_BATTERIES, &v);
	v = value_int(e->members->len);
	set_published(e, N_BATTERY_PATHS + X_BATTERIES_PARALLEL, &v);
	v = value_int(1);
	set_published(e, N_BATTERY_PATHS + X_BATTERIES_SERIES, &v);
}

/* The estimator's view of every member.  An unknown estimate is published as
 * 0, as the Python daemon did and as existing dashboards expect. */
static void publish_estimates(Engine *e)
{
	g_autoptr(GString) irs = g_string_new("[");
	g_autoptr(GString) emfs = g_string_new("[");
	g_autoptr(GString) corr = g_string_new("[");

	for (guint i = 0; i < e->members->len; i++) {
		const EngineInput *m = e->members->pdata[i];
		BataggMemberDiag d = {0};
		const char *sep = i ? ", " : "";

		if (e->s.estimator && e->s.estimator->diagnose)
			e->s.estimator->diagnose(e->s.estimator_state, m->id, &d);
		g_string_append(irs, sep);
		g_string_append(emfs, sep);
		g_string_append(corr, sep);
		append_json_number(irs, d.resistance, "0");
		append_json_number(emfs, d.emf, "0");
		append_json_number(corr, d.correction, "null");
	}
	g_string_append_c(irs, ']');
	g_string_append_c(emfs, ']');
	g_string_append_c(corr, ']');
	publish_text(e, X_INTERNAL_RESISTANCES, irs);
	publish_text(e, X_EMFS, emfs);
	publish_text(e, X_IR_CORRECTIONS, corr);
}

/* Asks every hook for its values from the merged values published so far. */
static void run_hooks(Engine *e)
{
	for (guint i = 0; i < e->primary->len; i++) {
		EngineInput *h = e->primary->pdata[i];

		if (!h->hook)
			continue;
		for (int p = 0; p < N_BATTERY_PATHS; p++) {
			BataggValue prev = value_view(&h->values[p]);
			BataggValue key = {0};
			BataggMergeInput in = {.n = 1,
			                       .values = &prev,
			                       .keys = &key,
			                       .path = battery_paths[p].path};
			BataggValue out = {0};
			const char *label = h->service;
			Value v;

			if (!(h->paths & BIT(p)))
				continue;
			if (h->hook_key >= 0)
				key = value_view(&e->pub[h->hook_key]);
			in.labels = &label;
			h->hook->merge(h->hook_state, &in, &out, e->text, sizeof(e->text));
			v = value_from_view(&out);
			paths_sanitize((PathId)p, &v);
			if (!value_equal(&v, &h->values[p])) {
				value_move(&h->values[p], &v);
				e->dirty |= BIT(p);
			}
			value_clear(&v);
		}
	}
}

static void flush_precedence(Engine *e)
{
	if (e->membership_changed)
		e->dirty |= ALL_BATTERY_PATHS;
	/* A hook's key may itself come from a hook: settle in a few passes; a
	 * cycle is left for the next flush. */
	for (int pass = 0; pass < 3; pass++) {
		for (int p = 0; p < N_BATTERY_PATHS; p++) {
			if (e->dirty & BIT(p))
				compute_path(e, p);
		}
		e->dirty = 0;
		run_hooks(e);
		if (!e->dirty)
			break;
	}
	if (e->membership_changed)
		publish_bank(e);
	e->membership_changed = false;
}

void engine_flush(Engine *e)
{
	if (e->s.precedence_only) {
		flush_precedence(e);
		return;
	}

	int bits = e->method_bits;
	uint64_t limits = BIT(P_CCL) | BIT(P_DCL) | BIT(P_CVL);

	if (e->membership_changed) {
		e->dirty |= ALL_BATTERY_PATHS;
		e->need_estimates = true;
	}
	e->need_ccl = e->need_ccl || (bits & BATAGG_RECOMPUTE_CCL) ||
	              (e->dirty & (BIT(P_CCL) | BIT(P_ALLOW_TO_CHARGE)));
	e->need_dcl = e->need_dcl || (bits & BATAGG_RECOMPUTE_DCL) ||
	              (e->dirty & (BIT(P_DCL) | BIT(P_ALLOW_TO_DISCHARGE)));
	e->need_cvl =
	        e->need_cvl || (e->dirty & (BIT(P_CVL) | BIT(P_BALANCING) | BIT(P_CHARGE_MODE)));
	e->need_estimates = e->need_estimates || (bits & BATAGG_ESTIMATE_CHANGED);

	for (int p = 0; p < N_BATTERY_PATHS; p++) {
		if ((e->dirty & BIT(p)) && !(limits & BIT(p)))
			compute_path(e, p);
	}
	if (e->membership_changed)
		publish_bank(e);
	if (e->need_ccl)
		compute_current_limit(e, false);
	if (e->need_dcl)
		compute_current_limit(e, true);
	if (e->need_cvl)
		compute_cvl(e);
	if (e->need_estimates)
		publish_estimates(e);
	e->dirty = 0;
	e->method_bits = 0;
	e->membership_changed = false;
	e->need_ccl = e->need_dcl = e->need_cvl = e->need_estimates = false;
}
