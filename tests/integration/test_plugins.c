/* SPDX-License-Identifier: MIT */
/*
 * Third-party strategies, as plugin authors write them (examples/, built
 * from the SDK's header only), loaded by the real batagg with --plugin-dir:
 * a ratio method with options that learns from samples, a merge policy that
 * reads its members' flags, a hook, a hook over two key paths, a limiter
 * that keeps time, and the CVL mode example; each changes what the daemon
 * publishes.
 * A wrong option is a config error at its file:line:col; a reload creates
 * every strategy anew.  BATAGG_EXAMPLE_PLUGIN_DIR names the plugins: the
 * build's own, or (tools/test.sh) those built out of tree by their
 * Makefiles.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"

#define AGG "com.victronenergy.battery.aggregator"
#define V1 "com.victronenergy.battery.v1"
#define S1 "com.victronenergy.battery.ttyS1"
#define S2 "com.victronenergy.battery.ttyS2"
#define S3 "com.victronenergy.battery.ttyS3"
#define WAIT_MS 10000

static const char scenario[] =
        "{\"dvcc\": 1, \"batteries\": {"
        " \"" S1 "\": {\"/Dc/0/Voltage\": 53.1, \"/Soc\": 80.0, \"/InstalledCapacity\": 280.0,"
        "  \"/Info/MaxChargeCurrent\": 100.0, \"/Info/MaxDischargeCurrent\": 150.0,"
        "  \"/Info/MaxChargeVoltage\": 55.2},"
        " \"" S2 "\": {\"/Dc/0/Voltage\": 53.3, \"/Soc\": 70.0, \"/InstalledCapacity\": 100.0,"
        "  \"/Info/MaxChargeCurrent\": 50.0, \"/Info/MaxDischargeCurrent\": 100.0,"
        "  \"/Info/MaxChargeVoltage\": 55.0}}}";

static char *plugin_flag(void)
{
	return g_strdup_printf("--plugin-dir=%s", harness_env("BATAGG_EXAMPLE_PLUGIN_DIR"));
}

static HarnessBank *bank_new(const char *config)
{
	g_autofree char *flag = plugin_flag();

	return harness_bank_start(&(HarnessBankOptions){
	        .scenario = scenario, .sim_ready = {S1}, .config = config, .agg_arg = flag});
}

/* Samples: the currents first, then n new voltages, each sample being a
 * voltage with the current it gives.  The simulator sends what it is told
 * at once as one change, so each step waits until the daemon publishes
 * it. */
static void feed(HarnessBank *b, double amps1, double amps2, int n)
{
	g_autofree char *c1 = g_strdup_printf("set " S1 " /Dc/0/Current %.1f", amps1);
	g_autofree char *c2 = g_strdup_printf("set " S2 " /Dc/0/Current %.1f", amps2);

	harness_send(b->sim, c1);
	harness_send(b->sim, c2);
	harness_expect_number(b->h, AGG, "/Dc/0/Current", amps1 + amps2);
	for (int k = 0; k < n; k++) {
		double volts = 53.0 + 0.01 * (k % 2);
		g_autofree char *v1 = g_strdup_printf("set " S1 " /Dc/0/Voltage %.2f", volts);
		g_autofree char *v2 = g_strdup_printf("set " S2 " /Dc/0/Voltage %.2f", volts);

		harness_send(b->sim, v1);
		harness_send(b->sim, v2);
		harness_expect_number(b->h, AGG, "/Dc/0/Voltage", volts);
	}
}

static const char measured[] = "{\"currentRatioMethod\": \"measured\", \"strategyOptions\":"
                               " {\"measured\": {\"samples\": 5, \"smoothing\": 0.5}}}";
static const char measured_again[] = "{\"currentRatioMethod\": \"measured\", \"strategyOptions\":"
                                     " {\"measured\": {\"samples\": 5, \"smoothing\": 1}}}";

/* The ratio method takes its options and learns from sample(): until each
 * battery has 5 samples the fallback (capacity) decides, then the measured
 * shares 30 A : 10 A give ratios 4/3 and 4. */

static void test_ratio_method_learns_from_samples(void **state)
{
	HarnessBank *b = bank_new(measured);

	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 100.0 * 380 / 280);
	feed(b, 30, 10, 5);
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 100.0 * 4 / 3);
	harness_expect_number(b->h, AGG, "/Info/MaxDischargeCurrent", 150.0 * 4 / 3);

	/* A reload creates every strategy anew, with its new options: the
	 * samples are gone, the fallback decides again until there are five
	 * more, and the average is the last sample. */
	harness_write_file(b->h, "config.json", measured_again);

	kill(b->agg, SIGHUP);
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 100.0 * 380 / 280);
	feed(b, 20, 20, 5);
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", 50.0 * 2);
	harness_bank_free(b);
}

/* The merge policy replaces the default mean of /Soc. */
static void test_merge_policy(void **state)
{
	HarnessBank *b = bank_new("{\"mergePolicies\": {\"/Soc\": \"median\"}}");

	harness_expect_number(b->h, AGG, "/Soc", 75.0);
	harness_send(b->sim, "add " S3 " {\"/Dc/0/Voltage\": 53.0, \"/Soc\": 10.0}");
	harness_expect_number(b->h, AGG, "/System/NrOfBatteries", 3);
	harness_expect_number(b->h, AGG, "/Soc", 70.0);
	harness_bank_free(b);
}

/* SDK 3: the median reads each member's Allow flags (BataggMergeInput
 * .members, BataggHost.value(), named in reads): a battery its BMS cut off
 * is left out, at once when a flag changes, and counts again when it is
 * back. */
static void test_merge_policy_reads_members(void **state)
{
	HarnessBank *b = bank_new("{\"mergePolicies\": {\"/Soc\": \"median\"}}");

	harness_send(b->sim, "add " S3 " {\"/Dc/0/Voltage\": 53.0, \"/Soc\": 10.0,"
	                     " \"/Io/AllowToCharge\": 1, \"/Io/AllowToDischarge\": 1}");
	harness_expect_number(b->h, AGG, "/System/NrOfBatteries", 3);
	harness_expect_number(b->h, AGG, "/Soc", 70.0);
	/* One flag: still part of the bank. */
	harness_send(b->sim, "set " S1 " /Io/AllowToCharge 0");
	harness_send(b->sim, "set " S1 " /Dc/0/Voltage 53.2");
	harness_expect_number(b->h, AGG, "/Dc/0/Voltage", (53.2 + 53.3 + 53.0) / 3);
	harness_expect_number(b->h, AGG, "/Soc", 70.0);
	/* Both: cut off, the median of the other two. */
	harness_send(b->sim, "set " S1 " /Io/AllowToDischarge 0");
	harness_expect_number(b->h, AGG, "/Soc", 40.0);
	harness_send(b->sim, "set " S1 " /Io/AllowToCharge 1");
	harness_expect_number(b->h, AGG, "/Soc", 70.0);
	harness_bank_free(b);
}

/* The hook gives the virtual battery a CCL tapering with the merged SoC;
 * below its start the member's own limit counts. */
static void test_hook(void **state)
{
	HarnessBank *b =
	        bank_new("{\"virtualBatteries\": {\"" V1 "\": [\"class:soc_taper\", \"" S1 "\"]},"
	                 " \"classes\": {\"soc_taper\":"
	                 " {\"current\": 100, \"fromSoc\": 90, \"atFull\": 10}}}");

	assert_true(harness_wait_name(b->h, V1, WAIT_MS));
	harness_expect_number(b->h, V1, "/Info/MaxChargeCurrent", 100);
	harness_send(b->sim, "set " S1 " /Soc 95.0");
	harness_expect_number(b->h, V1, "/Info/MaxChargeCurrent", 55);
	harness_send(b->sim, "set " S1 " /Soc 100.0");
	harness_expect_number(b->h, V1, "/Info/MaxChargeCurrent", 10);
	harness_bank_free(b);
}

/* SDK 3: a hook over two key paths (key_paths, values()): the virtual
 * battery's CCL follows its state of charge and, alone, its temperature. */
static void test_hook_two_keys(void **state)
{
	HarnessBank *b = bank_new(
	        "{\"virtualBatteries\": {\"" V1 "\": [\"class:soc_temp_taper\", \"" S1 "\"]},"
	        " \"classes\": {\"soc_temp_taper\": {\"current\": 100, \"fromSoc\": 90,"
	        " \"atFull\": 10, \"cold\": 5, \"coldCurrent\": 20}}}");

	assert_true(harness_wait_name(b->h, V1, WAIT_MS));
	harness_expect_number(b->h, V1, "/Info/MaxChargeCurrent", 100);
	harness_send(b->sim, "set " S1 " /Dc/0/Temperature 2.0");
	harness_expect_number(b->h, V1, "/Info/MaxChargeCurrent", 20);
	harness_send(b->sim, "set " S1 " /Soc 95.0");
	harness_send(b->sim, "set " S1 " /Dc/0/Temperature 25.0");
	harness_expect_number(b->h, V1, "/Info/MaxChargeCurrent", 55);
	harness_send(b->sim, "set " S1 " /Dc/0/Temperature 4.0");
	harness_expect_number(b->h, V1, "/Info/MaxChargeCurrent", 20);
	harness_bank_free(b);
}

/* SDK 3: a limiter.  A member's temperature alone moves the bank's limits at
 * once: over 45 °C, ttyS1's CCL is capped to 20 A, the bank's CCL falls with
 * its share and the limitation text names the limiter.  Cooler but within
 * the margin, the cap stays (hysteresis); cool enough, it rises when its
 * hold time (2 s) has passed since it fell, with nothing else changing
 * (call_again()). */
#define HOLD_S 2.0
static void test_limiter_keeps_time(void **state)
{
	HarnessBank *b = bank_new("{\"limiters\": [\"derate_temp\"], \"strategyOptions\":"
	                          " {\"derate_temp\": {\"above\": 45, \"margin\": 5,"
	                          " \"current\": 20, \"hold\": 2}}}");
	const double bank = 100.0 * 380 / 280, capped = 20.0 * 380 / 280;
	gint64 sent;

	harness_send(b->sim, "set " S1 " /Dc/0/Temperature 25.0");
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", bank);
	harness_expect_number(b->h, AGG, "/Info/MaxDischargeCurrent", 150.0 * 380 / 280);

	sent = g_get_monotonic_time();
	harness_send(b->sim, "set " S1 " /Dc/0/Temperature 50.0");
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", capped);
	harness_expect_text(b->h, AGG, "/Info/ChargeLimitation",
	                    "ttyS1 20 A cap (derate_temp: 50.0 °C) × 1.36 (capacity)");
	harness_expect_number(b->h, AGG, "/Info/MaxDischargeCurrent", 150.0 * 380 / 280);

	/* 42 °C: not yet 5 °C back.  The SoC, sent after it, tells when the
	 * daemon has taken the temperature. */
	harness_send(b->sim, "set " S1 " /Dc/0/Temperature 42.0");
	harness_send(b->sim, "set " S1 " /Soc 81.0");
	harness_expect_number(b->h, AGG, "/Soc", 75.5);
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", capped);

	/* 39 °C: the cap rises, by itself, once it has held 2 s. */
	harness_send(b->sim, "set " S1 " /Dc/0/Temperature 39.0");
	harness_expect_number(b->h, AGG, "/Info/MaxChargeCurrent", bank);
	assert_true((double)(g_get_monotonic_time() - sent) / G_USEC_PER_SEC >= HOLD_S);
	harness_expect_text(b->h, AGG, "/Info/ChargeLimitation", "ttyS1 100 A × 1.36 (capacity)");
	harness_bank_free(b);
}

/* The CVL mode example's "volts" option, which no config key could carry
 * before strategyOptions. */
static void test_cvl_mode_option(void **state)
{
	HarnessBank *b =
	        bank_new("{\"cvlMode\": \"fixed\", \"strategyOptions\": {\"fixed\": {\"volts\": "
	                 "54.4}}}");

	harness_expect_number(b->h, AGG, "/Info/MaxChargeVoltage", 54.4);
	harness_bank_free(b);
}

/* Runs batagg to its end; its exit status, and its output in *out. */
static int run_batagg(Harness *h, char **args, char **out)
{
	g_autofree char *flag = plugin_flag();
	GPtrArray *argv = g_ptr_array_new();
	g_auto(GStrv) cmd = NULL;
	g_autofree char *err = NULL;
	g_autofree char *text = NULL;
	int status = -1;
	GError *error = NULL;

	g_ptr_array_add(argv, (char *)harness_env("BATAGG"));
	g_ptr_array_add(argv, flag);
	for (char **a = args; *a; a++)
		g_ptr_array_add(argv, *a);
	g_ptr_array_add(argv, NULL);
	cmd = harness_command((char **)argv->pdata);
	g_ptr_array_free(argv, TRUE);
	if (!g_spawn_sync(NULL, cmd, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &text, &err, &status,
	                  &error))
		fail_msg("%s", error->message);
	/* One text: the check prints problems on stderr, the rest on stdout. */
	*out = g_strconcat(err, text, NULL);
	return status;
}

/* A wrong option to a third-party strategy is a config error at the
 * option's line and column, in --check-config as in the daemon. */
static void test_wrong_options_are_config_errors(void **state)
{
	static const struct {
		const char *config, *says;
	} cases[] = {
	        {"{\"cvlMode\": \"fixed\",\n \"strategyOptions\": {\"fixed\": {\"volts\": "
	         "\"high\"}}}",
	         "config.json:2:41: key 'strategyOptions.fixed.volts': CVL mode 'fixed': expected "
	         "a voltage above 0"},
	        {"{\"currentRatioMethod\": \"measured\",\n \"strategyOptions\": {\"measured\":"
	         " {\"smoothing\": 2}}}",
	         "config.json:2:48: key 'strategyOptions.measured.smoothing': current ratio method "
	         "'measured': must be in (0, 1], got 2"},
	        {"{\"virtualBatteries\": {\"" V1 "\": [\"class:soc_taper\"]},\n"
	         " \"classes\": {\"soc_taper\": {\"curent\": 100}}}",
	         "config.json:2:38: key 'classes.soc_taper.curent': hook 'soc_taper': unknown "
	         "option"},
	        /* These two run leniently in the daemon (startup.h), which then
	         * waits for batteries; one check is enough to see it end. */
	        {"{\"strategyOptions\": {\"medain\": {}}, \"startupBatteryWait\": 1}",
	         "key 'strategyOptions.medain': no strategy is named \"medain\" (did you mean "
	         "\"median\"?)"},
	        {"{\"currentRatioMethod\": \"Measured\", \"startupBatteryWait\": 1}",
	         "config.json:1:24: key 'currentRatioMethod': unknown value \"Measured\" (did you "
	         "mean \"measured\"?)"},
	};
	Harness *h = harness_new();

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		const char *path = harness_write_file(h, "config.json", cases[i].config);
		char *check[] = {(char *)"--check-config", (char *)path, NULL};
		char *run[] = {(char *)"--config", (char *)path, NULL};
		g_autofree char *said = NULL;
		g_autofree char *said_too = NULL;
		int status = run_batagg(h, check, &said);

		print_message("# %s\n", said);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
		if (!strstr(said, cases[i].says))
			fail_msg("--check-config said '%s', not '%s'", said, cases[i].says);
		status = run_batagg(h, run, &said_too);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
		if (!strstr(said_too, cases[i].says))
			fail_msg("the daemon said '%s', not '%s'", said_too, cases[i].says);
	}
	harness_free(h);
}

/* --list-strategies shows a third party's strategies with their file and
 * options. */
static void test_list_strategies(void **state)
{
	Harness *h = harness_new();
	char *list[] = {(char *)"--list-strategies", NULL};
	g_autofree char *out = NULL;
	g_autofree char *file =
	        g_build_filename(harness_env("BATAGG_EXAMPLE_PLUGIN_DIR"), "measured.so", NULL);
	int status = run_batagg(h, list, &out);

	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_non_null(strstr(out, "current ratio method measured\n"));
	assert_non_null(strstr(out, file));
	assert_non_null(strstr(out, "option smoothing (number)"));
	assert_non_null(strstr(out, "hook soc_taper\n"));
	assert_non_null(strstr(out, "merge policy median\n"));
	assert_non_null(strstr(out, "current ratio method ir\n"));
	harness_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ratio_method_learns_from_samples),
	        cmocka_unit_test(test_merge_policy),
	        cmocka_unit_test(test_merge_policy_reads_members),
	        cmocka_unit_test(test_hook),
	        cmocka_unit_test(test_hook_two_keys),
	        cmocka_unit_test(test_limiter_keeps_time),
	        cmocka_unit_test(test_cvl_mode_option),
	        cmocka_unit_test(test_wrong_options_are_config_errors),
	        cmocka_unit_test(test_list_strategies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
