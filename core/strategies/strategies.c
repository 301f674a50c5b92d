/* SPDX-License-Identifier: MIT */
/*
 * Strategies: what a config's strategy names become.  Each (kind, name) a
 * published service uses is one instance, created once with its options
 * and its own host (whose logger prefixes the strategy's name), and
 * destroyed in reverse order.  The core calls them by what their tables
 * offer; the only names it knows are the config's and the defaults table's.
 */
#include "base/kind.h"
#include "strategies/strategies.h"

#include <stdarg.h>
#include <string.h>

#include "config/defaults.h"
#include "base/log.h"
#include "base/suggest.h"

/* One instance and what it was made of. */
typedef struct {
	StrategyUse use;
	char *id;         /* its name, or a hook's id with its #suffix */
	BataggHost *host; /* owned, valid until its destroy() */
} Instance;

struct Strategies {
	EngineSetup setup;
	const Config *cfg;
	Registry *reg;
	Problems *problems; /* strategies_report(): every failure goes here */
	GArray *instances;  /* Instance, in creation order */
	GArray *used;       /* StrategyUse of the aggregate's instances */
	GArray *hooks;      /* Hook */
};

typedef struct {
	int rank;
	const BataggHook *table;
	void *state;
} Hook;

/* "FILE:LINE:COL: " for a position in the config, or "FILE: ". */
static char *where(const Config *cfg, ConfigPos at)
{
	if (at.line > 0)
		return g_strdup_printf("%s:%d:%d: ", cfg->origin, at.line, at.col);
	return cfg->origin[0] ? g_strdup_printf("%s: ", cfg->origin) : g_strdup("");
}

/* The top-level key of a key path: "strategyOptions" of
 * "strategyOptions.fixed.volts". */
static char *top_key(const char *path)
{
	return path ? g_strndup(path, strcspn(path, ".")) : NULL;
}

/* A problem at `at` (0:0: none) with the key path `key` (NULL: none): to
 * the problems when reporting, and to error when it has none yet. */
static void fail(Strategies *st, GError **error, int code, ConfigPos at, const char *key,
                 const char *fmt, ...) G_GNUC_PRINTF(6, 7);
static void fail(Strategies *st, GError **error, int code, ConfigPos at, const char *key,
                 const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;
	g_autofree char *text = NULL;
	g_autofree char *top = top_key(key);

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	text = key ? g_strdup_printf("key '%s': %s", key, msg) : g_strdup(msg);
	if (st->problems)
		problems_add(st->problems, PROBLEM_ERROR, at.line, at.col, top, "%s", text);
	if (error && !*error) {
		g_autofree char *w = where(st->cfg, at);

		g_set_error(error, BATAGG_PLUGIN_ERROR, code, "%s%s", w, text);
	}
}

/* The options for create(), borrowed from o (NULL: none). */
static BataggOption *options_for(const ConfigOptions *o, size_t *n)
{
	BataggOption *opts = g_new0(BataggOption, o ? o->n_options + 1 : 1);

	*n = o ? o->n_options : 0;
	for (size_t i = 0; i < *n; i++)
		opts[i] = (BataggOption){o->options[i].key, o->options[i].type,
		                         o->options[i].number, o->options[i].text};
	return opts;
}

/* Why create() refused, at the option it names or at the options. */
static void refused(Strategies *st, const BataggStrategy *t, const ConfigOptions *o,
                    ConfigPos named_at, const char *named_by, const BataggError *err,
                    GError **error)
{
	const ConfigOption *opt = o && err->option >= 0 && (size_t)err->option < o->n_options
	                                  ? &o->options[err->option]
	                                  : NULL;
	ConfigPos at = opt ? opt->at : o ? o->at : named_at;
	const char *key = opt ? opt->where : o ? o->where : named_by;

	fail(st, error, BATAGG_PLUGIN_ERROR_INVALID, at, key, "%s '%s': %s", kind_name(t->kind),
	     t->name, err->message[0] ? err->message : "refused (no reason given)");
}

/* The instance of table t under id (its name, or a hook's id), created with
 * the options o at first use.  named_at/named_by say where the config asked
 * for it, for messages. */
static void *instance(Strategies *st, const BataggStrategy *t, const char *id,
                      const ConfigOptions *o, ConfigPos named_at, const char *named_by,
                      GError **error)
{
	Instance in = {.use.table = t};
	BataggError err = {.option = -1};
	g_autofree BataggOption *opts = NULL;
	size_t n;

	for (guint i = 0; i < st->instances->len; i++) {
		Instance *have = &g_array_index(st->instances, Instance, i);

		if (have->use.table == t && strcmp(have->id, id) == 0)
			return have->use.state;
	}
	if (!t->create && o && o->n_options) {
		fail(st, error, BATAGG_PLUGIN_ERROR_INVALID, o->options[0].at, o->options[0].where,
		     "%s '%s' takes no options", kind_name(t->kind), t->name);
		return NULL;
	}
	in.id = g_strdup(id);
	if (t->create) {
		in.host = log_host_new(id);
		opts = options_for(o, &n);
		in.use.state = t->create(in.host, opts, n, &err);
		if (!in.use.state) {
			err.message[sizeof(err.message) - 1] = '\0';
			refused(st, t, o, named_at, named_by, &err, error);
			log_host_free(in.host);
			g_free(in.id);
			return NULL;
		}
	}
	g_array_append_val(st->instances, in);
	/* The state is the plugin's, not err's (cppcheck cannot know). */
	/* cppcheck-suppress returnDanglingLifetime */
	return in.use.state;
}

static const BataggStrategy *find(Strategies *st, BataggKind kind, const char *name, ConfigPos at,
                                  const char *key, GError **error)
{
	g_autoptr(GError) unknown = NULL;
	const BataggStrategy *t = registry_lookup(st->reg, kind, name, &unknown);
	g_autofree char *why = NULL;

	if (t)
		return t;
	/* A name the user wrote is named with its key; a default only by
	 * itself. */
	if (at.line > 0) {
		why = registry_unknown(st->reg, kind, kind == BATAGG_KIND_HOOK ? "hook" : "value",
		                       name);
		fail(st, error, BATAGG_PLUGIN_ERROR_UNKNOWN_NAME, at, key, "%s", why);
	} else {
		fail(st, error, BATAGG_PLUGIN_ERROR_UNKNOWN_NAME, at, NULL, "%s", unknown->message);
	}
	return NULL;
}

/* Looks up and creates a strategy by name, with its strategyOptions. */
static const BataggStrategy *use(Strategies *st, BataggKind kind, const char *name, ConfigPos at,
                                 const char *key, void **state, GError **error)
{
	const BataggStrategy *t = find(st, kind, name, at, key, error);

	if (!t)
		return NULL;
	*state = instance(st, t, name, config_strategy_options(st->cfg, name), at, key, error);
	if (t->create && !*state)
		return NULL;
	return t;
}

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
		t = use(st, BATAGG_KIND_MERGE, name, at, key, &s->policy_state[p], error);
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
	const Config *cfg = st->cfg;
	const char *name = cfg->current_ratio_method;
	ConfigPos at = cfg->current_ratio_method_at;
	const char *key = "currentRatioMethod";

	while (name && chain->n < RATIO_CHAIN_MAX) {
		const BataggRatioMethod *m;
		void *state = NULL;
		gboolean seen = FALSE;

		m = (const BataggRatioMethod *)use(st, BATAGG_KIND_RATIO, name, at, key, &state,
		                                   error);
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
	const BataggStrategy *t = registry_find(st->reg, BATAGG_KIND_RATIO, defaults.estimator);

	if (!t)
		return TRUE;
	st->setup.estimator = (const BataggRatioMethod *)t;
	st->setup.estimator_state =
	        instance(st, t, t->name, config_strategy_options(st->cfg, t->name), nowhere,
	                 defaults.options_key.key, error);
	return st->setup.estimator_state || !t->create;
}

/* The aggregate's distinct instances, for member events and samples. */
static void collect_used(Strategies *st)
{
	for (guint i = 0; i < st->instances->len; i++)
		g_array_append_val(st->used, g_array_index(st->instances, Instance, i).use);
	st->setup.used = (const StrategyUse *)(void *)st->used->data;
	st->setup.n_used = st->used->len;
}

static Strategies *strategies_alloc(const Config *cfg, Registry *reg)
{
	Strategies *st = g_new0(Strategies, 1);

	st->cfg = cfg;
	st->reg = reg;
	st->instances = g_array_new(FALSE, FALSE, sizeof(Instance));
	st->used = g_array_new(FALSE, FALSE, sizeof(StrategyUse));
	st->hooks = g_array_new(FALSE, FALSE, sizeof(Hook));
	return st;
}

static gboolean setup_precedence(Strategies *st, GError **error)
{
	static const ConfigPos nowhere;

	st->setup.first =
	        (const BataggMergePolicy *)use(st, BATAGG_KIND_MERGE, defaults.precedence, nowhere,
	                                       "primaryServices", &st->setup.first_state, error);
	return st->setup.first != NULL;
}

static Strategies *aggregate_new(const Config *cfg, Registry *reg, Problems *problems,
                                 GError **error)
{
	Strategies *st = strategies_alloc(cfg, reg);
	EngineSetup *s = &st->setup;
	gboolean ok;

	st->problems = problems;
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
	s->cvl = (const BataggCvlMode *)use(st, BATAGG_KIND_CVL, cfg->cvl_mode, cfg->cvl_mode_at,
	                                    "cvlMode", &s->cvl_state, error);
	if (!ok || !s->cvl) {
		strategies_free(st);
		return NULL;
	}
	collect_used(st);
	return st;
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
	const BataggStrategy *t =
	        find(st, BATAGG_KIND_HOOK, name, member->at, "virtualBatteries", error);
	Hook h = {.rank = rank};

	if (!t)
		return FALSE;
	h.table = (const BataggHook *)t;
	h.state = instance(st, t, id, config_hook_options(st->cfg, id), member->at,
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
	Strategies *st = strategies_alloc(cfg, reg);
	EngineSetup *s = &st->setup;

	st->problems = problems;
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
	st = strategies_alloc(cfg, reg);
	st->problems = problems;
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
		Strategies *st;
		gboolean ok;

		if (t->kind == BATAGG_KIND_HOOK)
			continue;
		names[n++] = t->name;
		if (strcmp(t->name, o->name) != 0)
			continue;
		known = TRUE;
		if (!create)
			continue;
		st = strategies_alloc(cfg, reg);
		st->problems = problems;
		ok = instance(st, t, t->name, o, o->at, o->where, error) || !t->create;
		strategies_free(st);
		if (!ok)
			return FALSE;
	}
	if (!known) {
		Strategies *st = strategies_alloc(cfg, reg);

		st->problems = problems;
		near = suggest(o->name, names, n);
		fail(st, error, BATAGG_PLUGIN_ERROR_UNKNOWN_NAME, o->at, o->where,
		     "no strategy is named \"%s\"%s%s%s", o->name, near ? " (did you mean \"" : "",
		     near ? near : "", near ? "\"?)" : "");
		strategies_free(st);
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

Engine *strategies_engine(Strategies *st, EnginePublishFn publish, void *user_data)
{
	Engine *e = engine_new(&st->setup, publish, user_data);

	for (guint i = 0; i < st->hooks->len; i++) {
		const Hook *h = &g_array_index(st->hooks, Hook, i);

		engine_add_hook(e, h->rank, h->table, h->state);
	}
	return e;
}

void strategies_free(Strategies *st)
{
	if (!st)
		return;
	for (guint i = st->instances->len; i-- > 0;) {
		Instance *in = &g_array_index(st->instances, Instance, i);

		if (in->use.table->destroy && in->use.state)
			in->use.table->destroy(in->use.state);
		log_host_free(in->host);
		g_free(in->id);
	}
	g_array_free(st->instances, TRUE);
	g_array_free(st->used, TRUE);
	g_array_free(st->hooks, TRUE);
	g_free(st);
}
