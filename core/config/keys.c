/* SPDX-License-Identifier: MIT */
/*
 * The config's keys, one table: each key's name and the check that reads
 * it into the Config.  The keys of one value each are read here; virtual
 * and series batteries (virtuals.c) and the options of strategies and
 * hooks (options.c) have files of their own.
 */
#include "config/keys.h"

#include <math.h>
#include <string.h>

#include "config/defaults.h"
#include "config/options.h"
#include "config/values.h"
#include "config/virtuals.h"
#include "base/log.h"
#include "base/suggest.h"

typedef void (*KeyCheck)(Check *c, const char *key, const JNode *n);

static void service_name(Check *c, const char *key, const JNode *n)
{
	if (values_type(c, n, J_STRING, key) && values_service_name(c, n->at, n->text, key)) {
		g_free(c->cfg->service_name);
		c->cfg->service_name = g_strdup(n->text);
	}
}

static void excluded(Check *c, const char *key, const JNode *n)
{
	if (!values_type(c, n, J_ARRAY, key))
		return;
	for (guint i = 0; i < n->items->len; i++) {
		const JNode *item = n->items->pdata[i];

		if (item->type == J_STRING)
			values_match_name(c, item->at, item->text, key, FALSE, TRUE);
	}
	g_strfreev(c->cfg->excluded);
	/* values_string_list() keeps every string, in order: these are their
	 * positions. */
	c->cfg->excluded = values_string_list(c, n, key, FALSE);
	g_array_set_size(c->excluded_at, 0);
	for (guint i = 0; i < n->items->len; i++) {
		const JNode *item = n->items->pdata[i];

		if (item->type == J_STRING)
			g_array_append_val(c->excluded_at, item->at);
	}
}

static void primary(Check *c, const char *key, const JNode *n)
{
	c->cfg->primary = values_services(c, n, key, FALSE, FALSE, &c->cfg->n_primary);
}

static void auxiliary(Check *c, const char *key, const JNode *n)
{
	c->cfg->auxiliary = values_services(c, n, key, FALSE, FALSE, &c->cfg->n_auxiliary);
}

static void capacity(Check *c, const char *key, const JNode *n)
{
	double x;

	if (n->type == J_NULL || !values_number(c, n, key, &x))
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

static void ratio_method(Check *c, const char *key, const JNode *n)
{
	values_strategy_name(c, n, key, &c->cfg->current_ratio_method,
	                     &c->cfg->current_ratio_method_at);
}

static void cvl_mode(Check *c, const char *key, const JNode *n)
{
	values_strategy_name(c, n, key, &c->cfg->cvl_mode, &c->cfg->cvl_mode_at);
}

/* An array of limiter names, each once. */
static void limiters(Check *c, const char *key, const JNode *n)
{
	Config *cfg = c->cfg;

	if (!values_type(c, n, J_ARRAY, key))
		return;
	cfg->limiters = g_new0(char *, n->items->len + 1);
	cfg->limiters_at = g_new0(ConfigPos, n->items->len + 1);
	for (guint i = 0; i < n->items->len; i++) {
		const JNode *item = n->items->pdata[i];
		char *name = NULL;
		ConfigPos at;
		gboolean twice = FALSE;

		if (!values_strategy_name(c, item, key, &name, &at))
			continue;
		for (size_t k = 0; k < cfg->n_limiters; k++)
			twice = twice || strcmp(cfg->limiters[k], name) == 0;
		if (twice) {
			check_error(c, item->at, "key '%s': \"%s\" is listed twice", key, name);
			g_free(name);
			continue;
		}
		cfg->limiters_at[cfg->n_limiters] = at;
		cfg->limiters[cfg->n_limiters++] = name;
	}
}

/* A cap on the bank's CCL or DCL, in amps (0: none). */
static void bank_cap(Check *c, const char *key, const JNode *n)
{
	double x;

	if (!values_number(c, n, key, &x))
		return;
	if (x < 0 || x > LIMIT_MAX_AMPS) {
		check_error(c, n->at, "key '%s': expected amps from 0 (no cap) to %g, got %s", key,
		            LIMIT_MAX_AMPS, n->text);
		return;
	}
	c->cfg->max_current[strcmp(key, "maxDischargeCurrent") == 0] = x;
}

const char *const keys_ccl_modes[] = {"battery+dvcc", "battery", "dvcc", NULL};

static void ccl_mode(Check *c, const char *key, const JNode *n)
{
	int index;

	if (values_one_of(c, n, key, keys_ccl_modes, &index))
		c->cfg->ccl_mode = (CclMode)index;
}

static void reconnect_timeout(Check *c, const char *key, const JNode *n)
{
	values_integer(c, n, key, 0, &c->cfg->reconnect_timeout);
}

static void startup_battery_wait(Check *c, const char *key, const JNode *n)
{
	values_integer(c, n, key, 1, &c->cfg->startup_battery_wait);
}

static void publish_interval(Check *c, const char *key, const JNode *n)
{
	double x;

	if (!values_number(c, n, key, &x))
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

	if (!values_integer(c, n, key, 1, &count))
		return FALSE;
	*out = (size_t)count;
	return TRUE;
}

/* A number (the aggregate's) or published service name -> number; the
 * names are checked with the others (relations.c). */
static void expected(Check *c, const char *key, const JNode *n)
{
	GArray *out = g_array_new(FALSE, TRUE, sizeof(ConfigExpected));
	ConfigExpected x = {.at = check_pos(n->at)};

	if (n->type == J_NUMBER) {
		if (expected_count(c, n, key, &x.count))
			g_array_append_val(out, x);
	} else if (values_type(c, n, J_OBJECT, key)) {
		for (guint i = 0; i < n->items->len; i++) {
			x = (ConfigExpected){.at = check_pos(g_array_index(n->key_at, JPos, i))};
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
	if (values_type(c, n, J_BOOL, key))
		c->cfg->properties_changed = n->boolean;
}

static void log_level(Check *c, const char *key, const JNode *n)
{
	const char *const *levels = log_level_names();
	int index;

	if (values_one_of(c, n, key, levels, &index)) {
		g_free(c->cfg->log_level);
		c->cfg->log_level = g_strdup(levels[index]);
	}
}

static void plugin_directory(Check *c, const char *key, const JNode *n)
{
	if (!values_type(c, n, J_STRING, key))
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
	if (!values_type(c, n, J_OBJECT, key))
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
			values_merged_path(c, g_array_index(n->key_at, JPos, i), key, path);
			continue;
		}
		if (!table[p]) {
			check_warning(c, g_array_index(n->key_at, JPos, i),
			              "key '%s': \"%s\" is not merged by a policy (the limits have "
			              "rules of their own): ignored",
			              key, path);
			continue;
		}
		if (!values_strategy_name(c, n->items->pdata[i], key, &mp.policy, &mp.at))
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
	{"virtualBatteries", virtuals_read},
	{"seriesBatteries", virtuals_read},
	{"seriesMergePolicies", series_merge_policies},
	{"classes", options_classes},
	{"currentRatioMethod", ratio_method},
	{"cclMode", ccl_mode},
	{"cvlMode", cvl_mode},
	{"limiters", limiters},
	{"maxChargeCurrent", bank_cap},
	{"maxDischargeCurrent", bank_cap},
	{"strategyOptions", options_strategies},
	{NULL, options_legacy}, /* defaults.options_key.key */
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

gboolean keys_known(const char *key)
{
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
		if (strcmp(key, keys[i].name ? keys[i].name : defaults.options_key.key) == 0)
			return TRUE;
	}
	return FALSE;
}

void keys_check(Check *c, const char *key, JPos key_at, const JNode *n)
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
