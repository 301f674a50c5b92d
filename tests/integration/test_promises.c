/* SPDX-License-Identifier: MIT */
/*
 * What include/batagg/plugin.h promises a plugin, held against the real
 * daemon on a private bus: the probe plugin (probe.c) writes down every
 * call, and the test reads the record.
 *
 *  - one thread, the daemon's own, and no call while another runs;
 *  - options in the order written, nested objects flattened to "a/b",
 *    numbers with their text as written, booleans as 0/1 and "true";
 *  - members with a label (the custom name, else the name without
 *    "com.victronenergy.battery.") and ids unique among the members; a
 *    member back within reconnectTimeout keeps its id, is not removed, and
 *    is added again;
 *  - sample() on a new voltage with the latest current;
 *  - a ratio below 1 is not used: the fallback decides;
 *  - a CVL that is not > 0 publishes "no limit";
 *  - a reload creates every instance anew, with the new options, before
 *    the old ones are destroyed; every create() has one destroy(); the
 *    start's check instances are gone before the running ones come;
 *  - an option create() refuses is a config error at that option;
 *  - what a third-party ratio method saves of a member is given back to
 *    it, the same text, when the member joins after a restart, before any
 *    ratio is asked of it; a reset reaches it too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"

#define AGG "com.victronenergy.battery.aggregator"
#define S1 "com.victronenergy.battery.ttyS1"
#define S2 "com.victronenergy.battery.ttyS2"
#define WAIT_MS 10000

static const char scenario[] =
        "{\"dvcc\": 1, \"batteries\": {"
        " \"" S1 "\": {\"/Dc/0/Voltage\": 53.1, \"/Soc\": 80.0, \"/CustomName\": \"House\","
        "  \"/Info/MaxChargeCurrent\": 100.0, \"/Info/MaxDischargeCurrent\": 150.0,"
        "  \"/Info/MaxChargeVoltage\": 55.2},"
        " \"" S2 "\": {\"/Dc/0/Voltage\": 53.3, \"/Soc\": 70.0,"
        "  \"/Info/MaxChargeCurrent\": 50.0, \"/Info/MaxDischargeCurrent\": 100.0,"
        "  \"/Info/MaxChargeVoltage\": 55.0}}}";

static char *config(const char *log, double cvl)
{
	return g_strdup_printf("{\"currentRatioMethod\": \"probe\", \"cvlMode\": \"probe_cvl\","
	                       " \"reconnectTimeout\": 60, \"strategyOptions\": {"
	                       " \"probe\": {\"log\": \"%s\", \"ratio\": 0.5, \"flag\": true,"
	                       "  \"nested\": {\"x\": 1.50}},"
	                       " \"probe_cvl\": {\"log\": \"%s\", \"cvl\": %g}}}",
	                       log, log, cvl);
}

typedef struct {
	long tid;
	unsigned instance;
	char *event; /* the rest of the line */
} Call;

static GArray *read_calls(const char *log)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;
	GArray *calls = g_array_new(FALSE, TRUE, sizeof(Call));

	assert_true(g_file_get_contents(log, &text, NULL, NULL));
	lines = g_strsplit(text, "\n", -1);
	for (size_t i = 0; lines[i]; i++) {
		Call c = {0};
		int used = 0;

		if (!lines[i][0])
			continue;
		if (strstr(lines[i], "REENTERED"))
			fail_msg("a call while another ran: line %zu", i + 1);
		if (sscanf(lines[i], "%ld %u %n", &c.tid, &c.instance, &used) != 2 || !used)
			fail_msg("unreadable line '%s'", lines[i]);
		c.event = g_strdup(lines[i] + used);
		g_array_append_val(calls, c);
	}
	return calls;
}

/* The index of the first call at or after from whose event starts with
 * prefix (of instance, or of any when instance is 0), or -1. */
static int find(GArray *calls, int from, unsigned instance, const char *prefix)
{
	for (guint i = from < 0 ? 0 : (guint)from; i < calls->len; i++) {
		const Call *c = &g_array_index(calls, Call, i);

		if ((!instance || c->instance == instance) && g_str_has_prefix(c->event, prefix))
			return (int)i;
	}
	return -1;
}

static const char *event(GArray *calls, int i)
{
	assert_true(i >= 0);
	return g_array_index(calls, Call, i).event;
}

/* Waits until the record holds n events starting with prefix. */
static void wait_calls(const char *log, const char *prefix, int n)
{
	for (int t = 0; t < WAIT_MS / 50; t++) {
		g_autoptr(GArray) calls = read_calls(log);
		int seen = 0;

		for (int i = find(calls, 0, 0, prefix); i >= 0; i = find(calls, i + 1, 0, prefix))
			seen++;
		for (guint i = 0; i < calls->len; i++)
			g_free(g_array_index(calls, Call, i).event);
		if (seen >= n)
			return;
		g_usleep(50000);
	}
	fail_msg("never %d calls '%s'", n, prefix);
}

static void test_promises(void **state)
{
	Harness *h = harness_new();
	const char *log = harness_write_file(h, "calls.log", "");
	g_autofree char *first = config(log, -5);
	g_autofree char *second = config(log, 54.5);
	const char *scen = harness_write_file(h, "scenario.json", scenario);
	const char *cfg = harness_write_file(h, "config.json", first);
	g_autofree char *flag =
	        g_strdup_printf("--plugin-dir=%s", harness_env("BATAGG_EXAMPLE_PLUGIN_DIR"));
	char *sim[] = {(char *)harness_env("BATSIM"), (char *)scen, NULL};
	char *agg[] = {(char *)harness_env("BATAGG"), (char *)"--config", (char *)cfg, flag, NULL};
	g_autofree char *s1_added = NULL;
	g_autoptr(GArray) calls = NULL;
	unsigned ratio = 0, cvl = 0, ratio2 = 0, cvl2 = 0, id1 = 0, id2 = 0;
	int fd, i, reload;
	GPid pid;

	harness_spawn(h, sim, &fd);
	assert_true(harness_wait_name(h, S1, WAIT_MS));
	pid = harness_spawn(h, agg, NULL);
	assert_true(harness_wait_name(h, AGG, WAIT_MS));

	/* 0.5 for the first member is no ratio: count gives 2 to each. */
	assert_true(harness_wait_number(h, AGG, "/Info/MaxChargeCurrent", 100.0, WAIT_MS));
	assert_true(harness_wait_number(h, AGG, "/Info/MaxChargeVoltage", NAN, WAIT_MS));

	harness_send(fd, "set " S1 " /Dc/0/Current 12.5");
	assert_true(harness_wait_number(h, AGG, "/Dc/0/Current", 12.5, WAIT_MS));
	harness_send(fd, "set " S1 " /Dc/0/Voltage 53.25");
	assert_true(harness_wait_number(h, AGG, "/Dc/0/Voltage", (53.25 + 53.3) / 2, WAIT_MS));

	/* Away for a second, within reconnectTimeout. */
	harness_send(fd, "restart " S1 " 1");

	/* The record so far names the ids; the second "added" of S1 follows. */
	calls = read_calls(log);
	for (guint k = 0; k < calls->len; k++) {
		const Call *c = &g_array_index(calls, Call, k);
		unsigned id;
		char service[256];

		if (sscanf(c->event, "added %u %255s", &id, service) == 2) {
			if (strcmp(service, S1) == 0)
				id1 = id;
			else if (strcmp(service, S2) == 0)
				id2 = id;
		}
	}
	assert_true(id1 != id2);
	s1_added = g_strdup_printf("added %u " S1, id1);
	for (guint k = 0; k < calls->len; k++)
		g_free(g_array_index(calls, Call, k).event);
	g_array_unref(calls);
	/* Once per instance on joining, once more on coming back. */
	wait_calls(log, s1_added, 4);

	harness_write_file(h, "config.json", second);
	kill(pid, SIGHUP);
	assert_true(harness_wait_number(h, AGG, "/Info/MaxChargeVoltage", 54.5, WAIT_MS));
	assert_int_equal(harness_terminate(h, pid, WAIT_MS), 0);

	calls = read_calls(log);
	for (guint k = 0; k < calls->len; k++) {
		const Call *c = &g_array_index(calls, Call, k);

		/* One thread: the daemon's main thread, whose id is its pid. */
		assert_int_equal(c->tid, (long)pid);
	}
	/* The instances that ran: the first to be asked, then those of the
	 * reload (made with the new cvl option). */
	ratio = g_array_index(calls, Call, find(calls, 0, 0, "ratios ")).instance;
	cvl = g_array_index(calls, Call, find(calls, 0, 0, "cvl ")).instance;
	i = find(calls, 0, 0, "option cvl number 54.5");
	cvl2 = g_array_index(calls, Call, i).instance;
	reload = find(calls, 0, cvl2, "create");
	ratio2 = g_array_index(calls, Call, find(calls, reload, 0, "ratios ")).instance;
	assert_true(ratio != cvl && ratio2 != cvl2 && ratio2 > ratio && cvl2 > cvl);
	/* The start checked the config with instances of its own, and
	 * destroyed them before it created those it runs. */
	for (unsigned in = 1; in < ratio && in < cvl; in++) {
		int d = find(calls, 0, in, "destroy");

		assert_true(d >= 0);
		assert_int_equal(find(calls, 0, in, "added"), -1);
		assert_true(d < find(calls, 0, ratio, "create"));
		assert_true(d < find(calls, 0, cvl, "create"));
	}

	/* Options as written, in order, nested ones flattened. */
	i = find(calls, 0, ratio, "option");
	assert_true(g_str_has_prefix(event(calls, i), "option log text /"));
	assert_string_equal(event(calls, i = find(calls, i + 1, ratio, "option")),
	                    "option ratio number 0.5 0.5");
	assert_string_equal(event(calls, i = find(calls, i + 1, ratio, "option")),
	                    "option flag bool true 1");
	assert_string_equal(event(calls, i = find(calls, i + 1, ratio, "option")),
	                    "option nested/x number 1.50 1.5");

	/* Members: labels, ids, and both instances told. */
	for (unsigned in = ratio; in; in = in == ratio ? cvl : 0) {
		g_autofree char *a1 =
		        g_strdup_printf("added %u " S1 " label=House custom=House", id1);
		g_autofree char *a2 = g_strdup_printf("added %u " S2 " label=ttyS2 custom=", id2);
		g_autofree char *s = g_strdup_printf("sample %u 53.250 12.500", id1);
		int j1 = find(calls, 0, in, a1), j2;

		assert_true(j1 >= 0);
		assert_true(find(calls, 0, in, a2) >= 0);
		assert_true(find(calls, j1, in, s) > j1);
		/* Back within reconnectTimeout: added again, never removed. */
		j2 = find(calls, j1 + 1, in, a1);
		assert_true(j2 > j1);
		assert_int_equal(find(calls, 0, in, "removed"), -1);
	}

	/* The reload: the new instances exist before the old ones go. */
	assert_true(find(calls, 0, ratio2, "create") >= 0 && reload >= 0);
	assert_true(find(calls, 0, ratio, "destroy") > find(calls, 0, cvl2, "create"));
	assert_true(find(calls, 0, cvl, "destroy") > find(calls, 0, ratio2, "create"));
	/* One destroy for every create, the last ones at the end. */
	for (unsigned in = 1; in <= cvl2 || in <= ratio2; in++) {
		int c = find(calls, 0, in, "create"), d = find(calls, 0, in, "destroy");

		if (c < 0)
			continue;
		assert_true(d > c);
		assert_int_equal(find(calls, d + 1, in, "destroy"), -1);
		assert_int_equal(find(calls, d + 1, in, ""), -1);
	}
	for (guint k = 0; k < calls->len; k++)
		g_free(g_array_index(calls, Call, k).event);
	harness_free(h);
}

/* An option create() refuses is a config error at that option. */
static void test_refused_option(void **state)
{
	Harness *h = harness_new();
	const char *cfg = harness_write_file(
	        h, "config.json",
	        "{\"cvlMode\": \"probe_cvl\",\n"
	        " \"strategyOptions\": {\"probe_cvl\": {\"cvl\": 54, \"fail\": 1}}}");
	g_autofree char *flag =
	        g_strdup_printf("--plugin-dir=%s", harness_env("BATAGG_EXAMPLE_PLUGIN_DIR"));
	char *argv[] = {(char *)harness_env("BATAGG"), (char *)"--check-config", flag, (char *)cfg,
	                NULL};
	g_auto(GStrv) cmd = harness_command(argv);
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	g_autofree char *want =
	        g_strdup_printf("%s:2:55: key 'strategyOptions.probe_cvl.fail': CVL mode "
	                        "'probe_cvl': told to fail",
	                        cfg);
	int status = 0;

	assert_true(g_spawn_sync(NULL, cmd, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
	                         &status, NULL));
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	if (!strstr(err, want))
		fail_msg("--check-config said '%s', not '%s'", err, want);
	harness_free(h);
}

/* The probe is a third-party plugin: what it saves comes back as it does
 * for the built-in ir. */
static void test_saved_state(void **state)
{
	Harness *h = harness_new();
	const char *log = harness_write_file(h, "calls.log", "");
	g_autofree char *text =
	        g_strdup_printf("{\"currentRatioMethod\": \"probe\", \"publishInterval\": 0,"
	                        " \"strategyOptions\": {\"probe\": {\"log\": \"%s\"}}}",
	                        log);
	const char *scen = harness_write_file(h, "scenario.json", scenario);
	const char *cfg = harness_write_file(h, "config.json", text);
	g_autofree char *flag =
	        g_strdup_printf("--plugin-dir=%s", harness_env("BATAGG_EXAMPLE_PLUGIN_DIR"));
	char *sim[] = {(char *)harness_env("BATSIM"), (char *)scen, NULL};
	char *agg[] = {(char *)harness_env("BATAGG"), (char *)"--config", (char *)cfg, flag, NULL};
	g_autofree char *path = g_strconcat(cfg, ".state", NULL);
	g_autofree char *saved = NULL;
	g_autofree char *want = NULL;
	g_autoptr(GArray) calls = NULL;
	Value one = value_int(1);
	unsigned first, second;
	int fd, added, restored, run2;
	GPid pid;

	harness_spawn(h, sim, &fd);
	assert_true(harness_wait_name(h, S1, WAIT_MS));
	pid = harness_spawn(h, agg, NULL);
	assert_true(harness_wait_name(h, AGG, WAIT_MS));
	assert_int_equal(harness_terminate(h, pid, WAIT_MS), 0);
	assert_true(g_file_get_contents(path, &saved, NULL, NULL));
	calls = read_calls(log);
	first = g_array_index(calls, Call, find(calls, 0, 0, "save ")).instance;
	want = g_strdup_printf("saved by %u for " S1, first);
	if (!strstr(saved, want))
		fail_msg("the state file has no '%s':\n%s", want, saved);
	/* The second run's calls come after these (its instances count from 1
	 * again). */
	run2 = (int)calls->len;
	for (guint k = 0; k < calls->len; k++)
		g_free(g_array_index(calls, Call, k).event);
	g_array_unref(calls);

	pid = harness_spawn(h, agg, NULL);
	assert_true(harness_wait_name(h, AGG, WAIT_MS));
	assert_int_equal(harness_set_value(h, AGG, "/System/ResetEstimates", &one), 0);
	wait_calls(log, "reset all", 1);
	assert_int_equal(harness_terminate(h, pid, WAIT_MS), 0);
	calls = read_calls(log);
	/* The instance of the second run that was given S1's text back. */
	assert_int_equal(find(calls, 0, 0, "restore "), find(calls, run2, 0, "restore "));
	restored = find(calls, run2, 0, "restore ");
	for (; restored >= 0 && !g_str_has_suffix(event(calls, restored), want);
	     restored = find(calls, restored + 1, 0, "restore "))
		;
	assert_true(restored >= 0);
	second = g_array_index(calls, Call, restored).instance;
	/* After it joined, before any ratio is asked. */
	added = find(calls, run2, second, "added ");
	assert_true(added >= 0 && added < restored);
	assert_true(find(calls, run2, second, "ratios ") > restored);
	assert_true(find(calls, restored, second, "reset all") > restored);
	for (guint k = 0; k < calls->len; k++)
		g_free(g_array_index(calls, Call, k).event);
	harness_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_promises),
	        cmocka_unit_test(test_refused_option),
	        cmocka_unit_test(test_saved_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
