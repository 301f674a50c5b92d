/* SPDX-License-Identifier: MIT */
/*
 * The daemon's start on configs with problems (core/daemon/startup.h): it runs
 * what it can use, says so in its log and on the aggregate, takes the keys
 * that decide membership from the last good config, and refuses where
 * guessing could be unsafe.  --check-config stays strict on every file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"

#define AGG "com.victronenergy.battery.aggregator"
#define S1 "com.victronenergy.battery.ttyS1"
#define S2 "com.victronenergy.battery.ttyS2"
#define SHUNT "com.victronenergy.battery.shunt"
#define WAIT_MS 10000
#define PROBLEM_TEXT "config problem: see the log"

/* Two BMSes and a shunt the config means to exclude: counted, the shunt
 * would make three batteries and pull /Soc towards its 50 %. */
static const char scenario[] =
        "{\"dvcc\": 1, \"batteries\": {"
        " \"" S1 "\": {\"/Dc/0/Voltage\": 53.1, \"/Soc\": 80.0,"
        "  \"/Info/MaxChargeCurrent\": 100.0, \"/Info/MaxDischargeCurrent\": 150.0,"
        "  \"/Info/MaxChargeVoltage\": 55.2},"
        " \"" S2 "\": {\"/Dc/0/Voltage\": 53.3, \"/Soc\": 70.0,"
        "  \"/Info/MaxChargeCurrent\": 50.0, \"/Info/MaxDischargeCurrent\": 100.0,"
        "  \"/Info/MaxChargeVoltage\": 55.0},"
        " \"" SHUNT "\": {\"/Dc/0/Voltage\": 53.2, \"/Soc\": 50.0}}}";

static const char good[] = "{\"excludedServices\": [\"" SHUNT "\"],\n"
                           " \"currentRatioMethod\": \"count\"}";

typedef struct {
	Harness *h;
	const char *config;
	const char *log;
	GPid agg;
} Run;

static const char *env(const char *name)
{
	const char *v = g_getenv(name);

	if (!v)
		fail_msg("%s is not set (run through meson test)", name);
	return v;
}

static Run *run_new(const char *config_text)
{
	Run *r = g_new0(Run, 1);
	const char *scen;
	int fd;

	r->h = harness_new();
	scen = harness_write_file(r->h, "scenario.json", scenario);
	r->config = harness_write_file(r->h, "config.json", config_text);
	r->log = harness_write_file(r->h, "batagg.log", "");
	{
		char *sim[] = {(char *)env("BATSIM"), (char *)scen, NULL};

		harness_spawn(r->h, sim, &fd);
	}
	assert_true(harness_wait_name(r->h, SHUNT, WAIT_MS));
	return r;
}

static GPid start(Run *r)
{
	char *agg[] = {(char *)env("BATAGG"), (char *)"--config", (char *)r->config, NULL};

	r->agg = harness_spawn_logged(r->h, agg, r->log);
	return r->agg;
}

static void run_free(Run *r)
{
	harness_free(r->h);
	g_free(r);
}

static void expect(Run *r, const char *path, double x)
{
	if (!harness_wait_number(r->h, AGG, path, x, WAIT_MS))
		fail_msg("%s never became %g", path, x);
}

static void expect_text(Run *r, const char *path, const char *text)
{
	Value v = value_text(text);
	bool ok = harness_wait_value(r->h, AGG, path, &v, WAIT_MS);

	value_clear(&v);
	if (!ok)
		fail_msg("%s never became '%s'", path, text);
}

static void said(Run *r, const char *text)
{
	if (!harness_wait_text(r->log, text, WAIT_MS))
		fail_msg("the log never said '%s'", text);
}

/* --check-config's exit status for the config file. */
static int check(Run *r)
{
	char *argv[] = {(char *)env("BATAGG"), (char *)"--check-config", (char *)r->config, NULL};
	g_auto(GStrv) cmd = harness_command(argv);
	int status = -1;

	/* Under emulation cmd starts with the wrapper (qemu-arm), found in PATH. */
	assert_true(g_spawn_sync(NULL, cmd, NULL,
	                         G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
	                                 G_SPAWN_STDERR_TO_DEV_NULL,
	                         NULL, NULL, NULL, NULL, &status, NULL));
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* The aggregate as the good config makes it: two batteries, their mean
 * SoC, the count method's CCL. */
static void expect_good_bank(Run *r)
{
	expect(r, "/System/NrOfBatteries", 2);
	expect(r, "/Soc", 75.0);
	expect(r, "/Info/MaxChargeCurrent", 100.0);
}

static void write_config(Run *r, const char *text)
{
	assert_true(g_file_set_contents(r->config, text, -1, NULL));
}

/* Keys with problems run at their defaults; the rest as written. */
static void test_keys_with_problems_keep_defaults(void **state)
{
	Run *r = run_new("{\"excludedServices\": [\"" SHUNT "\"],\n"
	                 " \"cvlMode\": 5, \"colour\": \"red\",\n"
	                 " \"currentRatioMethod\": \"count\"}");

	assert_int_equal(check(r), 1);
	start(r);
	assert_true(harness_wait_name(r->h, AGG, WAIT_MS));
	expect_good_bank(r);
	/* cvlMode at its default: the lowest CVL while nothing balances. */
	expect(r, "/Info/MaxChargeVoltage", 55.0);
	said(r, "WARNING:batagg: ");
	said(r, "config.json:2:13: key 'cvlMode': expected a string, got a number");
	said(r, "config.json:2:16: unknown key 'colour'");
	said(r, "key 'cvlMode' has a problem (above): batagg runs with its default");
	said(r, "'colour' is no key batagg knows (above): ignored");
	expect(r, "/Alarms/InternalFailure", 1);
	expect_text(r, "/ConfigProblem", PROBLEM_TEXT);

	/* A reload stays strict: a bad file is refused, the running config
	 * kept. */
	write_config(r, "{\"cvlMode\": ");
	kill(r->agg, SIGHUP);
	said(r, "reload refused, keeping the running config");
	expect(r, "/Alarms/InternalFailure", 1);
	expect_good_bank(r);

	/* A good one clears the alarm and becomes the last good config. */
	write_config(r, good);
	kill(r->agg, SIGHUP);
	expect(r, "/Alarms/InternalFailure", 0);
	expect_text(r, "/ConfigProblem", "");
	expect_good_bank(r);
	{
		g_autofree char *kept_path = g_strconcat(r->config, ".last-good", NULL);
		g_autofree char *kept = NULL;

		assert_true(g_file_get_contents(kept_path, &kept, NULL, NULL));
		assert_string_equal(kept, good);
	}
	run_free(r);
}

/* A first run with the good config leaves its copy; the file is then
 * replaced by text. */
static Run *after_good_run(const char *text)
{
	Run *r = run_new(good);

	start(r);
	assert_true(harness_wait_name(r->h, AGG, WAIT_MS));
	expect_good_bank(r);
	expect(r, "/Alarms/InternalFailure", 0);
	assert_int_equal(harness_terminate(r->h, r->agg, WAIT_MS), 0);
	write_config(r, text);
	return r;
}

/* A file that is no JSON runs the last good config, exclusions and all. */
static void test_broken_json_runs_last_good(void **state)
{
	Run *r = after_good_run("{\"excludedServices\": [\"" SHUNT "\"");

	assert_int_equal(check(r), 1);
	start(r);
	assert_true(harness_wait_name(r->h, AGG, WAIT_MS));
	expect_good_bank(r);
	said(r, "ERROR:batagg: ");
	said(r, "config.json: batagg runs the last good config");
	expect(r, "/Alarms/InternalFailure", 1);
	expect_text(r, "/ConfigProblem", PROBLEM_TEXT);
	run_free(r);
}

/* A membership key with a problem: its value from the last good config. */
static void test_membership_from_last_good(void **state)
{
	Run *r = after_good_run("{\"excludedServices\": \"" SHUNT "\",\n"
	                        " \"currentRatioMethod\": \"count\", \"cvlMode\": \"max_always\"}");

	assert_int_equal(check(r), 1);
	start(r);
	assert_true(harness_wait_name(r->h, AGG, WAIT_MS));
	expect_good_bank(r);
	said(r, "key 'excludedServices': expected an array, got a string");
	said(r, "as in the last good config");
	/* The rest of the file counts: the highest CVL. */
	expect(r, "/Info/MaxChargeVoltage", 55.2);
	expect(r, "/Alarms/InternalFailure", 1);
	run_free(r);
}

/* Without a last good config, batagg does not guess what to exclude. */
static void test_refuses_without_last_good(void **state)
{
	static const char *const files[] = {
	        "{\"excludedServices\": [\"" SHUNT "\"",                        /* no JSON */
	        "[\"" SHUNT "\"]",                                              /* no object */
	        "{\"excludedServices\": \"" SHUNT "\"}",                        /* wrong type */
	        "{\"virtualBatteries\": {\"" S1 "\": [\"class:hooks.Nope\"]}}", /* unknown hook */
	};

	for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
		Run *r = run_new(files[i]);
		int status;

		start(r);
		status = harness_wait_exit(r->h, r->agg, WAIT_MS);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
			fail_msg("'%s': batagg did not refuse to start (status %d)", files[i],
			         status);
		said(r, "refusing to start: ");
		assert_false(harness_has_name(r->h, AGG));
		assert_int_equal(check(r), 1);
		run_free(r);
	}
}

/* Excluded and primary: a warning, and the service is used as primary
 * (the Python daemon's users wrote this often). */
static void test_excluded_and_primary(void **state)
{
	Run *r = run_new("{\"excludedServices\": [\"" SHUNT "\"],\n"
	                 " \"primaryServices\": {\"" SHUNT "\": [\"/Soc\"]}}");

	assert_int_equal(check(r), 0);
	start(r);
	assert_true(harness_wait_name(r->h, AGG, WAIT_MS));
	expect(r, "/System/NrOfBatteries", 2);
	expect(r, "/Soc", 50.0);
	said(r, "is in excludedServices and in primaryServices: batagg uses it as a primary "
	        "service, never as a member of the aggregate");
	/* Warnings only: nothing runs at a default. */
	expect(r, "/Alarms/InternalFailure", 0);
	expect_text(r, "/ConfigProblem", "");
	run_free(r);
}

/* A sample of the configs the Python daemon's users write (the corpus of
 * tests/config/old_daemon_corpus.py, every one of which --check-config
 * accepts): the daemon runs each, and has nothing to alarm about. */
static void test_old_configs_run(void **state)
{
	const char *corpus = g_getenv("BATAGG_OLD_CONFIGS");
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	Run *r;
	int ran = 0;

	if (!corpus)
		skip(); /* no python3 to make the corpus */
	assert_true(g_file_get_contents(corpus, &text, NULL, NULL));
	lines = g_strsplit(text, "\n", -1);
	r = run_new("{}");
	for (size_t i = 0; lines[i] && lines[i][0]; i += 20) {
		const char *name = strstr(lines[i], "aggregator2") ? AGG "2" : AGG;

		write_config(r, lines[i]);
		start(r);
		if (!harness_wait_name(r->h, name, WAIT_MS))
			fail_msg("config %zu did not run: %s", i + 1, lines[i]);
		if (!harness_wait_number(r->h, name, "/Alarms/InternalFailure", 0, WAIT_MS))
			fail_msg("config %zu runs with problems: %s", i + 1, lines[i]);
		assert_int_equal(harness_terminate(r->h, r->agg, WAIT_MS), 0);
		ran++;
	}
	print_message("# %d configs of the Python daemon's forms ran\n", ran);
	assert_true(ran >= 15);
	run_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_keys_with_problems_keep_defaults),
	        cmocka_unit_test(test_broken_json_runs_last_good),
	        cmocka_unit_test(test_membership_from_last_good),
	        cmocka_unit_test(test_refuses_without_last_good),
	        cmocka_unit_test(test_excluded_and_primary),
	        cmocka_unit_test(test_old_configs_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
