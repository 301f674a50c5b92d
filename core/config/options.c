/* SPDX-License-Identifier: MIT */
/*
 * The options of strategies and hooks: "classes" (hooks by id),
 * "strategyOptions" (strategies by name), and the key of earlier configs
 * that holds a strategy's options (defaults.options_key).  The strategies
 * check the options themselves.
 */
#include "config/options.h"

#include <math.h>
#include <string.h>

#include "batagg/plugin.h"
#include "config/defaults.h"
#include "config/values.h"

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
		ConfigOption o = {.at = check_pos(item->at)};

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

/* The options object n of a strategy or hook, named name; where is its key
 * path for messages ("strategyOptions.ir"). */
static void read_options(Check *c, const JNode *n, const char *name, JPos at, const char *where,
                         ConfigOptions *out)
{
	GArray *opts = g_array_new(FALSE, TRUE, sizeof(ConfigOption));

	*out = (ConfigOptions){
	        .name = g_strdup(name), .where = g_strdup(where), .at = check_pos(at)};
	flatten(c, n, NULL, where, opts);
	out->n_options = opts->len;
	out->options = (ConfigOption *)(void *)g_array_free(opts, FALSE);
}

void options_clear(ConfigOptions *o)
{
	for (size_t k = 0; k < o->n_options; k++) {
		g_free(o->options[k].key);
		g_free(o->options[k].text);
		g_free(o->options[k].where);
	}
	g_free(o->options);
	g_free(o->name);
	g_free(o->where);
	*o = (ConfigOptions){0};
}

const ConfigOptions *options_find(const ConfigOptions *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(list[i].name, name) == 0)
			return &list[i];
	}
	return NULL;
}

/* Options of named things: "classes" (hooks by id) and "strategyOptions"
 * (strategies by name).  The strategies check them. */
static ConfigOptions *options_of(Check *c, const char *key, const JNode *n, size_t *count)
{
	GArray *out = g_array_new(FALSE, TRUE, sizeof(ConfigOptions));

	for (guint i = 0; i < n->items->len; i++) {
		const JNode *item = n->items->pdata[i];
		const char *name = n->keys->pdata[i];
		g_autofree char *where = g_strdup_printf("%s.%s", key, name);
		ConfigOptions o;

		if (!values_type(c, item, J_OBJECT, where))
			continue;
		read_options(c, item, name, g_array_index(n->key_at, JPos, i), where, &o);
		g_array_append_val(out, o);
	}
	*count = out->len;
	return (ConfigOptions *)(void *)g_array_free(out, FALSE);
}

void options_classes(Check *c, const char *key, const JNode *n)
{
	if (values_type(c, n, J_OBJECT, key))
		c->cfg->classes = options_of(c, key, n, &c->cfg->n_classes);
}

/* The options of a strategy, from strategyOptions or from the key earlier
 * configs had for them (defaults.options_key). */
static void add_strategy_options(Check *c, ConfigOptions *o)
{
	Config *cfg = c->cfg;

	if (options_find(cfg->strategy_options, cfg->n_strategy_options, o->name)) {
		check_error(c, (JPos){o->at.line, o->at.col},
		            "key '%s': options of '%s' are given twice (in \"%s\" and in "
		            "\"strategyOptions\"); keep one",
		            c->key, o->name, defaults.options_key.key);
		return;
	}
	cfg->strategy_options =
	        g_renew(ConfigOptions, cfg->strategy_options, cfg->n_strategy_options + 1);
	cfg->strategy_options[cfg->n_strategy_options++] = *o;
	*o = (ConfigOptions){0};
}

void options_strategies(Check *c, const char *key, const JNode *n)
{
	g_autofree ConfigOptions *list = NULL;
	size_t count = 0;

	if (!values_type(c, n, J_OBJECT, key))
		return;
	list = options_of(c, key, n, &count);
	for (size_t i = 0; i < count; i++) {
		add_strategy_options(c, &list[i]);
		options_clear(&list[i]);
	}
}

void options_legacy(Check *c, const char *key, const JNode *n)
{
	ConfigOptions o;

	if (!values_type(c, n, J_OBJECT, key))
		return;
	read_options(c, n, defaults.options_key.strategy, n->at, key, &o);
	add_strategy_options(c, &o);

	options_clear(&o);
}
