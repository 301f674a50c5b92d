/* SPDX-License-Identifier: MIT */
/*
 * Strategies chosen in config.json change what the real daemon publishes
 * (SPEC.md 5.4-5.7, 7); a third-party plugin is loaded by name; bad plugins
 * and unknown names give their clear errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "harness.h"

#define AGG "com.victronenergy.battery.aggregator"
#define S1 "com.victronenergy.battery.ttyS1"
#define S2 "com.victronenergy.battery.ttyS2"
#define WAIT_MS 10000

static const char scenario[] =
        "{\"dvcc\": 1, \"userMaxChargeCurrent\": 80, \"batteries\": {"
        " \"" S1 "\": {\"/Dc/0/Voltage\": 53.1, \"/InstalledCapacity\": 280.0,"
        "  \"/Info/MaxChargeCurrent\": 100.0, \"/Info/MaxDischargeCurrent\": 150.0,"
        "  \"/Info/MaxChargeVoltage\": 55.2, \"/Balancing\": 0},"
        " \"" S2 "\": {\"/Dc/0/Voltage\": 53.3, \"/InstalledCapacity\": 100.0,"
        "  \"/Info/MaxChargeCurrent\": 50.0, \"/Info/MaxDischargeCurrent\": 100.0,"
        "  \"/Info/MaxChargeVoltage\": 55.0, \"/Balancing\": 0}}}";

/* Runs batagg with config on a bus with the two batteries above; extra is
 * one more argument (or NULL). */
static HarnessBank *run(const char *config, const char *extra)
{
	return harness_bank_start(&(HarnessBankOptions){
	        .scenario = scenario, .sim_ready = {S1}, .config = config, .agg_arg = extra});
}

static void test_ratio_methods_and_ccl_modes(void **state)
{
	static const struct {
		const char *config;
		double ccl, dcl;
	} cases[] = {
	        /* No IR estimate yet: ir falls back to capacity. */
	        {"{}", 80, 150.0 * 380 / 280},
	        {"{\"currentRatioMethod\": \"capacity\"}", 80, 150.0 * 380 / 280},
	        {"{\"currentRatioMethod\": \"count\"}", 80, 200},
	        {"{\"cclMode\": \"battery\"}", 100.0 * 380 / 280, 150.0 * 380 / 280},
	        {"{\"cclMode\": \"dvcc\"}", 80, 150.0 * 380 / 280},
	        {"{\"currentRatioMethod\": \"count\", \"cclMode\": \"battery\"}", 100, 200},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		HarnessBank *b = run(cases[i].config, NULL);

		print_message("# %s\n", cases[i].config);
		harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", cases[i].ccl);
		harness_expect_number(b->h, AGG, "/Info/MaxDischargeCurrent", cases[i].dcl);
		harness_bank_free(b);
	}
}

static void test_cvl_modes(void **state)
{
	static const struct {
		const char *config;
		double idle, balancing;
	} cases[] = {
	        {"{}", 55.0, 55.2},
	        {"{\"cvlMode\": \"min_when_balancing\"}", 55.0, 55.0},
	        {"{\"cvlMode\": \"max_always\"}", 55.2, 55.2},
	        /* The user's DVCC voltage, and none without one: a CVL is > 0 or
	         * invalid, never 0. */
	        {"{\"cvlMode\": \"dvcc\"}", NAN, NAN},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		HarnessBank *b = run(cases[i].config, NULL);

		print_message("# %s\n", cases[i].config);
		harness_expect_number(b->h, AGG, "/Info/MaxChargeVoltage", cases[i].idle);
		harness_send(b->sim, "set " S2 " /Balancing 1");
		harness_expect_number(b->h, AGG, "/Balancing", 1);
		harness_expect_number(b->h, AGG, "/Info/MaxChargeVoltage", cases[i].balancing);
		harness_bank_free(b);
	}
}

static char *example_dir(void)
{
	return g_strdup_printf("--plugin-dir=%s", harness_env("BATAGG_EXAMPLE_PLUGIN_DIR"));
}

static void test_example_plugin_by_name(void **state)
{
	g_autofree char *flag = example_dir();
	HarnessBank *b = run("{\"cvlMode\": \"fixed\"}", flag);

	harness_expect_number(b->h, AGG, "/Info/MaxChargeVoltage", 54.0);
	harness_send(b->sim, "settings /Settings/SystemSetup/MaxChargeVoltage 53.5");
	harness_expect_number(b->h, AGG, "/Info/MaxChargeVoltage", 53.5);
	harness_bank_free(b);
}

/* Runs batagg to completion and returns its exit status and stderr (its
 * stdout is not the test's TAP stream). */
static int run_to_exit(char **argv, char **err)
{
	g_autofree char *out = NULL;
	g_auto(GStrv) cmd = harness_command(argv);
	int status = -1;
	GError *error = NULL;

	if (!g_spawn_sync(NULL, cmd, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, err, &status,
	                  &error))
		fail_msg("%s", error->message);
	return status;
}

/* A fresh directory for plugins, in the build tree: below /tmp, which
 * everyone can write, no plugin is trusted. */
static char *plugin_scratch_dir(void)
{
	char *dir = g_build_filename(harness_env("BATAGG_SCRATCH_DIR"), "plugins-XXXXXX", NULL);
	assert_non_null(g_mkdtemp_full(dir, 0755));
	return dir;
}

static void test_refusals(void **state)
{
	g_autofree char *dir = plugin_scratch_dir();
	g_autofree char *cfg = g_build_filename(dir, "config.json", NULL);
	g_autofree char *flag = g_strdup_printf("--plugin-dir=%s", dir);
	g_autofree char *bad = g_build_filename(dir, "broken.so", NULL);
	char *argv[] = {(char *)harness_env("BATAGG"), (char *)"--check-config", flag, cfg, NULL};
	g_autofree char *err1 = NULL, *err2 = NULL, *err3 = NULL, *err4 = NULL;
	int status;

	g_chmod(dir, 0755);
	/* An unknown strategy lists the known ones. */
	assert_true(g_file_set_contents(cfg, "{\"cvlMode\": \"fixed\"}", -1, NULL));
	status = run_to_exit(argv, &err1);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0);
	assert_non_null(strstr(err1, "key 'cvlMode': unknown value \"fixed\"; known: "
	                             "\"bulk_until_all_float\", \"dvcc\""));
	/* A hook that refuses its options fails the check as it would fail the
	 * daemon's start. */
	assert_true(g_file_set_contents(
	        cfg,
	        "{\"virtualBatteries\": {\"com.victronenergy.battery.v1\": "
	        "[\"class:hooks.FixedValueHook\", \"com.victronenergy.battery.bms\"]},"
	        " \"classes\": {\"hooks.FixedValueHook\": {\"value\": 55.6}}}",
	        -1, NULL));
	status = run_to_exit(argv, &err4);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0);
	assert_non_null(strstr(err4, "key 'classes.hooks.FixedValueHook': "
	                             "hook 'hooks.FixedValueHook': option 'path'"));

	/* A file that is no plugin is refused with its path; the rest works. */
	assert_true(g_file_set_contents(bad, "garbage", -1, NULL));
	g_chmod(bad, 0755);
	assert_true(g_file_set_contents(cfg, "{}", -1, NULL));
	status = run_to_exit(argv, &err2);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_non_null(strstr(err2, "plugin refused: "));
	assert_non_null(strstr(err2, bad));
	/* A directory others can write is refused as a whole. */
	g_chmod(dir, 0777);
	status = run_to_exit(argv, &err3);
	assert_non_null(strstr(err3, "writable by other users"));
	g_chmod(dir, 0755);
	g_unlink(bad);
	g_unlink(cfg);
	g_rmdir(dir);
}

/* Every shipped example config starts the daemon on a bus and publishes. */
static void test_examples_run(void **state)
{
	const char *root = harness_env("BATAGG_SOURCE_ROOT");
	g_autofree char *dir = g_build_filename(root, "config", "examples", NULL);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;
	int n = 0;

	assert_non_null(d);
	while ((name = g_dir_read_name(d))) {
		g_autofree char *path = g_build_filename(dir, name, NULL);
		g_autofree char *text = NULL;
		HarnessBank *b;
		Value v = VALUE_INIT;

		assert_true(g_file_get_contents(path, &text, NULL, NULL));
		print_message("# %s\n", name);
		b = run(text, NULL);
		assert_true(harness_get_value(b->h, AGG, "/System/NrOfBatteries", &v));
		assert_int_equal(v.type, VALUE_INT);
		assert_true(v.u.i >= 1);
		if (strstr(text, "virtual1"))
			assert_true(harness_wait_name(b->h, "com.victronenergy.battery.virtual1",
			                              WAIT_MS));
		harness_bank_free(b);
		n++;
	}
	g_dir_close(d);
	assert_true(n >= 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ratio_methods_and_ccl_modes),
	        cmocka_unit_test(test_cvl_modes),
	        cmocka_unit_test(test_example_plugin_by_name),
	        cmocka_unit_test(test_refusals),
	        cmocka_unit_test(test_examples_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
