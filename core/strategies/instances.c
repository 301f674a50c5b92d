/* SPDX-License-Identifier: MIT */
/*
 * Instances: see instances.h.  The core calls them by what their tables
 * offer; the only names it knows are the config's and the defaults
 * table's.
 */
#include "strategies/instances.h"

#include <stdarg.h>
#include <string.h>

#include "base/kind.h"
#include "base/log.h"

void instances_init(Instances *made, const Config *cfg, Registry *reg, Problems *problems)
{
	made->cfg = cfg;
	made->reg = reg;
	made->problems = problems;
	made->list = g_array_new(FALSE, FALSE, sizeof(Instance));
}

void instances_clear(Instances *made)
{
	for (guint i = made->list->len; i-- > 0;) {
		Instance *in = &g_array_index(made->list, Instance, i);

		if (in->use.table->destroy && in->use.state)
			in->use.table->destroy(in->use.state);
		host_free(in->host);
		g_free(in->id);
	}
	g_array_free(made->list, TRUE);
	made->list = NULL;
}

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
void instances_fail(Instances *made, GError **error, int code, ConfigPos at, const char *key,
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
	if (made->problems)
		problems_add(made->problems, PROBLEM_ERROR, at.line, at.col, top, "%s", text);
	if (error && !*error) {
		g_autofree char *w = where(made->cfg, at);

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
static void refused(Instances *made, const BataggStrategy *t, const ConfigOptions *o,
                    ConfigPos named_at, const char *named_by, const BataggError *err,
                    GError **error)
{
	const ConfigOption *opt = o && err->option >= 0 && (size_t)err->option < o->n_options
	                                  ? &o->options[err->option]
	                                  : NULL;
	ConfigPos at = opt ? opt->at : o ? o->at : named_at;
	const char *key = opt ? opt->where : o ? o->where : named_by;

	instances_fail(made, error, BATAGG_PLUGIN_ERROR_INVALID, at, key, "%s '%s': %s",
	               kind_name(t->kind), t->name,
	               err->message[0] ? err->message : "refused (no reason given)");
}

/* The instance of table t under id (its name, or a hook's id), created with
 * the options o at first use.  named_at/named_by say where the config asked
 * for it, for messages. */
void *instances_get(Instances *made, const BataggStrategy *t, const char *id,
                    const ConfigOptions *o, ConfigPos named_at, const char *named_by,
                    GError **error)
{
	Instance in = {.use.table = t};
	BataggError err = {.option = -1};
	g_autofree BataggOption *opts = NULL;
	size_t n;

	for (guint i = 0; i < made->list->len; i++) {
		Instance *have = &g_array_index(made->list, Instance, i);

		if (have->use.table == t && strcmp(have->id, id) == 0)
			return have->use.state;
	}
	if (!t->create && o && o->n_options) {
		instances_fail(made, error, BATAGG_PLUGIN_ERROR_INVALID, o->options[0].at,
		               o->options[0].where, "%s '%s' takes no options", kind_name(t->kind),
		               t->name);
		return NULL;
	}
	in.id = g_strdup(id);
	if (t->create) {
		in.host = host_new(id, t);
		opts = options_for(o, &n);
		in.use.state = t->create(host_public(in.host), opts, n, &err);
		if (!in.use.state) {
			err.message[sizeof(err.message) - 1] = '\0';
			refused(made, t, o, named_at, named_by, &err, error);
			host_free(in.host);
			g_free(in.id);
			return NULL;
		}
	}
	if (in.host)
		host_set_state(in.host, in.use.state);
	g_array_append_val(made->list, in);
	/* The state is the plugin's, not err's (cppcheck cannot know). */
	/* cppcheck-suppress returnDanglingLifetime */
	return in.use.state;
}

const BataggStrategy *instances_find(Instances *made, BataggKind kind, const char *name,
                                     ConfigPos at, const char *key, GError **error)
{
	g_autoptr(GError) unknown = NULL;
	const BataggStrategy *t = registry_lookup(made->reg, kind, name, &unknown);
	g_autofree char *why = NULL;

	if (t)
		return t;
	/* A name the user wrote is named with its key; a default only by
	 * itself. */
	if (at.line > 0) {
		why = registry_unknown(made->reg, kind, kind == BATAGG_KIND_HOOK ? "hook" : "value",
		                       name);
		instances_fail(made, error, BATAGG_PLUGIN_ERROR_UNKNOWN_NAME, at, key, "%s", why);
	} else {
		instances_fail(made, error, BATAGG_PLUGIN_ERROR_UNKNOWN_NAME, at, NULL, "%s",
		               unknown->message);
	}
	return NULL;
}

/* Looks up and creates a strategy by name, with its strategyOptions. */
const BataggStrategy *instances_use(Instances *made, BataggKind kind, const char *name,
                                    ConfigPos at, const char *key, void **state, GError **error)
{
	const BataggStrategy *t = instances_find(made, kind, name, at, key, error);

	if (!t)
		return NULL;
	*state = instances_get(made, t, name, config_strategy_options(made->cfg, name), at, key,
	                       error);
	if (t->create && !*state)
		return NULL;
	return t;
}

void instances_set_engine(Instances *made, const Engine *e, HostWakeFn wake, void *user_data)
{
	for (guint i = 0; i < made->list->len; i++) {
		Instance *in = &g_array_index(made->list, Instance, i);

		if (in->host)
			host_set_engine(in->host, e, wake, user_data);
	}
}
