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

/* The simulator, and batagg ready to start on config_text, its output in
 * a log. */
static HarnessBank *run_new(const char *config_text)
{
	return harness_bank_start(&(HarnessBankOptions){.scenario = scenario,
	                                                .sim_ready = {SHUNT},
	                                                .config = config_text,
	                                                .agg_logged = true,
	                                                .agg_later = true});
}

static void said(HarnessBank *r, const char *text)
{
	if (!harness_wait_text(r->log, text, WAIT_MS))
		fail_msg("the log never said '%s'", text);
}

/* --check-config's exit status for the config file. */
static int check(HarnessBank *r)
{
	char *argv[] = {(char *)harness_env("BATAGG"), (char *)"--check-config", (char *)r->config,
	                NULL};
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
static void expect_good_bank(HarnessBank *r)
{
	harness_expect_number(r->h, AGG, "/System/NrOfBatteries", 2);
	harness_expect_number(r->h, AGG, "/Soc", 75.0);
	harness_expect_number(r->h, AGG, "/Info/MaxChargeCurrent", 100.0);
}

static void write_config(HarnessBank *r, const char *text)
{
	assert_true(g_file_set_contents(r->config, text, -1, NULL));
}

/* Keys with problems run at their defaults; the rest as written. */
static void test_keys_with_problems_keep_defaults(void **state)
{
	HarnessBank *r = run_new("{\"excludedServices\": [\"" SHUNT "\"],\n"
	                         " \"cvlMode\": 5, \"colour\": \"red\",\n"
	                         " \"currentRatioMethod\": \"count\"}");

	assert_int_equal(check(r), 1);
	harness_bank_start_agg(r);
	assert_true(harness_wait_name(r->h, AGG, WAIT_MS));
	expect_good_bank(r);
	/* cvlMode at its default: the lowest CVL while nothing balances. */
	harness_expect_number(r->h, AGG, "/Info/MaxChargeVoltage", 55.0);
	said(r, "WARNING:batagg: ");
	said(r, "config.json:2:13: key 'cvlMode': expected a string, got a number");
	said(r, "config.json:2:16: unknown key 'colour'");
	said(r, "key 'cvlMode' has a problem (above): batagg runs with its default");
	said(r, "'colour' is no key batagg knows (above): ignored");
	harness_expect_number(r->h, AGG, "/Alarms/InternalFailure", 1);
	harness_expect_text(r->h, AGG, "/ConfigProblem", PROBLEM_TEXT);

	/* A reload stays strict: a bad file is refused, the running config
	 * kept. */
	write_config(r, "{\"cvlMode\": ");
	kill(r->agg, SIGHUP);
	said(r, "reload refused, keeping the running config");
	harness_expect_number(r->h, AGG, "/Alarms/InternalFailure", 1);
	expect_good_bank(r);

	/* A good one clears the alarm and becomes the last good config. */
	write_config(r, good);
	kill(r->agg, SIGHUP);
	harness_expect_number(r->h, AGG, "/Alarms/InternalFailure", 0);
	harness_expect_text(r->h, AGG, "/ConfigProblem", "");
	expect_good_bank(r);
	{
		g_autofree char *kept_path = g_strconcat(r->config, ".last-good", NULL);
		g_autofree char *kept = NULL;

		assert_true(g_file_get_contents(kept_path, &kept, NULL, NULL));
		assert_string_equal(kept, good);
	}
	harness_bank_free(r);
}

/* A first run with the good config leaves its copy; the file is then
 * replaced by text. */
static HarnessBank *after_good_run(const char *text)
{
	HarnessBank *r = run_new(good);

	harness_bank_start_agg(r);
	assert_true(harness_wait_name(r->h, AGG, WAIT_MS));
	expect_good_bank(r);
	harness_expect_number(r->h, AGG, "/Alarms/InternalFailure", 0);
	assert_int_equal(harness_terminate(r->h, r->agg, WAIT_MS), 0);
	write_config(r, text);
	return r;
}

/* A file that is no JSON runs the last good config, exclusions and all. */
static void test_broken_json_runs_last_good(void **state)
{
	HarnessBank *r = after_good_run("{\"excludedServices\": [\"" SHUNT "\"");

	assert_int_equal(check(r), 1);
	harness_bank_start_agg(r);
	assert_true(harness_wait_name(r->h, AGG, WAIT_MS));
	expect_good_bank(r);
	said(r, "ERROR:batagg: ");
	said(r, "config.json: batagg runs the last good config");
	harness_expect_number(r->h, AGG, "/Alarms/InternalFailure", 1);
	harness_expect_text(r->h, AGG, "/ConfigProblem", PROBLEM_TEXT);
	harness_bank_free(r);
}

/* A membership key with a problem: its value from the last good config. */
static void test_membership_from_last_good(void **state)
{
	HarnessBank *r =
	        after_good_run("{\"excludedServices\": \"" SHUNT "\",\n"
	                       " \"currentRatioMethod\": \"count\", \"cvlMode\": \"max_always\"}");

	assert_int_equal(check(r), 1);
	harness_bank_start_agg(r);
	assert_true(harness_wait_name(r->h, AGG, WAIT_MS));
	expect_good_bank(r);
	said(r, "key 'excludedServices': expected an array, got a string");
	said(r, "as in the last good config");
	/* The rest of the file counts: the highest CVL. */
	harness_expect_number(r->h, AGG, "/Info/MaxChargeVoltage", 55.2);
	harness_expect_number(r->h, AGG, "/Alarms/InternalFailure", 1);
	harness_bank_free(r);
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
		HarnessBank *r = run_new(files[i]);
		int status;

		harness_bank_start_agg(r);
		status = harness_wait_exit(r->h, r->agg, WAIT_MS);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
			fail_msg("'%s': batagg did not refuse to start (status %d)", files[i],
			         status);
		said(r, "refusing to start: ");
		assert_false(harness_has_name(r->h, AGG));
		assert_int_equal(check(r), 1);
		harness_bank_free(r);
	}
}

/* Excluded and primary: a warning, and the service is used as primary
 * (the Python daemon's users wrote this often). */
static void test_excluded_and_primary(void **state)
{
	HarnessBank *r = run_new("{\"excludedServices\": [\"" SHUNT "\"],\n"
	                         " \"primaryServices\": {\"" SHUNT "\": [\"/Soc\"]}}");

	assert_int_equal(check(r), 0);
	harness_bank_start_agg(r);
	assert_true(harness_wait_name(r->h, AGG, WAIT_MS));
	harness_expect_number(r->h, AGG, "/System/NrOfBatteries", 2);
	harness_expect_number(r->h, AGG, "/Soc", 50.0);
	said(r, "is in excludedServices and in primaryServices: batagg uses it as a primary "
	        "service, never as a member of the aggregate");
	/* Warnings only: nothing runs at a default. */
	harness_expect_number(r->h, AGG, "/Alarms/InternalFailure", 0);
	harness_expect_text(r->h, AGG, "/ConfigProblem", "");
	harness_bank_free(r);
}

/* A sample of the configs the Python daemon's users write (the corpus of
 * tests/config/old_daemon_corpus.py, every one of which --check-config
 * accepts): the daemon runs each, and has nothing to alarm about. */
static void test_old_configs_run(void **state)
{
	const char *corpus = g_getenv("BATAGG_OLD_CONFIGS");
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	HarnessBank *r;
	int ran = 0;

	if (!corpus)
		skip(); /* no python3 to make the corpus */
	assert_true(g_file_get_contents(corpus, &text, NULL, NULL));
	lines = g_strsplit(text, "\n", -1);
	r = run_new("{}");
	for (size_t i = 0; lines[i] && lines[i][0]; i += 20) {
		const char *name = strstr(lines[i], "aggregator2") ? AGG "2" : AGG;

		write_config(r, lines[i]);
		harness_bank_start_agg(r);
		if (!harness_wait_name(r->h, name, WAIT_MS))
			fail_msg("config %zu did not run: %s", i + 1, lines[i]);
		if (!harness_wait_number(r->h, name, "/Alarms/InternalFailure", 0, WAIT_MS))
			fail_msg("config %zu runs with problems: %s", i + 1, lines[i]);
		assert_int_equal(harness_terminate(r->h, r->agg, WAIT_MS), 0);
		ran++;
	}
	print_message("# %d configs of the Python daemon's forms ran\n", ran);
	assert_true(ran >= 15);
	harness_bank_free(r);
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
