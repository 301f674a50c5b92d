/* SPDX-License-Identifier: MIT */
/*
 * The config's keys, one table: each key's name and the check that reads
 * it into the Config; and the rules that relate keys to each other.
 */
#include "config/config_internal.h"

#include <math.h>
#include <string.h>

#include "config/defaults.h"
#include "base/log.h"
#include "base/names.h"
#include "base/suggest.h"

typedef void (*KeyCheck)(Check *c, const char *key, const JNode *n);

static void service_name(Check *c, const char *key, const JNode *n)
{
	if (check_type(c, n, J_STRING, key) && check_service_name(c, n->at, n->text, key)) {
		g_free(c->cfg->service_name);
		c->cfg->service_name = g_strdup(n->text);
	}
}

static void excluded(Check *c, const char *key, const JNode *n)
{
	if (!check_type(c, n, J_ARRAY, key))
		return;
	for (guint i = 0; i < n->items->len; i++) {
		const JNode *item = n->items->pdata[i];

		if (item->type == J_STRING)
			check_match_name(c, item->at, item->text, key, FALSE, TRUE);
	}
	g_strfreev(c->cfg->excluded);
	/* check_string_list() keeps every string, in order: these are their
	 * positions. */
	c->cfg->excluded = check_string_list(c, n, key, FALSE);
	g_array_set_size(c->excluded_at, 0);
	for (guint i = 0; i < n->items->len; i++) {
		const JNode *item = n->items->pdata[i];

		if (item->type == J_STRING)
			g_array_append_val(c->excluded_at, item->at);
	}
}

static void primary(Check *c, const char *key, const JNode *n)
{
	c->cfg->primary = check_services(c, n, key, FALSE, FALSE, &c->cfg->n_primary);
}

static void auxiliary(Check *c, const char *key, const JNode *n)
{
	c->cfg->auxiliary = check_services(c, n, key, FALSE, FALSE, &c->cfg->n_auxiliary);
}

static void capacity(Check *c, const char *key, const JNode *n)
{
	double x;

	if (n->type == J_NULL || !check_number(c, n, key, &x))
		return;
	if (x < 0 || !isfinite(x)) {
		check_error(c, n->at, "key 'capacity': must be a positive number of Ah, got %s",
		            n->text);
		return;
	}
	/* 0 means "not set", as it did for the Python daemon. */
	c->cfg->has_capacity = x > 0;
	c->cfg->capacity = x;
}

static gboolean in_services(const ConfigService *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(list[i].name, name) == 0)
			return TRUE;
	}
	return FALSE;
}

/* Virtual batteries that list each other read their own values back
 * through the bus and never let go of them: a loop (A lists B, B lists A, or
 * longer) is an error.  A depth-first walk with its own stack (a config may
 * chain any number of virtual batteries), each loop reported where it
 * closes. */
static void check_loops(Check *c, const ConfigVirtual *v, size_t n)
{
	g_autoptr(GHashTable) index = g_hash_table_new(g_str_hash, g_str_equal);
	g_autofree guint8 *state = g_new0(guint8, n); /* 0 new, 1 on the stack, 2 done */
	g_autofree size_t *next = g_new0(size_t, n);  /* the next member to follow */
	g_autofree size_t *stack = g_new(size_t, n);

	for (size_t i = n; i-- > 0;)
		g_hash_table_insert(index, v[i].name, GSIZE_TO_POINTER(i + 1));
	for (size_t root = 0; root < n; root++) {
		size_t depth = 0;

		if (state[root] || v[root].series)
			continue;
		state[root] = 1;
		stack[depth++] = root;
		while (depth) {
			size_t i = stack[depth - 1];
			size_t j;

			if (next[i] == v[i].n_members) {
				state[i] = 2;
				depth--;
				continue;
			}
			j = GPOINTER_TO_SIZE(
			        g_hash_table_lookup(index, v[i].members[next[i]++].name));
			/* Not a virtual battery, itself, or a string (check_strings()). */
			if (!j-- || j == i || v[j].series)
				continue;
			if (state[j] == 0) {
				state[j] = 1;
				stack[depth++] = j;
			} else if (state[j] == 1) {
				GString *loop = g_string_new(NULL);
				size_t k = depth;
				const JNode *at = c->virtual_at->pdata[j];

				while (stack[k - 1] != j)
					k--;
				for (; k <= depth; k++)
					g_string_append_printf(loop, "\"%s\" lists \"%s\", ",
					                       v[stack[k - 1]].name,
					                       v[k < depth ? stack[k] : j].name);
				g_string_truncate(loop, loop->len - 2);
				check_error(
				        c, at->at,
				        "key 'virtualBatteries': virtual batteries in a loop: %s "
				        "(each would read its own values back)",
				        loop->str);
				g_string_free(loop, TRUE);
			}
		}
	}
}

/* The virtual batteries and strings so far, to append to (both keys add
 * to cfg->virtuals, each entry's node to c->virtual_at). */
static GArray *virtuals_so_far(Check *c)
{
	GArray *out = g_array_new(FALSE, TRUE, sizeof(ConfigVirtual));

	g_array_append_vals(out, c->cfg->virtuals, c->cfg->n_virtuals);
	g_free(c->cfg->virtuals);
	c->cfg->virtuals = NULL;
	c->cfg->n_virtuals = 0;
	return out;
}

static void virtuals(Check *c, const char *key, const JNode *n)
{
	GArray *out;

	if (!check_type(c, n, J_OBJECT, key))
		return;
	out = virtuals_so_far(c);
	for (guint i = 0; i < n->items->len; i++) {
		const JNode *item = n->items->pdata[i];
		const char *name = n->keys->pdata[i];
		JPos at = g_array_index(n->key_at, JPos, i);
		ConfigVirtual v = {.at = config_pos(at)};

		if (!check_battery_name(c, at, name, key, FALSE))
			continue;
		if (g_str_has_prefix(name, "name:")) {
			check_error(
			        c, at,
			        "key 'virtualBatteries': a virtual battery needs a service name, "
			        "not \"%s\"",
			        name);
			continue;
		}
		v.name = g_strdup(name);
		v.members = check_services(c, item, key, TRUE, FALSE, &v.n_members);
		if (in_services(v.members, v.n_members, v.name))
			check_error(c, item->at,
			            "key 'virtualBatteries': virtual battery \"%s\" lists itself",
			            v.name);
		g_array_append_val(out, v);
		g_ptr_array_add(c->virtual_at, (gpointer)item);
	}
	c->cfg->n_virtuals = out->len;
	c->cfg->virtuals = (ConfigVirtual *)(void *)g_array_free(out, FALSE);
}

/* "seriesBatteries": string name -> its modules, from the negative end. */
static void series(Check *c, const char *key, const JNode *n)
{
	GArray *out;

	if (!check_type(c, n, J_OBJECT, key))
		return;
	out = virtuals_so_far(c);
	for (guint i = 0; i < n->items->len; i++) {
		const JNode *item = n->items->pdata[i];
		const char *name = n->keys->pdata[i];
		JPos at = g_array_index(n->key_at, JPos, i);
		ConfigVirtual v = {.at = config_pos(at), .series = true};

		if (!check_battery_name(c, at, name, key, FALSE))
			continue;
		if (g_str_has_prefix(name, "name:")) {
			check_error(c, at,
			            "key 'seriesBatteries': a series battery needs a service name, "
			            "not \"%s\"",
			            name);
			continue;
		}
		if (!check_type(c, item, J_ARRAY, key))
			continue;
		v.name = g_strdup(name);
		v.members = check_services(c, item, key, FALSE, TRUE, &v.n_members);
		if (item->items->len == 0)
			check_error(c, item->at, "key 'seriesBatteries': \"%s\" lists no modules",
			            name);
		if (in_services(v.members, v.n_members, v.name))
			check_error(c, item->at,
			            "key 'seriesBatteries': series battery \"%s\" lists itself",
			            v.name);
		g_array_append_val(out, v);
		g_ptr_array_add(c->virtual_at, (gpointer)item);
	}
	c->cfg->n_virtuals = out->len;
	c->cfg->virtuals = (ConfigVirtual *)(void *)g_array_free(out, FALSE);
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

		if (!check_type(c, item, J_OBJECT, where))
			continue;
		check_options(c, item, name, g_array_index(n->key_at, JPos, i), where, &o);
		g_array_append_val(out, o);
	}
	*count = out->len;
	return (ConfigOptions *)(void *)g_array_free(out, FALSE);
}

static void classes(Check *c, const char *key, const JNode *n)
{
	if (check_type(c, n, J_OBJECT, key))
		c->cfg->classes = options_of(c, key, n, &c->cfg->n_classes);
}

/* The options of a strategy, from strategyOptions or from the key earlier
 * configs had for them (defaults.options_key). */
static void add_strategy_options(Check *c, ConfigOptions *o)
{
	Config *cfg = c->cfg;

	if (config_strategy_options(cfg, o->name)) {
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

static void strategy_options(Check *c, const char *key, const JNode *n)
{
	g_autofree ConfigOptions *list = NULL;
	size_t count = 0;

	if (!check_type(c, n, J_OBJECT, key))
		return;
	list = options_of(c, key, n, &count);
	for (size_t i = 0; i < count; i++) {
		add_strategy_options(c, &list[i]);
		config_options_clear(&list[i]);
	}
}

static void legacy_options(Check *c, const char *key, const JNode *n)
{
	ConfigOptions o;

	if (!check_type(c, n, J_OBJECT, key))
		return;
	check_options(c, n, defaults.options_key.strategy, n->at, key, &o);
	add_strategy_options(c, &o);

	config_options_clear(&o);
}

static void ratio_method(Check *c, const char *key, const JNode *n)
{
	check_strategy_name(c, n, key, &c->cfg->current_ratio_method,
	                    &c->cfg->current_ratio_method_at);
}

static void cvl_mode(Check *c, const char *key, const JNode *n)
{
	check_strategy_name(c, n, key, &c->cfg->cvl_mode, &c->cfg->cvl_mode_at);
}

const char *const config_ccl_modes[] = {"battery+dvcc", "battery", "dvcc", NULL};

static void ccl_mode(Check *c, const char *key, const JNode *n)
{
	int index;

	if (check_one_of(c, n, key, config_ccl_modes, &index))
		c->cfg->ccl_mode = (CclMode)index;
}

static void reconnect_timeout(Check *c, const char *key, const JNode *n)
{
	check_integer(c, n, key, 0, &c->cfg->reconnect_timeout);
}

static void startup_battery_wait(Check *c, const char *key, const JNode *n)
{
	check_integer(c, n, key, 1, &c->cfg->startup_battery_wait);
}

static void publish_interval(Check *c, const char *key, const JNode *n)
{
	double x;

	if (!check_number(c, n, key, &x))
		return;
	if (x < 0 || x > CONFIG_PUBLISH_INTERVAL_MAX) {
		check_error(c, n->at, "key '%s': expected seconds from 0 to %g, got %s", key,
		            CONFIG_PUBLISH_INTERVAL_MAX, n->text);
		return;
	}
	c->cfg->publish_interval = x;
}

static gboolean expected_count(Check *c, const JNode *n, const char *key, size_t *out)
{
	int count;

	if (!check_integer(c, n, key, 1, &count))
		return FALSE;
	*out = (size_t)count;
	return TRUE;
}

/* A number (the aggregate's) or published service name -> number; the
 * names are checked with the others (check_expected()). */
static void expected(Check *c, const char *key, const JNode *n)
{
	GArray *out = g_array_new(FALSE, TRUE, sizeof(ConfigExpected));
	ConfigExpected x = {.at = config_pos(n->at)};

	if (n->type == J_NUMBER) {
		if (expected_count(c, n, key, &x.count))
			g_array_append_val(out, x);
	} else if (check_type(c, n, J_OBJECT, key)) {
		for (guint i = 0; i < n->items->len; i++) {
			x = (ConfigExpected){.at = config_pos(g_array_index(n->key_at, JPos, i))};
			if (!expected_count(c, n->items->pdata[i], key, &x.count))
				continue;
			x.name = g_strdup(n->keys->pdata[i]);
			g_array_append_val(out, x);
		}
	}
	c->cfg->n_expected = out->len;
	c->cfg->expected = (ConfigExpected *)(void *)g_array_free(out, FALSE);
}

static void properties_changed(Check *c, const char *key, const JNode *n)
{
	if (check_type(c, n, J_BOOL, key))
		c->cfg->properties_changed = n->boolean;
}

static void log_level(Check *c, const char *key, const JNode *n)
{
	const char *const *levels = log_level_names();
	int index;

	if (check_one_of(c, n, key, levels, &index)) {
		g_free(c->cfg->log_level);
		c->cfg->log_level = g_strdup(levels[index]);
	}
}

static void plugin_directory(Check *c, const char *key, const JNode *n)
{
	if (!check_type(c, n, J_STRING, key))
		return;
	if (!g_path_is_absolute(n->text)) {
		check_error(c, n->at, "key 'pluginDirectory': \"%s\" is not an absolute path",
		            n->text);
		return;
	}
	g_free(c->cfg->plugin_directory);
	c->cfg->plugin_directory = g_strdup(n->text);
}

/* An absolute path, or false: no state file. */
static void state_file(Check *c, const char *key, const JNode *n)
{
	if (n->type == J_BOOL && !n->boolean) {
		g_clear_pointer(&c->cfg->state_file, g_free);
		c->cfg->state_file_off = true;
		return;
	}
	if (n->type != J_STRING) {
		check_error(
		        c, n->at,
		        "key '%s': expected an absolute path, or false for no state file, got %s",
		        key, n->type == J_BOOL ? "true" : json_type_name(n->type));
		return;
	}
	if (!g_path_is_absolute(n->text)) {
		check_error(c, n->at, "key '%s': \"%s\" is not an absolute path", key, n->text);
		return;
	}
	if (g_str_has_suffix(n->text, "/")) {
		check_error(c, n->at, "key '%s': \"%s\" names a directory, not a file", key,
		            n->text);
		return;
	}
	g_free(c->cfg->state_file);
	c->cfg->state_file = g_strdup(n->text);
	c->cfg->state_file_off = false;
}

/* path -> merge policy name, for the paths table names a policy for. */
static ConfigMergePolicy *policies(Check *c, const char *key, const JNode *n,
                                   const char *const *table, size_t *count)
{
	GArray *out;

	*count = 0;
	if (!check_type(c, n, J_OBJECT, key))
		return NULL;
	out = g_array_new(FALSE, TRUE, sizeof(ConfigMergePolicy));
	for (guint i = 0; i < n->items->len; i++) {
		const char *path = n->keys->pdata[i];
		int p = paths_find(path);
		ConfigMergePolicy mp = {0};

		if (path[0] != '/') {
			check_error(c, g_array_index(n->key_at, JPos, i),
			            "key '%s': \"%s\" is not a D-Bus path", key, path);
			continue;
		}
		if (p < 0 || p >= N_BATTERY_PATHS) {
			check_merged_path(c, g_array_index(n->key_at, JPos, i), key, path);
			continue;
		}
		if (!table[p]) {
			check_warning(c, g_array_index(n->key_at, JPos, i),
			              "key '%s': \"%s\" is not merged by a policy (the limits have "
			              "rules of their own): ignored",
			              key, path);
			continue;
		}
		if (!check_strategy_name(c, n->items->pdata[i], key, &mp.policy, &mp.at))
			continue;
		mp.path = g_strdup(path);
		g_array_append_val(out, mp);
	}
	*count = out->len;
	return (ConfigMergePolicy *)(void *)g_array_free(out, FALSE);
}

static void merge_policies(Check *c, const char *key, const JNode *n)
{
	c->cfg->merge_policies = policies(c, key, n, defaults.policy, &c->cfg->n_merge_policies);
}

static void series_merge_policies(Check *c, const char *key, const JNode *n)
{
	c->cfg->series_merge_policies =
	        policies(c, key, n, defaults.series_policy, &c->cfg->n_series_merge_policies);
}

/* clang-format off */
static const struct {
	const char *name;
	KeyCheck check;
} keys[] = {
	{"serviceName", service_name},
	{"excludedServices", excluded},
	{"primaryServices", primary},
	{"auxiliaryServices", auxiliary},
	{"capacity", capacity},
	{"virtualBatteries", virtuals},
	{"seriesBatteries", series},
	{"seriesMergePolicies", series_merge_policies},
	{"classes", classes},
	{"currentRatioMethod", ratio_method},
	{"cclMode", ccl_mode},
	{"cvlMode", cvl_mode},
	{"strategyOptions", strategy_options},
	{NULL, legacy_options}, /* defaults.options_key.key */
	{"reconnectTimeout", reconnect_timeout},
	{"startupBatteryWait", startup_battery_wait},
	{"publishInterval", publish_interval},
	{"publishPropertiesChanged", properties_changed},
	{"expectedBatteries", expected},
	{"logLevel", log_level},
	{"pluginDirectory", plugin_directory},
	{"stateFile", state_file},
	{"mergePolicies", merge_policies},
};
/* clang-format on */

gboolean config_key_known(const char *key)
{
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
		if (strcmp(key, keys[i].name ? keys[i].name : defaults.options_key.key) == 0)
			return TRUE;
	}
	return FALSE;
}

void config_check_key(Check *c, const char *key, JPos key_at, const JNode *n)
{
	const char *names[G_N_ELEMENTS(keys)];
	const char *near;

	c->key = key;
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
		names[i] = keys[i].name ? keys[i].name : defaults.options_key.key;
		if (strcmp(key, names[i]) == 0) {
			keys[i].check(c, key, n);
			return;
		}
	}
	near = suggest(key, names, G_N_ELEMENTS(keys));
	if (near)
		check_error(c, key_at, "unknown key '%s' (did you mean '%s'?)", key, near);
	else
		check_error(c, key_at, "unknown key '%s'", key);
}

/* Relations between keys (SPEC 3). */
static const char *kind_of(const ConfigVirtual *v)
{
	return v->series ? "series battery" : "virtual battery";
}

static const char *key_of(const ConfigVirtual *v)
{
	return v->series ? "seriesBatteries" : "virtualBatteries";
}

static JPos at_of(const ConfigService *s)
{
	return (JPos){s->at.line, s->at.col};
}

/* The virtual battery or string named name, or NULL. */
static const ConfigVirtual *virtual_named(const Config *cfg, const char *name)
{
	for (size_t v = 0; v < cfg->n_virtuals; v++) {
		if (strcmp(cfg->virtuals[v].name, name) == 0)
			return &cfg->virtuals[v];
	}
	return NULL;
}

/* A string's modules are batteries, each in one string and in nothing else
 * batagg makes; a string is the aggregate's member only. */
static void check_strings(Check *c)
{
	const Config *cfg = c->cfg;

	for (size_t v = 0; v < cfg->n_virtuals; v++) {
		const ConfigVirtual *a = &cfg->virtuals[v];
		const ConfigVirtual *same = virtual_named(cfg, a->name);

		c->key = key_of(a);
		if (same != a && (same->series || a->series))
			check_error(c, ((const JNode *)c->virtual_at->pdata[v])->at,
			            "\"%s\" is both a %s and a %s", a->name, kind_of(same),
			            kind_of(a));
		for (size_t m = 0; m < a->n_members; m++) {
			const ConfigService *s = &a->members[m];
			const ConfigVirtual *named = virtual_named(cfg, s->name);

			if (named && named != a && (a->series || named->series))
				check_error(
				        c, at_of(s),
				        "%s \"%s\" lists %s \"%s\": a series battery's modules "
				        "are batteries, and a series battery is a member of the "
				        "aggregate only",
				        kind_of(a), a->name, kind_of(named), named->name);
			for (size_t w = 0; a->series && w < cfg->n_virtuals; w++) {
				const ConfigVirtual *b = &cfg->virtuals[w];

				if (w == v || (b->series && w < v) ||
				    !in_services(b->members, b->n_members, s->name))
					continue;
				check_error(
				        c, at_of(s),
				        "\"%s\" is a module of series battery \"%s\" and %s of "
				        "%s \"%s\": a module belongs to one series battery only",
				        s->name, a->name, b->series ? "a module" : "a member",
				        kind_of(b), b->name);
			}
		}
	}
}

/* expectedBatteries names services batagg publishes. */
static void check_expected(Check *c)
{
	const Config *cfg = c->cfg;

	c->key = "expectedBatteries";
	for (size_t i = 0; i < cfg->n_expected; i++) {
		const ConfigExpected *x = &cfg->expected[i];

		if (x->name && strcmp(x->name, cfg->service_name) != 0 &&
		    !virtual_named(cfg, x->name))
			check_error(c, (JPos){x->at.line, x->at.col},
			            "key 'expectedBatteries': \"%s\" is not a service batagg "
			            "publishes (serviceName, or a virtual or series battery)",
			            x->name);
	}
}

void config_check_relations(Check *c)
{
	Config *cfg = c->cfg;

	check_expected(c);
	c->key = "virtualBatteries";
	check_loops(c, cfg->virtuals, cfg->n_virtuals);
	check_strings(c);

	/* What the user evidently meant, as the Python daemon did: a service
	 * listed to be used in a role is used in it, and only in it. */
	c->key = "excludedServices";
	for (size_t i = 0; cfg->excluded && cfg->excluded[i]; i++) {
		const char *name = cfg->excluded[i];
		const char *also = NULL, *what = NULL;

		if (in_services(cfg->primary, cfg->n_primary, name))
			also = "primaryServices", what = "a primary service";
		else if (in_services(cfg->auxiliary, cfg->n_auxiliary, name))
			also = "auxiliaryServices", what = "an auxiliary service";
		for (size_t v = 0; !also && v < cfg->n_virtuals; v++) {
			if (!in_services(cfg->virtuals[v].members, cfg->virtuals[v].n_members,
			                 name))
				continue;
			also = key_of(&cfg->virtuals[v]);
			what = cfg->virtuals[v].series ? "a module of its series battery"
			                               : "a member of its virtual battery";
		}
		if (also)
			check_warning(
			        c, g_array_index(c->excluded_at, JPos, i),
			        "\"%s\" is in excludedServices and in %s: batagg uses it as %s, "
			        "never as a member of the aggregate",
			        name, also, what);
	}
	for (size_t v = 0; v < cfg->n_virtuals; v++) {
		const ConfigVirtual *vb = &cfg->virtuals[v];
		const JNode *at = c->virtual_at->pdata[v];

		c->key = key_of(vb);
		if (strcmp(vb->name, cfg->service_name) == 0)
			check_error(c, at->at, "%s \"%s\" has the aggregate's own name",
			            kind_of(vb), vb->name);
		/* batagg never follows the aggregate it publishes (the Python
		 * daemon, one process per virtual battery, did), and the virtual
		 * battery is one of the aggregate's members. */
		if (in_services(vb->members, vb->n_members, cfg->service_name))
			check_error(c, at->at,
			            "key '%s': %s \"%s\" lists the aggregate \"%s\" (serviceName), "
			            "which batagg does not read back: the %s is a member of the "
			            "aggregate (for values that replace the aggregate's, use "
			            "primaryServices)",
			            key_of(vb), kind_of(vb), vb->name, cfg->service_name,
			            kind_of(vb));
	}
}
