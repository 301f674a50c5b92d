/* SPDX-License-Identifier: MIT */
/*
 * Strategies: what a config's strategy names become, put together: the
 * engine setup of a published service, from the instances (instances.c)
 * of the strategies its config or the defaults table names, and the
 * checks of "strategyOptions".
 */
#include "base/kind.h"
#include "strategies/strategies.h"

#include <string.h>

#include "config/defaults.h"
#include "base/suggest.h"
#include "strategies/instances.h"

struct Strategies {
	EngineSetup setup;
	Instances made;   /* strategies_report(): its problems get every failure */
	GArray *used;     /* StrategyUse of the aggregate's instances */
	GArray *limiters; /* StrategyUse of its limiters, in config order */
	GArray *hooks;    /* Hook */
};

typedef struct {
	int rank;
	const BataggHook *table;
	void *state;
} Hook;

static gboolean setup_limiters(Strategies *st, GError **error);

/* Each path's policy: the table's, or the one the config (key) names. */
static gboolean setup_policies(Strategies *st, const char *const *table,
                               const ConfigMergePolicy *named, size_t n_named, const char *key,
                               GError **error)
{
	EngineSetup *s = &st->setup;
	static const ConfigPos nowhere;
	gboolean ok = TRUE;

	for (int p = 0; p < N_BATTERY_PATHS; p++) {
		const char *name = table[p];
		ConfigPos at = nowhere;
		const BataggStrategy *t;

		for (size_t i = 0; i < n_named; i++) {
			if (strcmp(named[i].path, battery_paths[p].path) == 0) {
				name = named[i].policy;
				at = named[i].at;
			}
		}
		if (!name)
			continue;
		if (table[p] && strcmp(name, table[p]) == 0)
			s->series_scaled |= UINT64_C(1) << p;
		t = instances_use(&st->made, BATAGG_KIND_MERGE, name, at, key, &s->policy_state[p],
		                  error);
		ok = ok && t;
		s->policy[p] = (const BataggMergePolicy *)t;
	}
	return ok;
}

/* The configured method, then each one's fallback in turn: the chain is
 * the methods' own data. */
static gboolean setup_ratios(Strategies *st, GError **error)
{
	RatioChain *chain = &st->setup.ratios;
	const Config *cfg = st->made.cfg;
	const char *name = cfg->current_ratio_method;
	ConfigPos at = cfg->current_ratio_method_at;
	const char *key = "currentRatioMethod";

	while (name && chain->n < RATIO_CHAIN_MAX) {
		const BataggRatioMethod *m;
		void *state = NULL;
		gboolean seen = FALSE;

		m = (const BataggRatioMethod *)instances_use(&st->made, BATAGG_KIND_RATIO, name, at,
		                                             key, &state, error);
		if (!m)
			return FALSE;
		for (size_t k = 0; k < chain->n; k++)
			seen = seen || chain->method[k] == m;
		if (seen)
			break;
		chain->method[chain->n] = m;
		chain->state[chain->n++] = state;
		name = m->fallback;
		key = "currentRatioMethod"; /* a fallback is named by the method before it */
	}
	return TRUE;
}

static gboolean setup_estimator(Strategies *st, GError **error)
{
	static const ConfigPos nowhere;
	const BataggStrategy *t =
	        registry_find(st->made.reg, BATAGG_KIND_RATIO, defaults.estimator);

	if (!t)
		return TRUE;
	st->setup.estimator = (const BataggRatioMethod *)t;
	st->setup.estimator_state =
	        instances_get(&st->made, t, t->name, config_strategy_options(st->made.cfg, t->name),
	                      nowhere, defaults.options_key.key, error);
	return st->setup.estimator_state || !t->create;
}

/* The aggregate's distinct instances, for member events and samples. */
static void collect_used(Strategies *st)
{
	for (guint i = 0; i < st->made.list->len; i++)
		g_array_append_val(st->used, g_array_index(st->made.list, Instance, i).use);
	st->setup.used = (const StrategyUse *)(void *)st->used->data;
	st->setup.n_used = st->used->len;
}

static Strategies *strategies_alloc(const Config *cfg, Registry *reg, Problems *problems)
{
	Strategies *st = g_new0(Strategies, 1);

	instances_init(&st->made, cfg, reg, problems);
	st->used = g_array_new(FALSE, FALSE, sizeof(StrategyUse));
	st->limiters = g_array_new(FALSE, FALSE, sizeof(StrategyUse));
	st->hooks = g_array_new(FALSE, FALSE, sizeof(Hook));
	return st;
}

static gboolean setup_precedence(Strategies *st, GError **error)
{
	static const ConfigPos nowhere;

	st->setup.first = (const BataggMergePolicy *)instances_use(
	        &st->made, BATAGG_KIND_MERGE, defaults.precedence, nowhere, "primaryServices",
	        &st->setup.first_state, error);
	return st->setup.first != NULL;
}

static Strategies *aggregate_new(const Config *cfg, Registry *reg, Problems *problems,
                                 GError **error)
{
	Strategies *st = strategies_alloc(cfg, reg, problems);
	EngineSetup *s = &st->setup;
	gboolean ok;

	s->ccl_mode = cfg->ccl_mode;
	s->expected = config_expected(cfg, cfg->service_name, TRUE);
	s->has_capacity = cfg->has_capacity;
	s->capacity = cfg->capacity;
	/* Each part even when one before failed: a report names them all. */
	ok = setup_policies(st, defaults.policy, cfg->merge_policies, cfg->n_merge_policies,
	                    "mergePolicies", error);
	s->series_scaled = 0;
	ok = setup_precedence(st, error) && ok;
	ok = setup_ratios(st, error) && ok;
	ok = setup_estimator(st, error) && ok;
	s->cvl = (const BataggCvlMode *)instances_use(&st->made, BATAGG_KIND_CVL, cfg->cvl_mode,
	                                              cfg->cvl_mode_at, "cvlMode", &s->cvl_state,
	                                              error);
	ok = setup_limiters(st, error) && ok;
	if (!ok || !s->cvl) {
		strategies_free(st);
		return NULL;
	}
	collect_used(st);
	return st;
}

/* "limiters", in config order; "maxChargeCurrent", "maxDischargeCurrent". */
static gboolean setup_limiters(Strategies *st, GError **error)
{
	const Config *cfg = st->made.cfg;
	gboolean ok = TRUE;

	for (size_t i = 0; i < cfg->n_limiters; i++) {
		StrategyUse u = {0};

		u.table = (const BataggStrategy *)instances_use(
		        &st->made, BATAGG_KIND_LIMITER, cfg->limiters[i], cfg->limiters_at[i],
		        "limiters", &u.state, error);
		if (!u.table) {
			ok = FALSE;
			continue;
		}
		g_array_append_val(st->limiters, u);
	}
	st->setup.limiters = (const StrategyUse *)(void *)st->limiters->data;
	st->setup.n_limiters = st->limiters->len;
	st->setup.max_current[0] = cfg->max_current[0];
	st->setup.max_current[1] = cfg->max_current[1];
	return ok;
}

Strategies *strategies_new(const Config *cfg, Registry *reg, GError **error)
{
	return aggregate_new(cfg, reg, NULL, error);
}

/* "class:<name>#<suffix>": the hook named by the part before '#', with the
 * options of "<name>#<suffix>" in "classes". */
static gboolean add_hook(Strategies *st, const ConfigService *member, int rank, GError **error)
{
	const char *id = member->name + strlen("class:");
	g_autofree char *name = g_strndup(id, strcspn(id, "#"));
	const BataggStrategy *t = instances_find(&st->made, BATAGG_KIND_HOOK, name, member->at,
	                                         "virtualBatteries", error);
	Hook h = {.rank = rank};

	if (!t)
		return FALSE;
	h.table = (const BataggHook *)t;
	h.state = instances_get(&st->made, t, id, config_hook_options(st->made.cfg, id), member->at,
	                        "virtualBatteries", error);
	if (t->create && !h.state)
		return FALSE;
	g_array_append_val(st->hooks, h);
	return TRUE;
}

/* A string: every path by its series policy; its voltages (the default
 * sums) scale while modules are missing. */
static Strategies *series_new(const Config *cfg, const ConfigVirtual *vb, Registry *reg,
                              Problems *problems, GError **error)
{
	static const uint64_t voltages = UINT64_C(1) << P_VOLTAGE | UINT64_C(1) << P_POWER |
	                                 UINT64_C(1) << P_CVL |
	                                 UINT64_C(1) << P_BATTERY_LOW_VOLTAGE;
	Strategies *st = strategies_alloc(cfg, reg, problems);
	EngineSetup *s = &st->setup;

	s->series_modules = vb->n_members;
	s->expected = config_expected(cfg, vb->name, FALSE);
	s->series_name = vb->name;
	if (!setup_policies(st, defaults.series_policy, cfg->series_merge_policies,
	                    cfg->n_series_merge_policies, "seriesMergePolicies", error)) {
		strategies_free(st);
		return NULL;
	}
	s->series_scaled &= voltages;
	return st;
}

static Strategies *virtual_new(const Config *cfg, size_t index, Registry *reg, Problems *problems,
                               GError **error)
{
	const ConfigVirtual *vb = &cfg->virtuals[index];
	Strategies *st;
	gboolean ok;

	if (vb->series)
		return series_new(cfg, vb, reg, problems, error);
	st = strategies_alloc(cfg, reg, problems);
	st->setup.expected = config_expected(cfg, vb->name, FALSE);
	st->setup.precedence_only = TRUE;
	ok = setup_precedence(st, error);
	for (size_t m = 0; m < vb->n_members; m++) {
		if (g_str_has_prefix(vb->members[m].name, "class:"))
			ok = add_hook(st, &vb->members[m], (int)m, error) && ok;
	}
	if (!ok) {
		strategies_free(st);
		return NULL;
	}
	return st;
}

Strategies *strategies_new_virtual(const Config *cfg, size_t index, Registry *reg, GError **error)
{
	return virtual_new(cfg, index, reg, NULL, error);
}

/* A name strategyOptions gives: a strategy of any kind but a hook (hooks
 * take theirs from "classes").  With create, every strategy of that name
 * is created with the options and freed again. */
static gboolean check_named(Registry *reg, const Config *cfg, const ConfigOptions *o,
                            gboolean create, Problems *problems, GError **error)
{
	g_autoptr(GPtrArray) all = registry_list(reg, 0);
	g_autofree const char **names = g_new0(const char *, all->len + 1);
	gboolean known = FALSE;
	gssize n = 0;
	const char *near;

	for (guint i = 0; i < all->len; i++) {
		const BataggStrategy *t = all->pdata[i];
		Instances made;
		gboolean ok;

		if (t->kind == BATAGG_KIND_HOOK)
			continue;
		names[n++] = t->name;
		if (strcmp(t->name, o->name) != 0)
			continue;
		known = TRUE;
		if (!create)
			continue;
		instances_init(&made, cfg, reg, problems);
		ok = instances_get(&made, t, t->name, o, o->at, o->where, error) || !t->create;
		instances_clear(&made);
		if (!ok)
			return FALSE;
	}
	if (!known) {
		Instances made;

		instances_init(&made, cfg, reg, problems);
		near = suggest(o->name, names, n);
		instances_fail(&made, error, BATAGG_PLUGIN_ERROR_UNKNOWN_NAME, o->at, o->where,
		               "no strategy is named \"%s\"%s%s%s", o->name,
		               near ? " (did you mean \"" : "", near ? near : "",
		               near ? "\"?)" : "");
		instances_clear(&made);
	}
	return known;
}

static gboolean check_options(Registry *reg, const Config *cfg, gboolean create, Problems *problems,
                              GError **error)
{
	gboolean ok = TRUE;

	for (size_t i = 0; i < cfg->n_strategy_options; i++)
		ok = check_named(reg, cfg, &cfg->strategy_options[i], create, problems, error) &&
		     ok;
	return ok;
}

gboolean strategies_check_options(Registry *reg, const Config *cfg, gboolean create, GError **error)
{
	return check_options(reg, cfg, create, NULL, error);
}

guint strategies_report(Registry *reg, const Config *cfg, gboolean create, Problems *problems)
{
	guint before = problems_count(problems, PROBLEM_ERROR);

	gboolean strings = FALSE;

	strategies_free(aggregate_new(cfg, reg, problems, NULL));
	for (size_t v = 0; v < cfg->n_virtuals; v++) {
		strings = strings || cfg->virtuals[v].series;
		strategies_free(virtual_new(cfg, v, reg, problems, NULL));
	}
	/* seriesMergePolicies name policies even before there is a string. */
	if (!strings && cfg->n_series_merge_policies) {
		static const ConfigVirtual none = {
		        .name = (char *)"", .n_members = 1, .series = true};

		strategies_free(series_new(cfg, &none, reg, problems, NULL));
	}
	check_options(reg, cfg, create, problems, NULL);
	return problems_count(problems, PROBLEM_ERROR) - before;
}

const EngineSetup *strategies_setup(Strategies *st)
{
	return &st->setup;
}

void strategies_bind(Strategies *st, const Engine *e, HostWakeFn wake, void *user_data)
{
	instances_set_engine(&st->made, e, wake, user_data);
}

Engine *strategies_engine(Strategies *st, HostWakeFn wake, void *user_data)
{
	Engine *e = engine_new(&st->setup);

	strategies_bind(st, e, wake, user_data);
	for (guint i = 0; i < st->hooks->len; i++) {
		const Hook *h = &g_array_index(st->hooks, Hook, i);

		inputs_add_hook(e, h->rank, h->table, h->state);
	}
	return e;
}

void strategies_free(Strategies *st)
{
	if (!st)
		return;
	instances_clear(&st->made);
	g_array_free(st->used, TRUE);
	g_array_free(st->limiters, TRUE);
	g_array_free(st->hooks, TRUE);
	g_free(st);
}
