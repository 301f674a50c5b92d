/* SPDX-License-Identifier: MIT */
/*
 * The checks of the config's values: types, numbers, enums, names and
 * lists of services, each problem at the line and column where the value
 * starts.
 */
#include "config/values.h"

#include <math.h>
#include <string.h>

#include "base/names.h"
#include "base/paths.h"
#include "base/suggest.h"

gboolean values_type(Check *c, const JNode *n, JType t, const char *key)
{
	if (n->type == t)
		return TRUE;
	check_error(c, n->at, "key '%s': expected %s, got %s", key, json_type_name(t),
	            json_type_name(n->type));
	return FALSE;
}

gboolean values_number(Check *c, const JNode *n, const char *key, double *out)
{
	double x;

	if (!values_type(c, n, J_NUMBER, key))
		return FALSE;
	x = g_ascii_strtod(n->text, NULL);
	if (!isfinite(x)) {
		check_error(c, n->at, "key '%s': %s is too large a number", key, n->text);
		return FALSE;
	}
	*out = x;
	return TRUE;
}

gboolean values_integer(Check *c, const JNode *n, const char *key, int min, int *out)
{
	char *end;
	gint64 v;

	if (!values_type(c, n, J_NUMBER, key))
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

gboolean values_one_of(Check *c, const JNode *n, const char *key, const char *const *allowed,
                       int *index)
{
	g_autofree char *list = NULL;
	const char *near;

	if (!values_type(c, n, J_STRING, key))
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

gboolean values_strategy_name(Check *c, const JNode *n, const char *key, char **out, ConfigPos *at)
{
	if (!values_type(c, n, J_STRING, key))
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
	*at = check_pos(n->at);
	return TRUE;
}

gboolean values_service_name(Check *c, JPos at, const char *name, const char *key)
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
static gboolean hook_id(Check *c, JPos at, const char *id, const char *key)
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

gboolean values_battery_name(Check *c, JPos at, const char *name, const char *key, gboolean hooks)
{
	if (g_str_has_prefix(name, "name:") && name[5])
		return TRUE;
	if (hooks && g_str_has_prefix(name, "class:"))
		return hook_id(c, at, name, key);
	if (g_str_has_prefix(name, NAMES_BATTERY_PREFIX))
		return values_service_name(c, at, name, key);
	check_error(c, at,
	            "key '%s': \"%s\" is not a battery service (" NAMES_BATTERY_PREFIX "…) or "
	            "\"name:<custom name>\"%s",
	            key, name, hooks ? " or a hook \"class:…\"" : "");
	return FALSE;
}

gboolean values_match_name(Check *c, JPos at, const char *name, const char *key, gboolean hooks,
                           gboolean any)
{
	g_autofree char *why = NULL;

	if (g_str_has_prefix(name, "name:") && name[5])
		return TRUE;
	if (hooks && g_str_has_prefix(name, "class:"))
		return hook_id(c, at, name, key);
	if (strcmp(name, "name:") == 0 || (!any && !g_str_has_prefix(name, NAMES_BATTERY_PREFIX)))
		return values_battery_name(c, at, name, key, hooks);
	why = names_battery_service_problem(name);
	if (why)
		check_warning(c, at, "key '%s': \"%s\" can never match a service: %s", key, name,
		              why);
	return TRUE;
}

gboolean values_merged_path(Check *c, JPos at, const char *key, const char *path)
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

char **values_string_list(Check *c, const JNode *n, const char *key, gboolean paths)
{
	GPtrArray *out = g_ptr_array_new();

	for (guint i = 0; i < n->items->len; i++) {
		const JNode *item = n->items->pdata[i];

		if (!values_type(c, item, J_STRING, key))
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
			values_merged_path(c, item->at, key, item->text);
		g_ptr_array_add(out, g_strdup(item->text));
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

ConfigService *values_services(Check *c, const JNode *n, const char *key, gboolean hooks,
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
		ConfigService s = {.at = check_pos(at)};

		if (!object && !values_type(c, item, J_STRING, key))
			continue;
		if (!values_match_name(c, at, name, key, hooks, !modules))
			continue;
		if (object && !values_type(c, item, J_ARRAY, key))
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
		s.paths = object ? values_string_list(c, item, key, TRUE) : NULL;
		g_array_append_val(out, s);
		g_hash_table_add(listed, s.name);
	}
	*count = out->len;
	return (ConfigService *)(void *)g_array_free(out, FALSE);
}

gboolean values_in_services(const ConfigService *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(list[i].name, name) == 0)
			return TRUE;
	}
	return FALSE;
}
