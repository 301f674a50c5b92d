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
#include "base/kind.h"
#include "config/config.h"
#include "config/reference.h"
#include "daemon/daemon.h"
#include "base/log.h"
#include "strategies/registry.h"
#include "daemon/startup.h"
#include "strategies/strategies.h"

static char *config_path;
static char *plugin_dir;
static char *state_dir;
static gboolean check_config;
static gboolean list_strategies;
static gboolean list_paths;
static gboolean show_version;

static const GOptionEntry entries[] = {
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
         "Read the config from FILE (default " BATAGG_DEFAULT_CONFIG ")", "FILE"},
        {"plugin-dir", 'p', 0, G_OPTION_ARG_FILENAME, &plugin_dir,
         "Also load strategy plugins from DIR (wins over the config's pluginDirectory)", "DIR"},
        {"state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state_dir,
         "Keep the last good config, and the state file unless stateFile says where, in DIR "
         "(default: beside the config)",
         "DIR"},
        {"check-config", 0, 0, G_OPTION_ARG_NONE, &check_config,
         "Check the config (and the plugins it names), print a summary, and exit", NULL},
        {"list-strategies", 0, 0, G_OPTION_ARG_NONE, &list_strategies,
         "List every strategy the plugins register (kind, name, file, summary, options) and exit",
         NULL},
        {"list-paths", 0, 0, G_OPTION_ARG_NONE, &list_paths,
         "Print the reference of the paths batagg reads of a battery (Markdown) and exit", NULL},
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

/* Logs and frees each refused file's error. */
static void log_refused(GPtrArray *refused)
{
	for (guint i = 0; refused && i < refused->len; i++) {
		GError *e = refused->pdata[i];

		g_warning("plugin refused: %s", e->message);
		g_error_free(e);
	}
	if (refused)
		g_ptr_array_free(refused, TRUE);
}

/* A third-party directory: whatever is refused is a warning, and the daemon
 * runs without it (a config naming its strategies fails on its own). */
static void load_extra(Registry *reg, const char *dir)
{
	g_autoptr(GError) error = NULL;
	GPtrArray *refused = NULL;
	int n = registry_load_dir(reg, dir, &refused, &error);

	if (n < 0)
		g_warning("plugins: %s", error->message);
	log_refused(refused);
	if (n >= 0)
		g_info("loaded %d plugin file(s) from %s", n, dir);
}

/* Whether reg has every strategy the default config uses. */
static gboolean has_defaults(Registry *reg, GError **error)
{
	Config *defaults = config_new_default();
	Strategies *st = strategies_new(defaults, reg, error);
	gboolean ok = st != NULL;

	strategies_free(st);
	config_free(defaults);
	return ok;
}

/* The built-in plugins must all load, and provide every strategy the
 * defaults use: else a third party could register the names they lack.
 * FALSE with error set, naming the directory and the reason. */
static gboolean load_builtins(Registry *reg, const char *dir, GError **error)
{
	g_autoptr(GError) e = NULL;
	GPtrArray *refused = NULL;
	int n = registry_load_dir(reg, dir, &refused, &e);

	if (n < 0) {
		g_propagate_prefixed_error(error, g_steal_pointer(&e),
		                           "the built-in plugins in %s cannot be loaded: ", dir);
		return FALSE;
	}
	if (refused) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_INVALID,
		            "the built-in plugins in %s did not all load (%u refused): %s", dir,
		            refused->len, ((GError *)refused->pdata[0])->message);
		log_refused(refused);
		return FALSE;
	}
	if (!has_defaults(reg, &e)) {
		g_propagate_prefixed_error(error, g_steal_pointer(&e),
		                           "the built-in plugins in %s lack a strategy batagg "
		                           "needs: ",
		                           dir);
		return FALSE;
	}
	g_info("loaded %d plugin file(s) from %s", n, dir);
	return TRUE;
}

/* The built-in plugins first; then --plugin-dir, or else the config's
 * pluginDirectory.  A name already taken is refused, so a third party
 * cannot replace a built-in strategy.  NULL with error set when the
 * built-in plugins fail. */
static Registry *load_plugins(const Config *cfg, GString *loaded, GError **error)
{
	Registry *reg = registry_new();
	g_autofree char *builtin = builtin_plugin_dir();
	const char *extra = plugin_dir ? plugin_dir : cfg->plugin_directory;

	if (!load_builtins(reg, builtin, error)) {
		registry_free(reg);
		return NULL;
	}
	if (loaded)
		g_string_append_printf(loaded, "%-22s%s\n", "plugins from:", builtin);
	if (extra) {
		load_extra(reg, extra);
		if (loaded)
			g_string_append_printf(loaded, "%-22s%s\n", "", extra);
	}
	return reg;
}

static Registry *load_for_start(const Config *cfg, GError **error)
{
	return load_plugins(cfg, NULL, error);
}

/* --check-config: every problem of the file, then of every strategy the
 * config uses, each created with its options as the daemon will.  Exit 0
 * when it is OK (warnings printed too), 1 on errors. */
static int run_check(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) loaded = g_string_new(NULL);
	Problems *problems = problems_new(config_path);
	Config *cfg = config_read_file(config_path, problems);
	Registry *reg = NULL;
	g_autofree char *text = NULL;
	g_autofree char *summary = NULL;
	guint warnings;
	int rc = 1;

	/* Problems only: the summary says the rest. */
	log_set_level("WARNING");
	if (cfg) {
		reg = load_plugins(cfg, loaded, &error);
		if (reg)
			strategies_report(reg, cfg, TRUE, problems);
	}
	problems_sort(problems);
	text = problems_text(problems, PROBLEM_WARNING);
	warnings = problems_count(problems, PROBLEM_WARNING);
	if (text[0])
		fprintf(stderr, "%s\n", text);
	if (cfg && !reg)
		g_critical("%s", error->message);
	if (!cfg || !reg || problems_count(problems, PROBLEM_ERROR) > 0)
		goto out;
	summary = config_summary(cfg);
	if (warnings)
		printf("OK, with %u warning%s (above)\n", warnings, warnings == 1 ? "" : "s");
	else
		printf("OK\n");
	printf("%s%s", summary, loaded->str);
	rc = 0;
out:
	problems_free(problems);
	registry_free(reg);
	config_free(cfg);
	return rc;
}

/* --list-strategies: what the plugins register, for a plugin author or a
 * user choosing. */
static int run_list(void)
{
	g_autoptr(GError) error = NULL;
	Config *cfg = config_new_default();
	Registry *reg;
	g_autoptr(GPtrArray) all = NULL;

	log_set_level("WARNING");
	reg = load_plugins(cfg, NULL, &error);
	config_free(cfg);
	if (!reg) {
		g_critical("%s", error->message);
		return 1;
	}
	all = registry_list(reg, 0);
	for (guint i = 0; i < all->len; i++) {
		const BataggStrategy *t = all->pdata[i];

		printf("%s %s\n  %s\n  from %s\n", kind_name(t->kind), t->name,
		       t->summary ? t->summary : "", registry_origin(reg, t));
		for (const BataggOptionHelp *o = t->options; o && o->key; o++)
			printf("  option %s (%s): %s\n", o->key, o->type ? o->type : "?",
			       o->help ? o->help : "");
	}
	registry_free(reg);
	return 0;
}

int main(int argc, char **argv)
{
	g_autoptr(GOptionContext) ctx = g_option_context_new("[CONFIG]");
	g_autoptr(GError) error = NULL;
	g_autofree char *last_good = NULL;
	Startup start;
	DaemonOptions opts = {0};
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

	if (check_config)
		return run_check();
	if (list_paths) {
		g_autofree char *text = reference_paths();

		fputs(text, stdout);
		return 0;
	}
	if (list_strategies)
		return run_list();
	g_info("batagg %s starting with config %s", BATAGG_VERSION, config_path);
	last_good = startup_last_good_path(config_path, state_dir);
	if (!startup_read(config_path, last_good, load_for_start, &start, &error)) {
		g_critical("refusing to start: %s", error->message);
		return 1;
	}
	log_set_level(start.cfg->log_level);
	opts = (DaemonOptions){config_path, last_good, state_dir, argv[0], start.problems};
	d = daemon_new(start.cfg, start.reg, &opts, &error);
	if (!d) {
		g_critical("refusing to start: %s", error->message);
		return 1;
	}
	if (!start.problems)
		startup_keep_good(config_path, last_good);
	rc = daemon_run(d);
	daemon_free(d);
	g_free(config_path);
	return rc;
}
