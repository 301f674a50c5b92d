/* SPDX-License-Identifier: MIT */
/*
 * The checks of the config's values: types, numbers, enums, names and
 * strategy options, each problem at the line and column where the value
 * starts.
 */
#include "config/config_internal.h"

#include <math.h>
#include <string.h>

#include "batagg/plugin.h"
#include "base/names.h"
#include "base/paths.h"
#include "base/suggest.h"

static void add(Check *c, ProblemLevel level, JPos at, const char *fmt, va_list ap)
{
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);

	problems_add(c->problems, level, at.line, at.col, c->key, "%s", msg);
}

void check_error(Check *c, JPos at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add(c, PROBLEM_ERROR, at, fmt, ap);
	va_end(ap);
}

void check_warning(Check *c, JPos at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add(c, PROBLEM_WARNING, at, fmt, ap);
	va_end(ap);
}

gboolean check_type(Check *c, const JNode *n, JType t, const char *key)
{
	if (n->type == t)
		return TRUE;
	check_error(c, n->at, "key '%s': expected %s, got %s", key, json_type_name(t),
	            json_type_name(n->type));
	return FALSE;
}

gboolean check_number(Check *c, const JNode *n, const char *key, double *out)
{
	double x;

	if (!check_type(c, n, J_NUMBER, key))
		return FALSE;
	x = g_ascii_strtod(n->text, NULL);
	if (!isfinite(x)) {
		check_error(c, n->at, "key '%s': %s is too large a number", key, n->text);
		return FALSE;
	}
	*out = x;
	return TRUE;
}

gboolean check_integer(Check *c, const JNode *n, const char *key, int min, int *out)
{
	char *end;
	gint64 v;

	if (!check_type(c, n, J_NUMBER, key))
		return FALSE;
	v = g_ascii_strtoll(n->text, &end, 10);
	if (*end || v < min || v > G_MAXINT) {
		check_error(c, n->at, "key '%s': expected a whole number >= %d, got %s", key, min,
		            n->text);
		return FALSE;
	}
	*out = (int)v;
	return TRUE;
}

gboolean check_one_of(Check *c, const JNode *n, const char *key, const char *const *allowed,
                      int *index)
{
	g_autofree char *list = NULL;
	const char *near;

	if (!check_type(c, n, J_STRING, key))
		return FALSE;
	for (int i = 0; allowed[i]; i++) {
		if (strcmp(n->text, allowed[i]) == 0) {
			*index = i;
			return TRUE;
		}
	}
	list = g_strjoinv("\", \"", (char **)allowed);
	near = suggest(n->text, allowed, -1);
	if (near)
		check_error(
		        c, n->at,
		        "key '%s': unknown value \"%s\" (did you mean \"%s\"?); allowed: \"%s\"",
		        key, n->text, near, list);
	else
		check_error(c, n->at, "key '%s': unknown value \"%s\"; allowed: \"%s\"", key,
		            n->text, list);
	return FALSE;
}

gboolean check_strategy_name(Check *c, const JNode *n, const char *key, char **out, ConfigPos *at)
{
	if (!check_type(c, n, J_STRING, key))
		return FALSE;
	for (const char *s = n->text; *s; s++) {
		if (!g_ascii_isalnum(*s) && *s != '_' && *s != '.') {
			check_error(c, n->at, "key '%s': \"%s\" is not a strategy name", key,
			            n->text);
			return FALSE;
		}
	}
	if (!n->text[0]) {
		check_error(c, n->at, "key '%s': empty name", key);
		return FALSE;
	}
	g_free(*out);
	*out = g_strdup(n->text);
	*at = config_pos(n->at);
	return TRUE;
}

gboolean check_service_name(Check *c, JPos at, const char *name, const char *key)
{
	g_autofree char *why = names_battery_service_problem(name);

	if (why)
		check_error(c, at, "key '%s': \"%s\" is not a battery service name: %s", key, name,
		            why);
	return !why;
}

/* "class:<hook>" or "class:<hook>#<suffix>": the suffix tells two hooks of a
 * kind apart, in "classes" and in messages.  It has the characters of a bus
 * name's element; unlike an element it may start with a digit ("#2"), as
 * existing configs have it. */
static gboolean check_hook_id(Check *c, JPos at, const char *id, const char *key)
{
	const char *hash = strchr(id, '#');

	for (const char *s = hash ? hash + 1 : ""; *s; s++) {
		if (!names_is_bus_name_char(*s)) {
			check_error(
			        c, at,
			        "key '%s': \"%s\": a hook's suffix (after '#') has only A-Z, a-z, "
			        "0-9, '_' and '-'",
			        key, id);
			return FALSE;
		}
	}
	return TRUE;
}

gboolean check_battery_name(Check *c, JPos at, const char *name, const char *key, gboolean hooks)
{
	if (g_str_has_prefix(name, "name:") && name[5])
		return TRUE;
	if (hooks && g_str_has_prefix(name, "class:"))
		return check_hook_id(c, at, name, key);
	if (g_str_has_prefix(name, NAMES_BATTERY_PREFIX))
		return check_service_name(c, at, name, key);
	check_error(c, at,
	            "key '%s': \"%s\" is not a battery service (" NAMES_BATTERY_PREFIX "…) or "
	            "\"name:<custom name>\"%s",
	            key, name, hooks ? " or a hook \"class:…\"" : "");
	return FALSE;
}

gboolean check_match_name(Check *c, JPos at, const char *name, const char *key, gboolean hooks,
                          gboolean any)
{
	g_autofree char *why = NULL;

	if (g_str_has_prefix(name, "name:") && name[5])
		return TRUE;
	if (hooks && g_str_has_prefix(name, "class:"))
		return check_hook_id(c, at, name, key);
	if (strcmp(name, "name:") == 0 || (!any && !g_str_has_prefix(name, NAMES_BATTERY_PREFIX)))
		return check_battery_name(c, at, name, key, hooks);
	why = names_battery_service_problem(name);
	if (why)
		check_warning(c, at, "key '%s': \"%s\" can never match a service: %s", key, name,
		              why);
	return TRUE;
}

gboolean check_merged_path(Check *c, JPos at, const char *key, const char *path)
{
	const char *names[N_BATTERY_PATHS + 1] = {NULL};
	int p = paths_find(path);
	const char *near;

	if (p >= 0 && p < N_BATTERY_PATHS)
		return TRUE;
	for (int i = 0; i < N_BATTERY_PATHS; i++)
		names[i] = battery_paths[i].path;
	near = suggest(path, names, N_BATTERY_PATHS);
	check_warning(c, at, "key '%s': batagg merges no path \"%s\"%s%s%s: ignored", key, path,
	              near ? " (did you mean \"" : "", near ? near : "", near ? "\"?)" : "");
	return FALSE;
}

char **check_string_list(Check *c, const JNode *n, const char *key, gboolean paths)
{
	GPtrArray *out = g_ptr_array_new();

	for (guint i = 0; i < n->items->len; i++) {
		const JNode *item = n->items->pdata[i];

		if (!check_type(c, item, J_STRING, key))
			continue;
		if (paths && item->text[0] != '/') {
			check_error(c, item->at,
			            "key '%s': \"%s\" is not a D-Bus path (it starts with '/')",
			            key, item->text);
			continue;
		}
		/* Kept when unknown: a list of unknown paths is still a list,
		 * not "all paths". */
		if (paths)
			check_merged_path(c, item->at, key, item->text);
		g_ptr_array_add(out, g_strdup(item->text));
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

ConfigService *check_services(Check *c, const JNode *n, const char *key, gboolean hooks,
                              gboolean modules, size_t *count)
{
	GArray *out = g_array_new(FALSE, TRUE, sizeof(ConfigService));
	g_autoptr(GHashTable) listed = g_hash_table_new(g_str_hash, g_str_equal);
	gboolean object = n->type == J_OBJECT;

	if (n->type != J_ARRAY && !object)
		check_error(c, n->at,
		            "key '%s': expected an array of service names or an object of service "
		            "name -> array of paths, got %s",
		            key, json_type_name(n->type));
	for (guint i = 0; (n->type == J_ARRAY || object) && i < n->items->len; i++) {
		const JNode *item = n->items->pdata[i];
		JPos at = object ? g_array_index(n->key_at, JPos, i) : item->at;
		const char *name = object ? n->keys->pdata[i] : item->text;
		ConfigService s = {.at = config_pos(at)};

		if (!object && !check_type(c, item, J_STRING, key))
			continue;
		if (!check_match_name(c, at, name, key, hooks, !modules))
			continue;
		if (object && !check_type(c, item, J_ARRAY, key))
			continue;
		/* Precedence goes by the first: a second entry means nothing.
		 * A string counts its modules: there, a repeat is an error. */
		if (g_hash_table_contains(listed, name)) {
			if (modules)
				check_error(c, at,
				            "key '%s': \"%s\" is listed twice: a series battery "
				            "expects each module once",
				            key, name);
			else
				check_warning(c, at,
				              "key '%s': \"%s\" is listed twice: the first counts",
				              key, name);
			continue;
		}
		s.name = g_strdup(name);
		s.paths = object ? check_string_list(c, item, key, TRUE) : NULL;
		g_array_append_val(out, s);
		g_hash_table_add(listed, s.name);
	}
	*count = out->len;
	return (ConfigService *)(void *)g_array_free(out, FALSE);
}

/* Numbers, strings and booleans, and objects of them, which flatten into
 * "outer/inner" keys in order.  Arrays and null mean nothing to a strategy:
 * an error naming the option by its key path.  The parser's depth limit
 * bounds the recursion. */
static void flatten(Check *c, const JNode *n, const char *prefix, const char *where, GArray *out)
{
	for (guint i = 0; i < n->items->len; i++) {
		const JNode *item = n->items->pdata[i];
		const char *k = n->keys->pdata[i];
		g_autofree char *key = prefix ? g_strdup_printf("%s/%s", prefix, k) : g_strdup(k);
		ConfigOption o = {.at = config_pos(item->at)};

		o.where = g_strdup_printf("%s.%s", where, k);
		switch (item->type) {
		case J_OBJECT:
			flatten(c, item, key, o.where, out);
			g_free(o.where);
			continue;
		case J_NUMBER:
			o.type = BATAGG_OPTION_NUMBER;
			o.number = g_ascii_strtod(item->text, NULL);
			o.text = g_strdup(item->text);
			/* plugin.h promises strategies finite numbers. */
			if (!isfinite(o.number)) {
				check_error(c, item->at, "key '%s': %s is too large a number",
				            o.where, item->text);
				g_free(o.where);
				g_free(o.text);
				continue;
			}
			break;
		case J_STRING:
			o.type = BATAGG_OPTION_TEXT;
			o.text = g_strdup(item->text);
			break;
		case J_BOOL:
			o.type = BATAGG_OPTION_BOOL;
			o.number = item->boolean;
			o.text = g_strdup(item->boolean ? "true" : "false");
			break;
		default:
			check_error(
			        c, item->at,
			        "key '%s': expected a number, a string, a boolean or an object, "
			        "got %s",
			        o.where, json_type_name(item->type));
			g_free(o.where);
			continue;
		}
		o.key = g_steal_pointer(&key);
		g_array_append_val(out, o);
	}
}

void check_options(Check *c, const JNode *n, const char *name, JPos at, const char *where,
                   ConfigOptions *out)
{
	GArray *opts = g_array_new(FALSE, TRUE, sizeof(ConfigOption));

	*out = (ConfigOptions){
	        .name = g_strdup(name), .where = g_strdup(where), .at = config_pos(at)};
	flatten(c, n, NULL, where, opts);
	out->n_options = opts->len;
	out->options = (ConfigOption *)(void *)g_array_free(opts, FALSE);
}
