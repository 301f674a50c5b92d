/* SPDX-License-Identifier: MIT */
/*
 * The config parser (SPEC.md 3): defaults, every key's forms, and a corpus
 * of good and bad files, each bad one with the message it must give.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dbus/dbus.h>
#include <glib.h>
#include <string.h>

#include "batagg/plugin.h"
#include "config/config.h"
#include "config/defaults.h"
#include "base/json_tree.h"
#include "strategies/registry.h"
#include "strategies/strategies.h"

static char *corpus_dir(const char *kind)
{
	const char *root = g_getenv("BATAGG_SOURCE_ROOT");

	assert_non_null(root);
	return g_build_filename(root, "tests", "data", "configs", kind, NULL);
}

static Config *parse(const char *json)
{
	GError *error = NULL;
	Config *cfg = config_parse(json, strlen(json), "test.json", &error);

	if (!cfg)
		fail_msg("%s", error->message);
	return cfg;
}

static void test_defaults(void **state)
{
	Config *cfg = parse("{}");

	assert_string_equal(cfg->service_name, "com.victronenergy.battery.aggregator");
	assert_null(cfg->excluded[0]);
	assert_int_equal(cfg->n_primary, 0);
	assert_false(cfg->has_capacity);
	assert_string_equal(cfg->current_ratio_method, "ir");
	assert_int_equal(cfg->ccl_mode, CCL_BATTERY_DVCC);
	assert_string_equal(cfg->cvl_mode, "max_when_balancing");
	assert_int_equal(cfg->n_strategy_options, 0);
	assert_int_equal(cfg->reconnect_timeout, 0);
	assert_int_equal(cfg->startup_battery_wait, 30);
	assert_string_equal(cfg->log_level, "INFO");
	assert_null(cfg->plugin_directory);
	config_free(cfg);
}

static void test_forms(void **state)
{
	Config *cfg = parse(
	        "{\"primaryServices\": {\"com.victronenergy.battery.shunt\": [\"/Soc\"],"
	        " \"name:Other\": []},"
	        " \"auxiliaryServices\": [\"com.victronenergy.battery.aux\"],"
	        " \"virtualBatteries\": {\"com.victronenergy.battery.v\":"
	        "  [\"class:hooks.CustomChargingHook#2\", \"com.victronenergy.battery.bms\"]},"
	        " \"classes\": {\"hooks.CustomChargingHook#2\": {\"ccls\": {\"52.5\": 100, \"50\": "
	        "5}}},"
	        " \"capacity\": 302.5, \"cclMode\": \"dvcc\", \"mergePolicies\": {\"/Soc\": "
	        "\"min\"}}");

	assert_int_equal(cfg->n_primary, 2);
	assert_string_equal(cfg->primary[0].paths[0], "/Soc");
	assert_null(cfg->primary[0].paths[1]);
	assert_string_equal(cfg->primary[1].name, "name:Other");
	assert_null(cfg->primary[1].paths[0]);
	assert_null(cfg->auxiliary[0].paths);
	assert_int_equal(cfg->n_virtuals, 1);
	assert_string_equal(cfg->virtuals[0].members[0].name, "class:hooks.CustomChargingHook#2");
	assert_int_equal(cfg->n_classes, 1);
	/* Options keep the config's order, numbers as written. */
	assert_string_equal(cfg->classes[0].options[0].key, "ccls/52.5");
	assert_string_equal(cfg->classes[0].options[0].text, "100");
	assert_true(cfg->classes[0].options[0].number == 100);
	assert_string_equal(cfg->classes[0].options[1].key, "ccls/50");
	assert_true(cfg->has_capacity && cfg->capacity == 302.5);
	assert_int_equal(cfg->ccl_mode, CCL_DVCC);
	assert_string_equal(cfg->merge_policies[0].policy, "min");
	config_free(cfg);
}

static void test_missing_file_means_defaults(void **state)
{
	GError *error = NULL;
	Config *cfg = config_load("/nonexistent/batagg/config.json", &error);

	assert_non_null(cfg);
	config_free(cfg);
	/* A directory is not a config: an I/O error naming it. */
	assert_null(config_load("/", &error));
	assert_int_equal(error->code, BATAGG_CONFIG_ERROR_IO);
	assert_true(g_str_has_prefix(error->message, "/:"));
	g_error_free(error);
}

static void test_good_corpus(void **state)
{
	g_autofree char *dir = corpus_dir("good");
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;
	int n = 0;

	assert_non_null(d);
	while ((name = g_dir_read_name(d))) {
		g_autofree char *path = g_build_filename(dir, name, NULL);
		GError *error = NULL;
		Config *cfg = config_load(path, &error);
		g_autofree char *summary = NULL;

		if (!cfg)
			fail_msg("%s: %s", name, error->message);
		summary = config_summary(cfg);
		assert_non_null(strstr(summary, "service:"));
		config_free(cfg);
		n++;
	}
	g_dir_close(d);
	print_message("# %d good configs\n", n);
	assert_true(n >= 20);
}

/* What --check-config checks: the file, then every strategy it names
 * created with its options from the built-in plugins.  NULL when all is
 * well, else (transfer full) the message. */
static char *check(const char *path)
{
	Problems *problems = problems_new(path);
	Config *cfg = config_read_file(path, problems);
	Registry *reg;
	GPtrArray *refused = NULL;
	GError *error = NULL;
	char *message = NULL;

	if (cfg) {
		reg = registry_new();
		assert_true(registry_load_dir(reg, g_getenv("BATAGG_PLUGIN_BUILD_DIR"), &refused,
		                              &error) >= 5);
		assert_null(refused);
		strategies_report(reg, cfg, TRUE, problems);
		registry_free(reg);
		config_free(cfg);
	}
	problems_sort(problems);
	if (!cfg || problems_count(problems, PROBLEM_ERROR) > 0)
		message = problems_text(problems, PROBLEM_ERROR);
	problems_free(problems);
	return message;
}

static void test_bad_corpus(void **state)
{
	g_autofree char *dir = corpus_dir("bad");
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;
	int n = 0;

	assert_non_null(d);
	while ((name = g_dir_read_name(d))) {
		g_autofree char *path = NULL;
		g_autofree char *stem = NULL;
		g_autofree char *expect_path = NULL;
		g_autofree char *expect = NULL;
		g_autofree char *message = NULL;

		if (!g_str_has_suffix(name, ".json"))
			continue;
		path = g_build_filename(dir, name, NULL);
		stem = g_strndup(path, strlen(path) - strlen(".json"));
		expect_path = g_strconcat(stem, ".expect", NULL);
		assert_true(g_file_get_contents(expect_path, &expect, NULL, NULL));
		g_strchomp(expect);
		message = check(path);
		if (!message)
			fail_msg("%s was accepted", name);
		if (!strstr(message, expect))
			fail_msg("%s: message '%s' does not contain '%s'", name, message, expect);
		/* Every line names the file. */
		assert_true(g_str_has_prefix(message, path));
		n++;
	}
	g_dir_close(d);
	print_message("# %d bad configs\n", n);
	assert_true(n >= 20);
}

/* Configs with warnings only: accepted, each warning as expected. */
static void test_warn_corpus(void **state)
{
	g_autofree char *dir = corpus_dir("warn");
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;
	int n = 0;

	assert_non_null(d);
	while ((name = g_dir_read_name(d))) {
		g_autofree char *path = NULL;
		g_autofree char *stem = NULL;
		g_autofree char *expect = NULL;
		g_autofree char *expect_path = NULL;
		g_autofree char *warnings = NULL;
		g_autofree char *message = NULL;
		Problems *problems;
		Config *cfg;

		if (!g_str_has_suffix(name, ".json"))
			continue;
		path = g_build_filename(dir, name, NULL);
		stem = g_strndup(path, strlen(path) - strlen(".json"));
		expect_path = g_strconcat(stem, ".expect", NULL);
		assert_true(g_file_get_contents(expect_path, &expect, NULL, NULL));
		g_strchomp(expect);
		message = check(path);
		if (message)
			fail_msg("%s was refused: %s", name, message);
		problems = problems_new(path);
		cfg = config_read_file(path, problems);
		assert_non_null(cfg);
		warnings = problems_text(problems, PROBLEM_WARNING);
		if (!strstr(warnings, expect))
			fail_msg("%s: warnings '%s' do not contain '%s'", name, warnings, expect);
		assert_true(g_str_has_prefix(warnings, path));
		config_free(cfg);
		problems_free(problems);
		n++;
	}
	g_dir_close(d);
	print_message("# %d configs with warnings\n", n);
	assert_true(n >= 6);
}

static void test_examples_parse(void **state)
{
	const char *root = g_getenv("BATAGG_SOURCE_ROOT");
	g_autofree char *dir = g_build_filename(root, "config", "examples", NULL);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	assert_non_null(d);
	while ((name = g_dir_read_name(d))) {
		g_autofree char *path = g_build_filename(dir, name, NULL);
		GError *error = NULL;
		Config *cfg = config_load(path, &error);

		if (!cfg)
			fail_msg("%s: %s", name, error->message);
		config_free(cfg);
	}
	g_dir_close(d);
}

/* --check-config names every strategy problem, each at its key. */
static void test_all_strategy_problems_reported(void **state)
{
	const char *json = "{\"cvlMode\": \"max_when_charging\",\n"
	                   " \"currentRatioMethod\": \"IR\",\n"
	                   " \"mergePolicies\": {\"/Soc\": \"median\"},\n"
	                   " \"strategyOptions\": {\"cout\": {}}}";
	const char *path = g_getenv("BATAGG_SCRATCH_DIR");
	g_autofree char *file = g_build_filename(path, "all_strategy_problems.json", NULL);
	g_autofree char *message = NULL;

	assert_true(g_file_set_contents(file, json, -1, NULL));
	message = check(file);
	assert_non_null(message);
	assert_non_null(
	        strstr(message, ":1:13: key 'cvlMode': unknown value \"max_when_charging\""));
	assert_non_null(strstr(message, ":2:24: key 'currentRatioMethod': unknown value \"IR\" "
	                                "(did you mean \"ir\"?)"));
	assert_non_null(strstr(message, ":3:28: key 'mergePolicies': unknown value \"median\""));
	assert_non_null(strstr(message, ":4:22: key 'strategyOptions.cout': no strategy is named "
	                                "\"cout\" (did you mean \"count\"?)"));
}

/* A problem found from several places is said once: ir is the ratio
 * method and the estimator, and --check-config creates it once more. */
static void test_problem_said_once(void **state)
{
	const char *path = g_getenv("BATAGG_SCRATCH_DIR");
	g_autofree char *file = g_build_filename(path, "said_once.json", NULL);
	g_autofree char *message = NULL;
	const char *first;

	assert_true(g_file_set_contents(file, "{\"ir\": {\"maxPercentageError\": 0}}", -1, NULL));
	message = check(file);
	assert_non_null(message);
	first = strstr(message, "must be > 0");
	assert_non_null(first);
	assert_null(strstr(first + 1, "must be > 0"));
}

/* Every problem is reported, not just the first. */
static void test_all_problems_reported(void **state)
{
	const char *json = "{\n \"capacity\": \"x\",\n \"cclMode\": \"none\",\n \"logLevel\": 3\n}";
	GError *error = NULL;

	assert_null(config_parse(json, strlen(json), "c.json", &error));
	assert_non_null(strstr(error->message, "c.json:2:"));
	assert_non_null(strstr(error->message, "c.json:3:"));
	assert_non_null(strstr(error->message, "c.json:4:"));
	g_error_free(error);
}

/* Parses json expecting a refusal whose message contains expect. */
static void refused(const char *json, const char *expect)
{
	GError *error = NULL;
	Config *cfg = config_parse(json, strlen(json), "c.json", &error);

	if (cfg)
		fail_msg("accepted: %s", json);
	if (!strstr(error->message, expect))
		fail_msg("%s: message '%s' does not contain '%s'", json, error->message, expect);
	g_error_free(error);
}

/* Reads json as the daemon's start does: the config, with its warnings
 * (transfer full, "" when none) in *warnings; fails on an error. */
static Config *read_warned(const char *json, char **warnings)
{
	Problems *problems = problems_new("c.json");
	Config *cfg = config_read(json, strlen(json), problems);
	g_autofree char *errors = problems_text(problems, PROBLEM_ERROR);

	assert_non_null(cfg);
	if (problems_count(problems, PROBLEM_ERROR) > 0)
		fail_msg("%s: %s", json, errors);
	*warnings = problems_text(problems, PROBLEM_WARNING);
	problems_free(problems);
	return cfg;
}

/* A name no battery service can have, in a list of services to match,
 * matches nothing, as in the Python daemon: a warning naming why, and the
 * config loads (--check-config and a reload take it), the name kept as
 * written.  As the name of a service batagg registers it stays an error. */
static void test_names_that_never_match_are_warnings(void **state)
{
#define N "com.victronenergy.battery.lynx.1"
#define WHY "can never match a service: element \"1\" starts with a digit"
	static const struct {
		const char *json;
		const char *key;
	} lists[] = {
	        {"{\"excludedServices\": [\"" N "\"]}", "excludedServices"},
	        {"{\"primaryServices\": [\"" N "\"]}", "primaryServices"},
	        {"{\"primaryServices\": {\"" N "\": [\"/Soc\"]}}", "primaryServices"},
	        {"{\"auxiliaryServices\": [\"" N "\"]}", "auxiliaryServices"},
	        {"{\"auxiliaryServices\": {\"" N "\": []}}", "auxiliaryServices"},
	        {"{\"virtualBatteries\": {\"com.victronenergy.battery.v\": [\"" N
	         "\", \"com.victronenergy.battery.bms\"]}}",
	         "virtualBatteries"},
	        {"{\"virtualBatteries\": {\"com.victronenergy.battery.v\": {\"" N
	         "\": [\"/Soc\"]}}}",
	         "virtualBatteries"},
	        {"{\"seriesBatteries\": {\"com.victronenergy.battery.s\": [\"" N
	         "\", \"com.victronenergy.battery.m2\"]}}",
	         "seriesBatteries"},
	};
	static const struct {
		const char *json;
		const char *message;
	} registered[] = {
	        {"{\"serviceName\": \"" N "\"}",
	         "key 'serviceName': \"" N "\" is not a battery service name: element \"1\" "
	         "starts with a digit"},
	        {"{\"virtualBatteries\": {\"" N "\": [\"com.victronenergy.battery.bms\"]}}",
	         "key 'virtualBatteries': \"" N "\" is not a battery service name: element "
	         "\"1\" starts with a digit"},
	        {"{\"seriesBatteries\": {\"" N "\": [\"com.victronenergy.battery.m1\"]}}",
	         "key 'seriesBatteries': \"" N "\" is not a battery service name: element "
	         "\"1\" starts with a digit"},
	        /* Names a service batagg publishes, which is none of these. */
	        {"{\"expectedBatteries\": {\"" N "\": 2}}",
	         "key 'expectedBatteries': \"" N "\" is not a service batagg publishes"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(lists); i++) {
		g_autofree char *warnings = NULL;
		g_autofree char *expect =
		        g_strdup_printf("warning: key '%s': \"" N "\" " WHY, lists[i].key);
		GError *error = NULL;
		Config *cfg = read_warned(lists[i].json, &warnings);
		Config *strict =
		        config_parse(lists[i].json, strlen(lists[i].json), "c.json", &error);
		const Config *c = cfg;
		const char *kept = NULL;

		if (!strstr(warnings, expect))
			fail_msg("%s: warnings '%s' do not contain '%s'", lists[i].json, warnings,
			         expect);
		if (!strict)
			fail_msg("%s: refused: %s", lists[i].json, error->message);
		if (c->excluded[0])
			kept = c->excluded[0];
		else if (c->n_primary)
			kept = c->primary[0].name;
		else if (c->n_auxiliary)
			kept = c->auxiliary[0].name;
		else if (c->n_virtuals)
			kept = c->virtuals[0].members[0].name;
		assert_non_null(kept);
		assert_string_equal(kept, N);
		config_free(strict);
		config_free(cfg);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(registered); i++)
		refused(registered[i].json, registered[i].message);
#undef WHY
#undef N
}

/* Other names a bus name cannot be, among the kinds above; a name without
 * the battery prefix is one in the Python daemon's keys, which took any
 * text, but an error as a series battery's module (a key of batagg's). */
static void test_other_names_that_never_match(void **state)
{
	static const struct {
		const char *json;
		const char *warning; /* NULL: an error */
	} cases[] = {
	        {"{\"excludedServices\": [\"com.victronenergy.battery.1\"]}",
	         "\"com.victronenergy.battery.1\" can never match a service: element \"1\" "
	         "starts with a digit"},
	        {"{\"primaryServices\": [\"com.victronenergy.battery.a..b\"]}",
	         "can never match a service: it has an empty element"},
	        {"{\"auxiliaryServices\": [\"com.victronenergy.battery.\"]}",
	         "can never match a service: it has nothing after"},
	        {"{\"excludedServices\": [\"com.victronenergy.battery.ttyS1 \"]}",
	         "can never match a service: it has the character ' '"},
	        {"{\"excludedServices\": [\"com.victronenergy.battery.h\u00e9\"]}",
	         "can never match a service: it has the byte 0xc3"},
	        {"{\"excludedServices\": [\"com.victronenergy.solarcharger.ttyS1\"]}",
	         "\"com.victronenergy.solarcharger.ttyS1\" can never match a service: it must "
	         "start with \"com.victronenergy.battery.\""},
	        {"{\"primaryServices\": [\"class:hooks.FixedValueHook\"]}",
	         "can never match a service: it must start with"},
	        {"{\"virtualBatteries\": {\"com.victronenergy.battery.v\": [\"ttyS1\"]}}",
	         "key 'virtualBatteries': \"ttyS1\" can never match a service: it must start with"},
	        {"{\"seriesBatteries\": {\"com.victronenergy.battery.s\": [\"ttyS1\"]}}", NULL},
	        {"{\"excludedServices\": [\"name:\"]}", NULL},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *warnings = NULL;
		Config *cfg;

		if (!cases[i].warning) {
			refused(cases[i].json, "is not a battery service (");
			continue;
		}
		cfg = read_warned(cases[i].json, &warnings);
		if (!strstr(warnings, cases[i].warning))
			fail_msg("%s: warnings '%s' do not contain '%s'", cases[i].json, warnings,
			         cases[i].warning);
		config_free(cfg);
	}
}

/* The names the config takes for a published service are exactly those
 * libdbus takes as bus names (it aborts on any other), after the prefix;
 * in a list of services to match, any other is a warning. */
static void test_service_names_are_bus_names(void **state)
{
	static const char *const names[] = {
	        "house-bank", "house_bank", "_x", "-x",  "a.b", "x1",  "1x",  "a.1",       "a..b",
	        "a.",         ".a",         "",   "a b", "a/b", "a:b", "a#b", "h\xc3\xa9", "a\\tb",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree char *name = g_strconcat("com.victronenergy.battery.", names[i], NULL);
		g_autofree char *as_service = g_strdup_printf("{\"serviceName\": \"%s\"}", name);
		g_autofree char *as_virtual = g_strdup_printf(
		        "{\"virtualBatteries\": {\"%s\": [\"com.victronenergy.battery.x\"]}}",
		        name);
		g_autofree char *as_member =
		        g_strdup_printf("{\"excludedServices\": [\"%s\"]}", name);
		bool bus = dbus_validate_bus_name(name, NULL);
		const char *const texts[] = {as_service, as_virtual};
		g_autofree char *warnings = NULL;
		Config *member = read_warned(as_member, &warnings);

		/* Kept (as JSON reads it: "\\t" is a tab), and a warning when the
		 * bus refuses it. */
		assert_non_null(member->excluded[0]);
		if (!strchr(name, '\\'))
			assert_string_equal(member->excluded[0], name);
		if (bus != !strstr(warnings, "can never match a service: "))
			fail_msg("%s: the bus says %s, the warnings '%s'", as_member,
			         bus ? "valid" : "invalid", warnings);
		config_free(member);
		for (size_t k = 0; k < G_N_ELEMENTS(texts); k++) {
			GError *error = NULL;
			Config *cfg = config_parse(texts[k], strlen(texts[k]), "c.json", &error);

			if ((cfg != NULL) != bus)
				fail_msg("%s: the bus says %s, the config %s", texts[k],
				         bus ? "valid" : "invalid", cfg ? "valid" : error->message);
			if (!cfg && !strstr(error->message, "is not a battery service name: "))
				fail_msg("%s: %s", texts[k], error->message);
			config_free(cfg);
			g_clear_error(&error);
		}
	}
}

static void test_hook_suffixes(void **state)
{
	static const struct {
		const char *suffix;
		bool ok;
	} cases[] = {
	        {"", true},      {"#", true},      {"#soc", true},
	        {"#2", true},    {"#a-b_C", true}, {"#a b", false},
	        {"#a#b", false}, {"#a.b", false},  {"#\xc3\xa9", false},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *json =
		        g_strdup_printf("{\"virtualBatteries\": {\"com.victronenergy.battery.v\": "
		                        "[\"class:hooks.CustomChargingHook%s\"]}}",
		                        cases[i].suffix);
		GError *error = NULL;
		Config *cfg = config_parse(json, strlen(json), "c.json", &error);

		if ((cfg != NULL) != cases[i].ok)
			fail_msg("%s: %s", json, cfg ? "accepted" : error->message);
		if (!cfg && !strstr(error->message, "a hook's suffix (after '#') has only"))
			fail_msg("%s: %s", json, error->message);
		config_free(cfg);
		g_clear_error(&error);
	}
}

/* Nesting deeper than JSON_MAX_DEPTH stops the parser where it happens,
 * however deep the document goes (no recursion over it). */
static void test_nesting_limit(void **state)
{
	const size_t depths[] = {JSON_MAX_DEPTH + 1, 1000, 100000};
	/* {"classes": {"h": {"a": {"a": ... 1}}}}: the levels 4 and deeper are options. */
	g_autoptr(GString) ok = g_string_new("{\"classes\": {\"h\": ");

	for (int level = 3; level <= JSON_MAX_DEPTH; level++)
		g_string_append(ok, "{\"a\": ");
	g_string_append(ok, "1");
	for (int level = 1; level <= JSON_MAX_DEPTH; level++)
		g_string_append_c(ok, '}');
	config_free(parse(ok->str));

	for (size_t i = 0; i < G_N_ELEMENTS(depths); i++) {
		g_autoptr(GString) arrays = g_string_new(NULL);
		g_autoptr(GString) objects = g_string_new("{\"classes\": {\"h\": ");
		g_autofree char *where = NULL;

		for (size_t level = 0; level < depths[i]; level++)
			g_string_append_c(arrays, '[');
		for (size_t level = 0; level < depths[i]; level++)
			g_string_append_c(arrays, ']');
		refused(arrays->str, "c.json:1:33: nested too deeply: at most 32 levels");
		for (size_t level = 3; level <= depths[i]; level++)
			g_string_append(objects, "{\"a\": ");
		g_string_append(objects, "1");
		for (size_t level = 1; level <= depths[i]; level++)
			g_string_append_c(objects, '}');
		/* Levels 1 and 2 take 18 characters, each further one 6: the
		 * 33rd '{' is at column 18 + 30 * 6 + 1. */
		where = g_strdup_printf("c.json:1:%d: nested too deeply", 18 + 30 * 6 + 1);
		refused(objects->str, where);
	}
}

/* A duplicate key before a syntax error: both are reported. */
static void test_syntax_error_keeps_earlier_problems(void **state)
{
	refused("{\"capacity\": 1, \"capacity\": 2,", "duplicate key 'capacity'");
	refused("{\"capacity\": 1, \"capacity\": 2,", "syntax error");
}

static void test_option_values(void **state)
{
	Config *cfg = parse("{\"classes\": {\"h\": {\"t\": true, \"f\": false, \"n\": 1.50,"
	                    " \"s\": \"x\", \"o\": {\"p\": {\"q\": \"deep\"}}, \"e\": {}}}}");
	static const struct {
		const char *key, *text;
		int type;
		double number;
	} want[] = {
	        {"t", "true", BATAGG_OPTION_BOOL, 1},     {"f", "false", BATAGG_OPTION_BOOL, 0},
	        {"n", "1.50", BATAGG_OPTION_NUMBER, 1.5}, {"s", "x", BATAGG_OPTION_TEXT, 0},
	        {"o/p/q", "deep", BATAGG_OPTION_TEXT, 0},
	};

	assert_int_equal(cfg->classes[0].n_options, G_N_ELEMENTS(want));
	for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
		const ConfigOption *o = &cfg->classes[0].options[i];

		assert_string_equal(o->key, want[i].key);
		assert_string_equal(o->text, want[i].text);
		assert_int_equal(o->type, want[i].type);
		assert_true(o->number == want[i].number);
	}
	config_free(cfg);
	refused("{\"classes\": {\"hooks.FixedValueHook\": {\"value\": [1]}}}",
	        "c.json:1:48: key 'classes.hooks.FixedValueHook.value': expected a number, a "
	        "string, a "
	        "boolean or an object, got an array");
	refused("{\"classes\": {\"h#1\": {\"ccls\": {\"52.5\": null}}}}",
	        "key 'classes.h#1.ccls.52.5': expected a number, a string, a boolean or an object, "
	        "got null");
	refused("{\"classes\": {\"h\": {\"a\": [], \"b\": null}}}", "key 'classes.h.b'");
}

#define V "com.victronenergy.battery."

/* A virtual battery may list another; it may not list itself, the
 * aggregate, or one that lists it back. */
static void test_virtual_batteries_and_loops(void **state)
{
	static const struct {
		const char *json;
		const char *problem; /* NULL: accepted */
	} cases[] = {
	        {"{\"virtualBatteries\": {\"" V "a\": [\"" V "b\"], \"" V "b\": [\"" V "x\"]}}",
	         NULL},
	        {"{\"virtualBatteries\": {\"" V "a\": [\"" V "b\", \"" V "c\"], \"" V "b\": [\"" V
	         "c\"], \"" V "c\": [\"" V "x\"]}}",
	         NULL},
	        {"{\"virtualBatteries\": {\"" V "a\": [\"" V "a\"]}}",
	         "c.json:1:54: key 'virtualBatteries': virtual battery \"" V "a\" lists itself"},
	        {"{\"virtualBatteries\": {\"" V "a\": {\"" V "a\": [\"/Soc\"]}}}", "lists itself"},
	        {"{\"virtualBatteries\": {\"" V "a\": [\"" V "b\"], \"" V "b\": [\"" V "a\"]}}",
	         "virtual batteries in a loop: \"" V "a\" lists \"" V "b\", \"" V "b\" lists \"" V
	         "a\""},
	        {"{\"virtualBatteries\": {\"" V "a\": [\"" V "b\"], \"" V "b\": [\"" V "c\"], \"" V
	         "c\": [\"x\", \"" V "b\"]}}",
	         "virtual batteries in a loop: \"" V "b\" lists \"" V "c\", \"" V "c\" lists \"" V
	         "b\""},
	        {"{\"virtualBatteries\": {\"" V "a\": [\"" V "aggregator\"]}}",
	         "virtual battery \"" V "a\" lists the aggregate \"" V "aggregator\""},
	        {"{\"serviceName\": \"" V "agg2\", \"virtualBatteries\": {\"" V "a\": [\"" V
	         "agg2\"]}}",
	         "lists the aggregate \"" V "agg2\""},
	        /* Another instance's aggregate is a battery like any other. */
	        {"{\"serviceName\": \"" V "agg2\", \"virtualBatteries\": {\"" V "a\": [\"" V
	         "aggregator\"]}}",
	         NULL},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		if (cases[i].problem)
			refused(cases[i].json, cases[i].problem);
		else
			config_free(parse(cases[i].json));
	}
}

/* A long chain of virtual batteries, closed into a loop at the end: found
 * without recursion, reported once. */
static void test_long_loop(void **state)
{
	g_autoptr(GString) json = g_string_new("{\"virtualBatteries\": {");
	const int n = 20000;
	GError *error = NULL;

	for (int i = 0; i < n; i++)
		g_string_append_printf(json, "%s\"" V "v%d\": [\"" V "v%d\"]", i ? ", " : "", i,
		                       (i + 1) % n);
	g_string_append(json, "}}");
	assert_null(config_parse(json->str, json->len, "c.json", &error));
	assert_non_null(strstr(error->message, "virtual batteries in a loop: \"" V "v0\" lists"));
	assert_null(strchr(error->message, '\n'));
	g_error_free(error);
}

/* Large configs take time in proportion to their size: duplicate keys are
 * looked up, and positions found from the last one (meson's timeout would
 * catch the quadratic time these took: minutes for 100,000 keys). */
static void test_large_configs(void **state)
{
	const int n = 100000;
	g_autoptr(GString) keys = g_string_new("{\"classes\": {\"h\": {");
	g_autoptr(GString) problems = g_string_new("{\"classes\": {\"h\": {");
	g_autofree char *last = g_strdup_printf("c.json:%d:11: key 'classes.h.k%d'", n + 1, n - 1);
	GError *error = NULL;
	const char *dup;

	for (int i = 0; i < n; i++) {
		g_string_append_printf(keys, "\"k%d\": 1, ", i);
		g_string_append_printf(problems, "%s\n\"k%d\": []", i ? "," : "", i);
	}
	g_string_append(keys, "\"k5\": 2}}}");
	g_string_append(problems, "}}}");
	assert_null(config_parse(keys->str, keys->len, "c.json", &error));
	dup = strstr(error->message, "duplicate key 'k5'");
	assert_non_null(dup);
	assert_null(strstr(dup + 1, "duplicate key"));
	g_clear_error(&error);
	assert_null(config_parse(problems->str, problems->len, "c.json", &error));
	assert_non_null(strstr(error->message, last));
	g_error_free(error);
}

/* The default merge policies, every path's as it was when the series table
 * came to list only its overrides of the parallel one: the parallel table
 * (the limits have none), and the series table (every path, the limits
 * too). */
static void test_default_policies(void **state)
{
	static const struct {
		PathId path;
		const char *policy;
	} parallel[] =
	        {
	                {P_CURRENT, "sum"},
	                {P_VOLTAGE, "mean"},
	                {P_POWER, "sum"},
	                {P_TEMPERATURE, "max"},
	                {P_SOC, "mean"},
	                {P_TIME_TO_GO, "mean"},
	                {P_CAPACITY, "sum"},
	                {P_INSTALLED_CAPACITY, "sum"},
	                {P_CONSUMED_AH, "sum"},
	                {P_BALANCING, "any"},
	                {P_BATTERY_LOW_VOLTAGE, "max"},
	                {P_ALLOW_TO_CHARGE, "any"},
	                {P_ALLOW_TO_DISCHARGE, "any"},
	                {P_ALLOW_TO_BALANCE, "any"},
	                {P_MIN_CELL_TEMPERATURE, "min"},
	                {P_MIN_TEMPERATURE_CELL_ID, "min_label"},
	                {P_MIN_CELL_VOLTAGE, "min"},
	                {P_MIN_VOLTAGE_CELL_ID, "min_label"},
	                {P_MAX_CELL_TEMPERATURE, "max"},
	                {P_MAX_TEMPERATURE_CELL_ID, "max_label"},
	                {P_MAX_CELL_VOLTAGE, "max"},
	                {P_MAX_VOLTAGE_CELL_ID, "max_label"},
	                {P_MODULES_BLOCKING_CHARGE, "sum_or_zero"},
	                {P_MODULES_BLOCKING_DISCHARGE, "sum_or_zero"},
	                {P_MODULES_ONLINE, "sum_or_zero"},
	                {P_MODULES_OFFLINE, "sum_or_zero"},
	                {P_ALARM_CELL_IMBALANCE, "alarm"},
	                {P_ALARM_LOW_SOC, "alarm"},
	                {P_ALARM_HIGH_DISCHARGE_CURRENT, "alarm"},
	                {P_ALARM_LOW_VOLTAGE, "alarm"},
	                {P_ALARM_HIGH_VOLTAGE, "alarm"},
	                {P_ALARM_LOW_CELL_VOLTAGE, "alarm"},
	                {P_ALARM_HIGH_CELL_VOLTAGE, "alarm"},
	                {P_ALARM_LOW_TEMPERATURE, "alarm"},
	                {P_ALARM_HIGH_TEMPERATURE, "alarm"},
	                {P_ALARM_LOW_CHARGE_TEMPERATURE, "alarm"},
	                {P_ALARM_HIGH_CHARGE_TEMPERATURE, "alarm"},
	                {P_ALARM_BMS_CABLE, "alarm"},
	                {P_ALARM_INTERNAL_FAILURE, "alarm"},
	                {P_CHARGE_MODE, "charge_mode"},
	        },
	  series[] = {
	          {P_CURRENT, "mean"},
	          {P_VOLTAGE, "sum"},
	          {P_POWER, "sum"},
	          {P_TEMPERATURE, "max"},
	          {P_SOC, "min"},
	          {P_TIME_TO_GO, "min"},
	          {P_CAPACITY, "min"},
	          {P_INSTALLED_CAPACITY, "min"},
	          {P_CONSUMED_AH, "max"},
	          {P_BALANCING, "any"},
	          {P_BATTERY_LOW_VOLTAGE, "sum"},
	          {P_ALLOW_TO_CHARGE, "all"},
	          {P_ALLOW_TO_DISCHARGE, "all"},
	          {P_ALLOW_TO_BALANCE, "all"},
	          {P_MIN_CELL_TEMPERATURE, "min"},
	          {P_MIN_TEMPERATURE_CELL_ID, "min_label"},
	          {P_MIN_CELL_VOLTAGE, "min"},
	          {P_MIN_VOLTAGE_CELL_ID, "min_label"},
	          {P_MAX_CELL_TEMPERATURE, "max"},
	          {P_MAX_TEMPERATURE_CELL_ID, "max_label"},
	          {P_MAX_CELL_VOLTAGE, "max"},
	          {P_MAX_VOLTAGE_CELL_ID, "max_label"},
	          {P_MODULES_BLOCKING_CHARGE, "sum_or_zero"},
	          {P_MODULES_BLOCKING_DISCHARGE, "sum_or_zero"},
	          {P_MODULES_ONLINE, "sum_or_zero"},
	          {P_MODULES_OFFLINE, "sum_or_zero"},
	          {P_ALARM_CELL_IMBALANCE, "alarm"},
	          {P_ALARM_LOW_SOC, "alarm"},
	          {P_ALARM_HIGH_DISCHARGE_CURRENT, "alarm"},
	          {P_ALARM_LOW_VOLTAGE, "alarm"},
	          {P_ALARM_HIGH_VOLTAGE, "alarm"},
	          {P_ALARM_LOW_CELL_VOLTAGE, "alarm"},
	          {P_ALARM_HIGH_CELL_VOLTAGE, "alarm"},
	          {P_ALARM_LOW_TEMPERATURE, "alarm"},
	          {P_ALARM_HIGH_TEMPERATURE, "alarm"},
	          {P_ALARM_LOW_CHARGE_TEMPERATURE, "alarm"},
	          {P_ALARM_HIGH_CHARGE_TEMPERATURE, "alarm"},
	          {P_ALARM_BMS_CABLE, "alarm"},
	          {P_ALARM_INTERNAL_FAILURE, "alarm"},
	          {P_CHARGE_MODE, "charge_mode"},
	          {P_CCL, "min"},
	          {P_DCL, "min"},
	          {P_CVL, "sum"},
	  };
	const char *want[N_BATTERY_PATHS] = {NULL};

	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(parallel); i++)
		want[parallel[i].path] = parallel[i].policy;
	for (int p = 0; p < N_BATTERY_PATHS; p++) {
		if (want[p])
			assert_string_equal(defaults.policy[p], want[p]);
		else
			assert_null(defaults.policy[p]);
	}
	assert_int_equal(G_N_ELEMENTS(series), N_BATTERY_PATHS);
	for (size_t i = 0; i < G_N_ELEMENTS(series); i++)
		want[series[i].path] = series[i].policy;
	for (int p = 0; p < N_BATTERY_PATHS; p++)
		assert_string_equal(defaults.series_policy[p], want[p]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_defaults),
	        cmocka_unit_test(test_forms),
	        cmocka_unit_test(test_missing_file_means_defaults),
	        cmocka_unit_test(test_good_corpus),
	        cmocka_unit_test(test_bad_corpus),
	        cmocka_unit_test(test_warn_corpus),
	        cmocka_unit_test(test_examples_parse),
	        cmocka_unit_test(test_all_problems_reported),
	        cmocka_unit_test(test_all_strategy_problems_reported),
	        cmocka_unit_test(test_problem_said_once),
	        cmocka_unit_test(test_names_that_never_match_are_warnings),
	        cmocka_unit_test(test_other_names_that_never_match),
	        cmocka_unit_test(test_service_names_are_bus_names),
	        cmocka_unit_test(test_hook_suffixes),
	        cmocka_unit_test(test_nesting_limit),
	        cmocka_unit_test(test_syntax_error_keeps_earlier_problems),
	        cmocka_unit_test(test_option_values),
	        cmocka_unit_test(test_virtual_batteries_and_loops),
	        cmocka_unit_test(test_long_loop),
	        cmocka_unit_test(test_large_configs),
	        cmocka_unit_test(test_default_policies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
