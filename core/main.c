/* SPDX-License-Identifier: MIT */
/*
 * batagg's entry point: command line, config, plugins, then the daemon (or,
 * with --check-config, only the checks and a summary).  The only place that
 * decides the process's exit code.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "build_config.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "registry.h"
#include "strategies.h"

static char *config_path;
static char *plugin_dir;
static gboolean check_config;
static gboolean show_version;

static const GOptionEntry entries[] = {
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
         "Read the config from FILE (default " BATAGG_DEFAULT_CONFIG ")", "FILE"},
        {"plugin-dir", 'p', 0, G_OPTION_ARG_FILENAME, &plugin_dir,
         "Also load strategy plugins from DIR (wins over the config's pluginDirectory)", "DIR"},
        {"check-config", 0, 0, G_OPTION_ARG_NONE, &check_config,
         "Check the config (and the plugins it names), print a summary, and exit", NULL},
        {"version", 'V', 0, G_OPTION_ARG_NONE, &show_version, "Print the version and exit", NULL},
        {NULL},
};

/* The built-in plugins: "plugins" beside the executable when it exists (a
 * build tree, or the /data/BatteryAggregator bundle), else the installed
 * directory. */
static char *builtin_plugin_dir(void)
{
	g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
	g_autofree char *dir = exe ? g_path_get_dirname(exe) : NULL;
	char *local = dir ? g_build_filename(dir, "plugins", NULL) : NULL;

	if (local && g_file_test(local, G_FILE_TEST_IS_DIR))
		return local;
	g_free(local);
	return g_strdup(BATAGG_PLUGINDIR);
}

static gboolean load_dir(Registry *reg, const char *dir, gboolean quiet)
{
	g_autoptr(GError) error = NULL;
	GPtrArray *refused = NULL;
	int n = registry_load_dir(reg, dir, &refused, &error);

	if (n < 0)
		g_warning("plugins: %s", error->message);
	for (guint i = 0; refused && i < refused->len; i++) {
		GError *e = refused->pdata[i];

		g_warning("plugin refused: %s", e->message);
		g_error_free(e);
	}
	if (refused)
		g_ptr_array_free(refused, TRUE);
	if (n >= 0 && !quiet)
		g_info("loaded %d plugin file(s) from %s", n, dir);
	return n >= 0;
}

/* The built-in plugins first; then --plugin-dir, or else the config's
 * pluginDirectory.  A name already taken is refused, so a third party
 * cannot replace a built-in strategy. */
static Registry *load_plugins(const Config *cfg, GString *loaded)
{
	Registry *reg = registry_new();
	g_autofree char *builtin = builtin_plugin_dir();
	const char *extra = plugin_dir ? plugin_dir : cfg->plugin_directory;

	load_dir(reg, builtin, FALSE);
	if (loaded)
		g_string_append_printf(loaded, "%-22s%s\n", "plugins from:", builtin);
	if (extra) {
		load_dir(reg, extra, FALSE);
		if (loaded)
			g_string_append_printf(loaded, "%-22s%s\n", "", extra);
	}
	return reg;
}

static int run_check(Config *cfg)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) loaded = g_string_new(NULL);
	Registry *reg;
	Strategies *st;
	g_autofree char *summary = NULL;
	int rc = 0;

	/* Problems only: the summary says the rest. */
	log_set_level("WARNING");
	reg = load_plugins(cfg, loaded);
	st = strategies_new(cfg, reg, &error);
	if (!st || !strategies_check_virtuals(reg, cfg, &error)) {
		fprintf(stderr, "%s: %s\n", config_path, error->message);
		rc = 1;
	} else {
		summary = config_summary(cfg);
		printf("OK\n%s%s", summary, loaded->str);
	}
	strategies_free(st);
	registry_free(reg);
	config_free(cfg);
	return rc;
}

int main(int argc, char **argv)
{
	g_autoptr(GOptionContext) ctx = g_option_context_new("[CONFIG]");
	g_autoptr(GError) error = NULL;
	Config *cfg;
	Daemon *d;
	int rc;

	log_init();
	g_option_context_set_summary(ctx, "Aggregates Victron battery services into one "
	                                  "(com.victronenergy.battery.aggregator).");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		fprintf(stderr, "batagg: %s (try --help)\n", error->message);
		return 2;
	}
	if (show_version) {
		printf("batagg %s\n", BATAGG_VERSION);
		return 0;
	}
	if (argc > 2) {
		fprintf(stderr, "batagg: too many arguments (try --help)\n");
		return 2;
	}
	if (argc == 2 && !config_path)
		config_path = g_strdup(argv[1]);
	if (!config_path)
		config_path = g_strdup(BATAGG_DEFAULT_CONFIG);

	cfg = config_load(config_path, &error);
	if (!cfg) {
		fprintf(stderr, "%s\n", error->message);
		if (!check_config)
			g_critical("refusing to start: the config has errors (see above)");
		return 1;
	}
	if (check_config)
		return run_check(cfg);

	log_set_level(cfg->log_level);
	g_info("batagg %s starting with config %s", BATAGG_VERSION, config_path);
	d = daemon_new(cfg, load_plugins(cfg, NULL), config_path, argv[0], &error);
	if (!d) {
		g_critical("refusing to start: %s", error->message);
		return 1;
	}
	rc = daemon_run(d);
	daemon_free(d);
	g_free(config_path);
	return rc;
}
