/* SPDX-License-Identifier: MIT */
/*
 * Strategies: the instances of the plugins a config names, made into an
 * EngineSetup (merge policy per path, the ratio chain, the estimator, the
 * CVL mode), and the hooks of virtual batteries.  It owns every state it
 * creates and destroys them in reverse order.
 */
#include "strategies.h"

#include <string.h>

#include "log.h"
#include "paths.h"

typedef struct {
	void (*destroy)(void *state);
	void *state;
} Owned;

struct Strategies {
	EngineSetup setup;
	GArray *owned; /* Owned: states to destroy */
	GArray *hooks; /* StrategyHook */
};

typedef void *(*CreateFn)(const BataggHost *host, const BataggOption *opts, size_t n_opts,
                          char *err, size_t err_len);

/* Creates one strategy's state; FALSE with error set when create() fails. */
static gboolean create_state(Strategies *st, const char *kind, const char *name, CreateFn create,
                             void (*destroy)(void *), const BataggOption *opts, size_t n_opts,
                             void **state, GError **error)
{
	char err[256] = "";

	*state = NULL;
	if (!create)
		return TRUE;
	*state = create(log_plugin_host(), opts, n_opts, err, sizeof(err));
	if (!*state) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_INVALID,
		            "%s '%s' could not start: %s", kind, name,
		            err[0] ? err : "no reason given");
		return FALSE;
	}
	if (destroy) {
		Owned o = {destroy, *state};

		g_array_append_val(st->owned, o);
	}
	return TRUE;
}

static const BataggMergePolicy *merge_policy(Strategies *st, Registry *reg, const char *name,
                                             void **state, GError **error)
{
	const BataggMergePolicy *p = registry_lookup(reg, REGISTRY_MERGE, name, error);

	if (!p ||
	    !create_state(st, "merge policy", name, p->create, p->destroy, NULL, 0, state, error))
		return NULL;
	return p;
}

static const char *policy_name(const Config *cfg, int p)
{
	for (size_t i = 0; i < cfg->n_merge_policies; i++) {
		if (strcmp(cfg->merge_policies[i].path, battery_paths[p].path) == 0)
			return cfg->merge_policies[i].policy;
	}
	return battery_paths[p].policy;
}

static gboolean check_policy_paths(const Config *cfg, GError **error)
{
	for (size_t i = 0; i < cfg->n_merge_policies; i++) {
		int p = paths_find(cfg->merge_policies[i].path);

		if (p < 0 || p >= N_BATTERY_PATHS || !battery_paths[p].policy) {
			g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_UNKNOWN_NAME,
			            "mergePolicies: '%s' is not a path merged by a policy (the "
			            "limits have rules of their own)",
			            cfg->merge_policies[i].path);
			return FALSE;
		}
	}
	return TRUE;
}

static void chain_add(RatioChain *chain, const BataggRatioMethod *m, void *state)
{
	for (size_t i = 0; i < chain->n; i++) {
		if (chain->method[i] == m)
			return;
	}
	chain->method[chain->n] = m;
	chain->state[chain->n++] = state;
}

/* The configured method first, then the built-in fallbacks of SPEC 5.4. */
static gboolean setup_ratios(Strategies *st, const Config *cfg, Registry *reg, GError **error)
{
	EngineSetup *s = &st->setup;
	g_autofree char *mpe = g_strdup_printf("%.17g", cfg->ir_max_percentage_error);
	g_autofree char *mvc = g_strdup_printf("%.17g", cfg->ir_min_voltage_change);
	const BataggOption ir_opts[] = {{"maxPercentageError", mpe}, {"minVoltageChange", mvc}};
	const BataggRatioMethod *ir = registry_find(reg, REGISTRY_RATIO, "ir");
	const BataggRatioMethod *m;
	void *state = NULL;
	static const char *const fallbacks[] = {"capacity", "count"};

	m = registry_lookup(reg, REGISTRY_RATIO, cfg->current_ratio_method, error);
	if (!m)
		return FALSE;
	if (ir && !create_state(st, "current ratio method", "ir", ir->create, ir->destroy, ir_opts,
	                        G_N_ELEMENTS(ir_opts), &s->estimator_state, error))
		return FALSE;
	s->estimator = ir;
	if (m == ir) {
		state = s->estimator_state;
	} else if (!create_state(st, "current ratio method", m->name, m->create, m->destroy, NULL,
	                         0, &state, error)) {
		return FALSE;
	}
	s->configured = m;
	s->configured_state = state;
	chain_add(&s->ratios, m, state);
	for (size_t i = 0; i < G_N_ELEMENTS(fallbacks); i++) {
		const BataggRatioMethod *f = registry_find(reg, REGISTRY_RATIO, fallbacks[i]);
		gboolean seen = FALSE;

		for (size_t k = 0; k < s->ratios.n; k++)
			seen = seen || s->ratios.method[k] == f;
		if (!f || seen)
			continue;
		if (!create_state(st, "current ratio method", f->name, f->create, f->destroy, NULL,
		                  0, &state, error))
			return FALSE;
		chain_add(&s->ratios, f, state);
	}
	return TRUE;
}

Strategies *strategies_new(const Config *cfg, Registry *reg, GError **error)
{
	Strategies *st = g_new0(Strategies, 1);
	EngineSetup *s = &st->setup;
	const BataggCvlMode *cvl;

	st->owned = g_array_new(FALSE, FALSE, sizeof(Owned));
	st->hooks = g_array_new(FALSE, FALSE, sizeof(StrategyHook));
	s->ccl_mode = cfg->ccl_mode;
	s->has_capacity = cfg->has_capacity;
	s->capacity = cfg->capacity;
	if (!check_policy_paths(cfg, error))
		goto fail;
	for (int p = 0; p < N_BATTERY_PATHS; p++) {
		const char *name = policy_name(cfg, p);

		if (!name)
			continue;
		s->policy[p] = merge_policy(st, reg, name, &s->policy_state[p], error);
		if (!s->policy[p])
			goto fail;
	}
	s->first = merge_policy(st, reg, "first", &s->first_state, error);
	if (!s->first || !setup_ratios(st, cfg, reg, error))
		goto fail;
	cvl = registry_lookup(reg, REGISTRY_CVL, cfg->cvl_mode, error);
	if (!cvl || !create_state(st, "CVL mode", cvl->name, cvl->create, cvl->destroy, NULL, 0,
	                          &s->cvl_state, error))
		goto fail;
	s->cvl = cvl;
	return st;
fail:
	strategies_free(st);
	return NULL;
}

/* "class:hooks.FixedValueHook#soc": the hook named by the part before '#',
 * with the options of "hooks.FixedValueHook#soc" in "classes". */
static const BataggMergePolicy *add_hook(Strategies *st, Registry *reg, const Config *cfg,
                                         const char *member, void **state, GError **error)
{
	const char *id = member + strlen("class:");
	g_autofree char *class_name = g_strndup(id, strcspn(id, "#"));
	g_autoptr(GArray) opts = g_array_new(FALSE, FALSE, sizeof(BataggOption));
	const BataggMergePolicy *hook = registry_lookup(reg, REGISTRY_MERGE, class_name, error);

	if (!hook)
		return NULL;
	if (!hook->provides) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_INVALID,
		            "'%s' is a merge policy, not a hook", class_name);
		return NULL;
	}
	for (size_t i = 0; i < cfg->n_classes; i++) {
		if (strcmp(cfg->classes[i].id, id) != 0)
			continue;
		for (size_t k = 0; k < cfg->classes[i].n_options; k++) {
			BataggOption o = {cfg->classes[i].options[k].key,
			                  cfg->classes[i].options[k].value};

			g_array_append_val(opts, o);
		}
	}
	if (!create_state(st, "hook", id, hook->create, hook->destroy,
	                  (const BataggOption *)opts->data, opts->len, state, error))
		return NULL;
	return hook;
}

Strategies *strategies_new_virtual(const Config *cfg, size_t index, Registry *reg, GError **error)
{
	const ConfigVirtual *vb = &cfg->virtuals[index];
	Strategies *st = g_new0(Strategies, 1);

	st->owned = g_array_new(FALSE, FALSE, sizeof(Owned));
	st->hooks = g_array_new(FALSE, FALSE, sizeof(StrategyHook));
	st->setup.precedence_only = TRUE;
	st->setup.first = merge_policy(st, reg, "first", &st->setup.first_state, error);
	if (!st->setup.first)
		goto fail;
	for (size_t m = 0; m < vb->n_members; m++) {
		StrategyHook h = {.rank = (int)m};

		if (!g_str_has_prefix(vb->members[m].name, "class:"))
			continue;
		h.policy = add_hook(st, reg, cfg, vb->members[m].name, &h.state, error);
		if (!h.policy) {
			g_prefix_error(error, "virtual battery %s: ", vb->name);
			goto fail;
		}
		g_array_append_val(st->hooks, h);
	}
	return st;
fail:
	strategies_free(st);
	return NULL;
}

gboolean strategies_check_virtuals(Registry *reg, const Config *cfg, GError **error)
{
	for (size_t v = 0; v < cfg->n_virtuals; v++) {
		Strategies *st = strategies_new_virtual(cfg, v, reg, error);

		if (!st)
			return FALSE;
		strategies_free(st);
	}
	return TRUE;
}

const EngineSetup *strategies_setup(Strategies *st)
{
	return &st->setup;
}

const StrategyHook *strategies_hooks(Strategies *st, size_t *n)
{
	*n = st->hooks->len;
	return (const StrategyHook *)(void *)st->hooks->data;
}

Engine *strategies_engine(Strategies *st, EnginePublishFn publish, void *user_data)
{
	Engine *e = engine_new(&st->setup, publish, user_data);

	for (guint i = 0; i < st->hooks->len; i++) {
		const StrategyHook *h = &g_array_index(st->hooks, StrategyHook, i);

		engine_add_hook(e, h->rank, h->policy, h->state);
	}
	return e;
}

void strategies_free(Strategies *st)
{
	if (!st)
		return;
	for (guint i = st->owned->len; i-- > 0;) {
		Owned *o = &g_array_index(st->owned, Owned, i);

		o->destroy(o->state);
	}
	g_array_free(st->owned, TRUE);
	g_array_free(st->hooks, TRUE);
	g_free(st);
}
