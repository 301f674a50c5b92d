/* SPDX-License-Identifier: MIT */
/*
 * The config file: read into a JSON tree (json_tree.c), each top-level key
 * checked by the key table (keys.c) into a typed Config, then the rules
 * between keys (relations.c).  Every problem is collected; nothing the user
 * wrote is silently ignored.
 */
#include "config/config.h"

#include <string.h>

#include "config/check.h"
#include "config/defaults.h"
#include "config/keys.h"
#include "config/options.h"
#include "config/relations.h"

GQuark batagg_config_error_quark(void)
{
	return g_quark_from_static_string("batagg-config-error-quark");
}

Config *config_new_default(void)
{
	Config *cfg = g_new0(Config, 1);

	cfg->origin = g_strdup("");
	cfg->service_name = g_strdup(BATAGG_DEFAULT_SERVICE);
	cfg->excluded = g_new0(char *, 1);
	cfg->current_ratio_method = g_strdup(defaults.ratio_method);
	cfg->ccl_mode = CCL_BATTERY_DVCC;
	cfg->cvl_mode = g_strdup(defaults.cvl_mode);
	cfg->reconnect_timeout = 0;
	cfg->startup_battery_wait = 30;
	cfg->publish_interval = CONFIG_PUBLISH_INTERVAL;
	cfg->log_level = g_strdup("INFO");
	return cfg;
}

const char *const config_membership_keys[] = {
        "excludedServices",
        "primaryServices",
        "auxiliaryServices",
        "virtualBatteries",
        "seriesBatteries",
        "classes",
        NULL,
};

static gboolean listed(const char *const *list, const char *word)
{
	return list && g_strv_contains(list, word);
}

Config *config_read(const char *text, size_t len, Problems *problems)
{
	return config_read_skipping(text, len, problems, NULL);
}

Config *config_read_skipping(const char *text, size_t len, Problems *problems,
                             const char *const *skip)
{
	JNode *root = json_parse(text, len, problems);
	Check c = {.problems = problems,
	           .virtual_at = g_ptr_array_new(),
	           .excluded_at = g_array_new(FALSE, FALSE, sizeof(JPos))};

	if (root && root->type != J_OBJECT)
		problems_add(problems, PROBLEM_ERROR, root->at.line, root->at.col, NULL,
		             "the config must be a JSON object ({ ... })");
	if (!root || root->type != J_OBJECT) {
		json_free(root);
		g_ptr_array_free(c.virtual_at, TRUE);
		g_array_free(c.excluded_at, TRUE);
		return NULL;
	}
	c.cfg = config_new_default();
	g_free(c.cfg->origin);
	c.cfg->origin = g_strdup(problems_origin(problems));
	for (guint i = 0; i < root->items->len; i++) {
		if (!listed(skip, root->keys->pdata[i]))
			keys_check(&c, root->keys->pdata[i], g_array_index(root->key_at, JPos, i),
			           root->items->pdata[i]);
	}
	relations_check(&c);
	json_free(root);
	g_ptr_array_free(c.virtual_at, TRUE);
	g_array_free(c.excluded_at, TRUE);
	return c.cfg;
}

/* A missing file means all defaults (SPEC 3). */
static Config *defaults_of(const char *path)
{
	Config *cfg = config_new_default();

	g_free(cfg->origin);
	cfg->origin = g_strdup(path);
	return cfg;
}

Config *config_read_file(const char *path, Problems *problems)
{
	g_autofree char *text = NULL;
	gsize len = 0;
	g_autoptr(GError) io = NULL;

	if (g_file_get_contents(path, &text, &len, &io))
		return config_read(text, len, problems);
	if (g_error_matches(io, G_FILE_ERROR, G_FILE_ERROR_NOENT))
		return defaults_of(path);
	problems_add(problems, PROBLEM_ERROR, 0, 0, NULL, "%s", io->message);
	return NULL;
}

/* Strict: any error refuses the whole config. */
static Config *strict(Config *cfg, Problems *problems, GError **error)
{
	g_autofree char *text = NULL;

	if (cfg && problems_count(problems, PROBLEM_ERROR) == 0)
		return cfg;
	text = problems_text(problems, PROBLEM_ERROR);
	g_set_error_literal(error, BATAGG_CONFIG_ERROR,
	                    cfg ? BATAGG_CONFIG_ERROR_INVALID : BATAGG_CONFIG_ERROR_SYNTAX, text);
	config_free(cfg);
	return NULL;
}

Config *config_parse(const char *text, size_t len, const char *origin, GError **error)
{
	Problems *problems = problems_new(origin);
	Config *cfg = strict(config_read(text, len, problems), problems, error);

	problems_free(problems);
	return cfg;
}

Config *config_load(const char *path, GError **error)
{
	g_autofree char *text = NULL;
	gsize len = 0;
	g_autoptr(GError) io = NULL;

	if (g_file_get_contents(path, &text, &len, &io))
		return config_parse(text, len, path, error);
	if (!g_error_matches(io, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
		g_set_error(error, BATAGG_CONFIG_ERROR, BATAGG_CONFIG_ERROR_IO, "%s: %s", path,
		            io->message);
		return NULL;
	}
	return defaults_of(path);
}

#define SWAP(a, b)                                                                                 \
	do {                                                                                       \
		__typeof__(a) t_ = (a);                                                            \
		(a) = (b);                                                                         \
		(b) = t_;                                                                          \
	} while (0)

static void free_policies(ConfigMergePolicy *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		g_free(list[i].path);
		g_free(list[i].policy);
	}
	g_free(list);
}

gboolean config_key_known(const char *key)
{
	return keys_known(key);
}

size_t config_expected(const Config *cfg, const char *name, gboolean aggregate)
{
	size_t count = 0;

	for (size_t i = 0; i < cfg->n_expected; i++) {
		const ConfigExpected *x = &cfg->expected[i];

		if (x->name ? strcmp(x->name, name) == 0 : aggregate)
			count = x->count;
	}
	return count;
}

void config_take_membership(Config *dst, Config *src)
{
	SWAP(dst->excluded, src->excluded);
	SWAP(dst->primary, src->primary);
	SWAP(dst->n_primary, src->n_primary);
	SWAP(dst->auxiliary, src->auxiliary);
	SWAP(dst->n_auxiliary, src->n_auxiliary);
	SWAP(dst->virtuals, src->virtuals);
	SWAP(dst->n_virtuals, src->n_virtuals);
	SWAP(dst->classes, src->classes);
	SWAP(dst->n_classes, src->n_classes);
}

const ConfigOptions *config_strategy_options(const Config *cfg, const char *name)
{
	return options_find(cfg->strategy_options, cfg->n_strategy_options, name);
}

const ConfigOptions *config_hook_options(const Config *cfg, const char *id)
{
	return options_find(cfg->classes, cfg->n_classes, id);
}

/* ---- freeing ------------------------------------------------------------- */

static void free_services(ConfigService *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		g_free(list[i].name);
		g_strfreev(list[i].paths);
	}
	g_free(list);
}

static void free_options(ConfigOptions *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		options_clear(&list[i]);
	g_free(list);
}

void config_free(Config *cfg)
{
	if (!cfg)
		return;
	g_free(cfg->origin);
	g_free(cfg->service_name);
	g_strfreev(cfg->excluded);
	free_services(cfg->primary, cfg->n_primary);
	free_services(cfg->auxiliary, cfg->n_auxiliary);
	for (size_t v = 0; v < cfg->n_virtuals; v++) {
		g_free(cfg->virtuals[v].name);
		free_services(cfg->virtuals[v].members, cfg->virtuals[v].n_members);
	}
	g_free(cfg->virtuals);
	free_options(cfg->classes, cfg->n_classes);
	free_options(cfg->strategy_options, cfg->n_strategy_options);
	for (size_t i = 0; i < cfg->n_expected; i++)
		g_free(cfg->expected[i].name);
	g_free(cfg->expected);
	free_policies(cfg->merge_policies, cfg->n_merge_policies);
	free_policies(cfg->series_merge_policies, cfg->n_series_merge_policies);
	g_free(cfg->current_ratio_method);
	g_free(cfg->cvl_mode);
	g_strfreev(cfg->limiters);
	g_free(cfg->limiters_at);
	g_free(cfg->log_level);
	g_free(cfg->plugin_directory);
	g_free(cfg->state_file);
	g_free(cfg);
}

/* ---- the summary --------------------------------------------------------- */

#define INDENT "                      "

static void summarize_services(GString *s, const char *title, const ConfigService *list, size_t n)
{
	g_string_append_printf(s, "%-22s", title);
	if (n == 0)
		g_string_append(s, "none");
	for (size_t i = 0; i < n; i++) {
		g_autofree char *paths = list[i].paths && list[i].paths[0]
		                                 ? g_strjoinv(" ", list[i].paths)
		                                 : g_strdup("all paths");

		g_string_append_printf(s, "%s%s (%s)", i ? "\n" INDENT : "", list[i].name, paths);
	}
	g_string_append_c(s, '\n');
}

static void summarize_options(GString *s, const char *title, const ConfigOptions *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		g_string_append_printf(s, "%-22s%s:", i ? "" : title, list[i].name);
		for (size_t k = 0; k < list[i].n_options; k++)
			g_string_append_printf(s, " %s=%s", list[i].options[k].key,
			                       list[i].options[k].text);
		g_string_append_c(s, '\n');
	}
}

char *config_summary(const Config *cfg)
{
	GString *s = g_string_new(NULL);
	g_autofree char *excluded = cfg->excluded && cfg->excluded[0]
	                                    ? g_strjoinv(", ", cfg->excluded)
	                                    : g_strdup("none");

	g_string_append_printf(s, "%-22s%s\n", "service:", cfg->service_name);
	g_string_append_printf(s, "%-22s%s\n", "excluded:", excluded);
	summarize_services(s, "primary:", cfg->primary, cfg->n_primary);
	summarize_services(s, "auxiliary:", cfg->auxiliary, cfg->n_auxiliary);
	g_string_append_printf(s, "%-22s", "virtual batteries:");
	if (!cfg->n_virtuals)
		g_string_append(s, "none");
	for (size_t v = 0; v < cfg->n_virtuals; v++) {
		g_string_append_printf(s, "%s%s %s", v ? "\n" INDENT : "", cfg->virtuals[v].name,
		                       cfg->virtuals[v].series ? "<- in series:" : "<-");
		for (size_t m = 0; m < cfg->virtuals[v].n_members; m++)
			g_string_append_printf(s, " %s", cfg->virtuals[v].members[m].name);
	}
	g_string_append_c(s, '\n');
	if (cfg->has_capacity)
		g_string_append_printf(s, "%-22sfixed %g Ah\n", "capacity:", cfg->capacity);
	else
		g_string_append_printf(s, "%-22sfrom the batteries\n", "capacity:");
	g_string_append_printf(s, "%-22s%s\n", "current ratio method:", cfg->current_ratio_method);
	g_string_append_printf(s, "%-22s%s\n", "CCL mode:", keys_ccl_modes[cfg->ccl_mode]);
	g_string_append_printf(s, "%-22s%s\n", "CVL mode:", cfg->cvl_mode);
	if (cfg->n_limiters) {
		g_autofree char *list = g_strjoinv(", ", cfg->limiters);

		g_string_append_printf(s, "%-22s%s\n", "limiters:", list);
	}
	for (int d = 0; d < 2; d++) {
		if (cfg->max_current[d] > 0)
			g_string_append_printf(s, "%-22s%g A\n",
			                       d ? "bank discharge cap:" : "bank charge cap:",
			                       cfg->max_current[d]);
	}
	for (size_t i = 0; i < cfg->n_merge_policies; i++)
		g_string_append_printf(s, "%-22s%s: %s\n",
		                       i ? "" : "merge policies:", cfg->merge_policies[i].path,
		                       cfg->merge_policies[i].policy);
	summarize_options(s, "strategy options:", cfg->strategy_options, cfg->n_strategy_options);
	summarize_options(s, "hook options:", cfg->classes, cfg->n_classes);
	g_string_append_printf(s, "%-22s%d s\n", "reconnect timeout:", cfg->reconnect_timeout);
	g_string_append_printf(s, "%-22s%d checks\n",
	                       "startup battery wait:", cfg->startup_battery_wait);
	g_string_append_printf(s, "%-22s%g s%s\n", "publish interval:", cfg->publish_interval,
	                       cfg->properties_changed ? ", with PropertiesChanged" : "");
	g_string_append_printf(s, "%-22s%s\n", "log level:", cfg->log_level);
	if (cfg->plugin_directory)
		g_string_append_printf(s, "%-22s%s\n", "plugin directory:", cfg->plugin_directory);
	if (cfg->state_file || cfg->state_file_off)
		g_string_append_printf(s, "%-22s%s\n", "state file:",
		                       cfg->state_file_off ? "none (nothing learned is kept)"
		                                           : cfg->state_file);
	return g_string_free(s, FALSE);
}
