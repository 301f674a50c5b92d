/* SPDX-License-Identifier: MIT */
/*
 * Odd service names with the real batagg on a private bus: a name with a
 * '-' starts and publishes, its settings at the escaped paths (names.h);
 * names the bus refuses are config errors to --check-config; the daemon
 * at start says the same and runs with the default name, or, for a
 * virtual battery's name, exits instead of aborting.  In a list of
 * services to match such a name is a warning, and the daemon runs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"

#define B "com.victronenergy.battery."
#define S1 B "ttyS1"
#define S2 B "ttyS2"
#define SETTINGS "com.victronenergy.settings"
#define WAIT_MS 10000

static const char scenario[] =
        "{\"batteries\": {"
        " \"" S1 "\": {\"/Dc/0/Voltage\": 53.1, \"/Dc/0/Current\": 10.0, \"/Soc\": 80.0},"
        " \"" S2 "\": {\"/Dc/0/Voltage\": 53.3, \"/Dc/0/Current\": 5.0, \"/Soc\": 70.0}}}";

static Harness *with_batteries(void)
{
	Harness *h = harness_new();
	char *argv[] = {(char *)harness_env("BATSIM"),
	                (char *)harness_write_file(h, "scenario.json", scenario), NULL};
	int sim;

	harness_spawn(h, argv, &sim);
	assert_true(harness_wait_name(h, S1, WAIT_MS));
	return h;
}

/* Writes /CustomName on service and finds it persisted at setting. */
static void expect_name_persisted(Harness *h, const char *service, const char *setting)
{
	Value name = value_text("Odd Name");

	assert_int_equal(harness_set_value(h, service, "/CustomName", &name), 0);
	if (!harness_wait_value(h, SETTINGS, setting, &name, WAIT_MS))
		fail_msg("%s: /CustomName never reached %s", service, setting);
	value_clear(&name);
}

static int sha1_byte(const char *text)
{
	g_autofree char *sha = g_compute_checksum_for_string(G_CHECKSUM_SHA1, text, -1);

	return g_ascii_xdigit_value(sha[0]) * 16 + g_ascii_xdigit_value(sha[1]);
}

/* A '-' in the aggregate's name and a virtual battery's: both publish; the
 * custom names live under the escaped last parts, the virtual battery's
 * instance is numbered from its last part as written.  A plain name keeps
 * the Python daemon's path; one starting with '_' (which localsettings
 * refuses) is escaped too. */
static void test_a_dash_publishes_with_escaped_settings(void **state)
{
	Harness *h = with_batteries();
	const char *config = harness_write_file(
	        h, "config.json",
	        "{\"serviceName\": \"" B "house-bank\",\n"
	        " \"virtualBatteries\": {\"" B "my-virt\": [\"" S2 "\"],\n"
	        "                        \"" B "virtual1\": [\"" B "my-virt\"],\n"
	        "                        \"" B "_spare\": [\"" S1 "\"]}}");
	char *argv[] = {(char *)harness_env("BATAGG"), (char *)"--config", (char *)config, NULL};
	g_autofree char *instance_setting = NULL;
	Value v = VALUE_INIT;
	GPid pid = harness_spawn(h, argv, NULL);
	int status;

	assert_true(harness_wait_name(h, B "house-bank", WAIT_MS));
	assert_true(harness_wait_name(h, B "my-virt", WAIT_MS));
	assert_true(harness_wait_name(h, B "virtual1", WAIT_MS));
	expect_name_persisted(h, B "house-bank", "/Settings/Battery/0house_2dbank/CustomName");
	expect_name_persisted(h, B "my-virt", "/Settings/Battery/0my_2dvirt/CustomName");
	expect_name_persisted(h, B "virtual1", "/Settings/Battery/virtual1/CustomName");
	/* localsettings refuses an element that starts with '_'. */
	assert_true(harness_wait_name(h, B "_spare", WAIT_MS));
	expect_name_persisted(h, B "_spare", "/Settings/Battery/0_5fspare/CustomName");
	assert_true(harness_wait_number(h, B "my-virt", "/DeviceInstance",
	                                1056 + sha1_byte("my-virt"), WAIT_MS));
	instance_setting = g_strdup_printf("/Settings/Devices/virtbatt_%d/ClassAndVrmInstance",
	                                   sha1_byte("my-virt"));
	assert_true(harness_get_value(h, SETTINGS, instance_setting, &v));
	value_clear(&v);
	/* A virtual battery made of a virtual battery, through the bus. */
	assert_true(harness_wait_number(h, B "my-virt", "/Dc/0/Voltage", 53.3, WAIT_MS));
	assert_true(harness_wait_number(h, B "virtual1", "/Dc/0/Voltage", 53.3, WAIT_MS));
	/* And the aggregate has the outer virtual batteries: ttyS1, ttyS2. */
	assert_true(harness_wait_number(h, B "house-bank", "/Dc/0/Current", 15.0, WAIT_MS));
	status = harness_terminate(h, pid, WAIT_MS);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	harness_free(h);
}

/* Runs batagg --check-config on the config text; returns its exit status
 * with *err its stderr (its stdout, the summary, is not the test's
 * TAP output). */
static int check_config(Harness *h, const char *config, char **err)
{
	char *argv[] = {(char *)harness_env("BATAGG"), (char *)"--check-config", (char *)config,
	                NULL};
	g_auto(GStrv) cmd = harness_command(argv);
	g_autoptr(GError) error = NULL;
	g_autofree char *out = NULL;
	int status = -1;

	if (!g_spawn_sync(NULL, cmd, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, err, &status,
	                  &error))
		fail_msg("%s", error->message);
	return status;
}

/* Starts the daemon on config, its log at log; returns its exit status if
 * it exits within WAIT_MS, else -1 with the daemon still running as *pid. */
static int start_daemon(Harness *h, const char *config, const char *log, GPid *pid)
{
	char *argv[] = {(char *)harness_env("BATAGG"), (char *)"--config", (char *)config, NULL};
	*pid = harness_spawn_logged(h, argv, log);
	for (int waited = 0; waited < WAIT_MS; waited += 50) {
		int status = harness_wait_exit(h, *pid, 50);

		if (status != -1)
			return status;
		if (harness_has_name(h, B "aggregator"))
			return -1;
	}
	return -1;
}

/* Names the bus refuses: --check-config says so, with the file, line,
 * column and key, and exits 1.  The daemon (libdbus used to abort it) runs
 * leniently where the issue says so: a bad serviceName keeps the default
 * name with a warning; a bad virtual battery is a membership key, so with
 * no last good config it exits 1. */
static void test_names_the_bus_refuses_are_config_errors(void **state)
{
	static const struct {
		const char *config;
		const char *message; /* after "<file>:" */
		bool runs;           /* the daemon runs with the default name */
	} cases[] = {
	        {"{\n \"serviceName\": \"" B "1x\"\n}",
	         "2:17: key 'serviceName': \"" B "1x\" is not a battery service name: element "
	         "\"1x\" starts with a digit",
	         true},
	        {"{\n \"serviceName\": \"" B "a..b\"\n}",
	         "2:17: key 'serviceName': \"" B "a..b\" is not a battery service name", true},
	        {"{\n \"serviceName\": \"" B "bank.\"\n}", "2:17: key 'serviceName'", true},
	        {"{\"virtualBatteries\": {\n \"" B "my bank\": [\"" S2 "\"]}}",
	         "2:2: key 'virtualBatteries': \"" B "my bank\" is not a battery service name",
	         false},
	        {"{\"virtualBatteries\": {\n \"" B "v\": [\"" B "v\"]}}",
	         "2:33: key 'virtualBatteries': virtual battery \"" B "v\" lists itself", false},
	};
	Harness *h = with_batteries();

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *name = g_strdup_printf("case%zu.json", i);
		g_autofree char *log_name = g_strdup_printf("case%zu.log", i);
		g_autofree char *check_err = NULL;
		g_autofree char *log_text = NULL;
		g_autofree char *expect = NULL;
		const char *config;
		const char *log;
		int check;
		int run;
		GPid pid;

		config = harness_write_file(h, name, cases[i].config);
		log = harness_write_file(h, log_name, "");
		check = check_config(h, config, &check_err);
		run = start_daemon(h, config, log, &pid);
		expect = g_strdup_printf("%s:%s", name, cases[i].message);
		assert_true(WIFEXITED(check) && WEXITSTATUS(check) == 1);
		if (!strstr(check_err, expect))
			fail_msg("--check-config said '%s', not '%s'", check_err, expect);
		if (!harness_wait_text(log, expect, WAIT_MS))
			fail_msg("the daemon did not say '%s'", expect);
		if (cases[i].runs) {
			assert_int_equal(run, -1);
			assert_true(
			        harness_wait_text(log, "batagg runs with its default", WAIT_MS));
			run = harness_terminate(h, pid, WAIT_MS);
			assert_true(WIFEXITED(run) && WEXITSTATUS(run) == 0);
		} else {
			assert_true(run != -1 && WIFEXITED(run) && WEXITSTATUS(run) == 1);
			assert_false(harness_has_name(h, B "aggregator"));
		}
		assert_true(g_file_get_contents(log, &log_text, NULL, NULL));
		assert_null(strstr(log_text, "Aborted"));
	}
	harness_free(h);
}

/* Names no battery service can have, in lists of services to match: the
 * Python daemon ran such a config (the names matched nothing), and so does
 * batagg, with a warning for each, without a last good config.  Nothing
 * uses them as bus names (libdbus would abort): the other batteries are
 * aggregated as the rest of the config says. */
static void test_names_that_never_match_run(void **state)
{
	static const char config_text[] =
	        "{\"excludedServices\": [\"" B
	        "lynx.1\", \"com.victronenergy.solarcharger.ttyS1\"],\n"
	        " \"primaryServices\": {\"" B "1\": [\"/Soc\"]},\n"
	        " \"auxiliaryServices\": [\"" B "my shunt\"],\n"
	        " \"virtualBatteries\": {\"" B "v\": [\"" S2 "\", \"" B "bms.1\", \"" B "a..b\"]}}";
	static const char *const warnings[] = {
	        "config.json:1:23: warning: key 'excludedServices': \"" B
	        "lynx.1\" can never match a "
	        "service: element \"1\" starts with a digit",
	        "warning: key 'excludedServices': \"com.victronenergy.solarcharger.ttyS1\" can "
	        "never "
	        "match a service: it must start with \"" B "\"",
	        "warning: key 'primaryServices': \"" B "1\" can never match a service",
	        "warning: key 'auxiliaryServices': \"" B "my shunt\" can never match a service: it "
	        "has the character ' '",
	        "warning: key 'virtualBatteries': \"" B "bms.1\" can never match a service",
	        "warning: key 'virtualBatteries': \"" B "a..b\" can never match a service: it has "
	        "an empty element",
	};
	Harness *h = with_batteries();
	const char *config = harness_write_file(h, "config.json", config_text);
	const char *log = harness_write_file(h, "daemon.log", "");
	g_autofree char *check_err = NULL;
	g_autofree char *log_text = NULL;
	int check = check_config(h, config, &check_err);
	GPid pid;
	int run;

	assert_true(WIFEXITED(check) && WEXITSTATUS(check) == 0);
	for (size_t i = 0; i < G_N_ELEMENTS(warnings); i++) {
		if (!strstr(check_err, warnings[i]))
			fail_msg("--check-config said '%s', not '%s'", check_err, warnings[i]);
	}
	run = start_daemon(h, config, log, &pid);
	assert_int_equal(run, -1);
	for (size_t i = 0; i < G_N_ELEMENTS(warnings); i++) {
		if (!harness_wait_text(log, warnings[i], WAIT_MS))
			fail_msg("the daemon did not say '%s'", warnings[i]);
	}
	/* The virtual battery has ttyS2 (5 A); the aggregate ttyS1 (10 A) and
	 * the virtual battery, its SoC theirs: the primary service is none. */
	assert_true(harness_wait_number(h, B "v", "/Dc/0/Current", 5.0, WAIT_MS));
	assert_true(harness_wait_number(h, B "aggregator", "/Dc/0/Current", 15.0, WAIT_MS));
	assert_true(harness_wait_number(h, B "aggregator", "/Alarms/InternalFailure", 0, WAIT_MS));
	run = harness_terminate(h, pid, WAIT_MS);
	assert_true(WIFEXITED(run) && WEXITSTATUS(run) == 0);
	assert_true(g_file_get_contents(log, &log_text, NULL, NULL));
	assert_null(strstr(log_text, "Aborted"));
	harness_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_a_dash_publishes_with_escaped_settings),
	        cmocka_unit_test(test_names_the_bus_refuses_are_config_errors),
	        cmocka_unit_test(test_names_that_never_match_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
