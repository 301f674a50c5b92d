/* SPDX-License-Identifier: MIT */
/*
 * Learned resistances survive a restart, and can be reset (issue 18, point
 * 3): the real batagg on a private bus learns two batteries' resistances
 * from samples on exact lines, is stopped (SIGTERM) and started again with
 * the same config, and has the same CCL and resistances at once, before
 * any new sample; a battery with another /Serial learns afresh; a write of
 * 1 to /System/ResetEstimates brings back the CCL by capacity; a reload
 * keeps what was learned; stateFile false keeps nothing; a damaged state
 * file is said once and ignored.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"

#define AGG "com.victronenergy.battery.aggregator"
#define S1 "com.victronenergy.battery.ttyS1"
#define S2 "com.victronenergy.battery.ttyS2"
#define RESET "/System/ResetEstimates"
#define IRS "/System/InternalResistances"
#define CCL "/Info/MaxChargeCurrent"
#define WAIT_MS 10000

/* Rack A (280 Ah, 100 A, serial HQ1) and Rack B (100 Ah, 50 A, none).  By
 * capacity the CCL is min(100 * 380/280, 50 * 3.8) = 135.71 A; by their
 * resistances (8 and 12 mOhm) min(100 * 0.008 * 208.3, 50 * 0.012 * 208.3)
 * = 125 A. */
static const char scenario[] =
        "{\"batteries\": {"
        "\"" S1 "\": {\"/Dc/0/Voltage\": 53.0, \"/Dc/0/Current\": 0.0, \"/Serial\": \"HQ1\","
        " \"/InstalledCapacity\": 280.0, \"/Info/MaxChargeCurrent\": 100.0,"
        " \"/Info/MaxDischargeCurrent\": 150.0, \"/Info/MaxChargeVoltage\": 55.2},"
        "\"" S2 "\": {\"/Dc/0/Voltage\": 53.1, \"/Dc/0/Current\": 0.0,"
        " \"/InstalledCapacity\": 100.0, \"/Info/MaxChargeCurrent\": 50.0,"
        " \"/Info/MaxDischargeCurrent\": 100.0, \"/Info/MaxChargeVoltage\": 55.0}}}";
static const double ccl_by_capacity = 100.0 * 380 / 280;
static const double ccl_by_ir = 125.0;

typedef struct {
	HarnessBank *bank;
	char *state; /* where the default state file is */
	double ccl;  /* as learned */
	char *irs;   /* as learned */
	char *emfs;  /* as learned */
} Bank;

/* Starts batagg with the bank's config; waits for the aggregate. */
static void agg_start(Bank *b)
{
	harness_bank_start_agg(b->bank);
	assert_true(harness_wait_name(b->bank->h, AGG, WAIT_MS));
}

/* Stops batagg as its supervisor does, and waits for its name to go. */
static void agg_stop(Bank *b)
{
	int status = harness_terminate(b->bank->h, b->bank->agg, WAIT_MS);

	assert_true(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	for (int tries = 0; tries < 100 && harness_has_name(b->bank->h, AGG); tries++)
		g_usleep(20 * 1000);
	assert_false(harness_has_name(b->bank->h, AGG));
}

/* The simulator with the two racks, and batagg with config (@DIR@: the
 * test's directory, for a stateFile of its own), its output in a log. */
static Bank *bank_start(const char *config)
{
	Bank *b = g_new0(Bank, 1);

	b->bank = harness_bank_start(&(HarnessBankOptions){
	        .scenario = scenario, .sim_ready = {S1, S2}, .config = config, .agg_logged = true});
	b->state = g_strconcat(b->bank->config, ".state", NULL);
	return b;
}

static void bank_free(Bank *b)
{
	harness_bank_free(b->bank);
	g_free(b->state);
	g_free(b->irs);
	g_free(b->emfs);
	g_free(b);
}

/* What the aggregate publishes now, without waiting. */
static double number_now(Bank *b, const char *path)
{
	Value v = VALUE_INIT;
	double x = NAN;

	assert_true(harness_get_value(b->bank->h, AGG, path, &v));
	if (!value_number(&v, &x))
		fail_msg("%s is no number", path);
	value_clear(&v);
	return x;
}

static char *text_now(Bank *b, const char *path)
{
	Value v = VALUE_INIT;
	char *text;

	assert_true(harness_get_value(b->bank->h, AGG, path, &v));
	if (v.type != VALUE_TEXT)
		fail_msg("%s is no text", path);
	text = g_strdup(v.u.s);
	value_clear(&v);
	return text;
}

/* Feeds both racks samples on exact lines V = E + R I (14 steps of 3 A,
 * 24 and 36 mV apart), each step in one ItemsChanged, until both fits are
 * accepted; keeps the CCL and the resistances they give. */
static void learn(Bank *b)
{
	double ra = 0, rb = 0;

	harness_expect_number(b->bank->h, AGG, CCL, ccl_by_capacity);
	for (int step = 1; step <= 14; step++) {
		double i = 3.0 * step;

		harness_sendf(b->bank->sim,
		              "setmany " S1 " {\"/Dc/0/Voltage\": %.17g, \"/Dc/0/Current\": %.17g}",
		              53.0 + 0.008 * i, i);
		harness_sendf(b->bank->sim,
		              "setmany " S2 " {\"/Dc/0/Voltage\": %.17g, \"/Dc/0/Current\": %.17g}",
		              53.1 + 0.012 * i, i);
		harness_expect_number(b->bank->h, AGG, "/Dc/0/Current", 2 * i);
	}
	for (int tries = 0; tries < 100; tries++) {
		g_free(b->irs);
		b->irs = text_now(b, IRS);
		if (sscanf(b->irs, "[%lf, %lf]", &ra, &rb) == 2 && ra > 0 && rb > 0)
			break;
		g_usleep(100 * 1000);
	}
	if (!(fabs(ra - 0.008) < 1e-6 && fabs(rb - 0.012) < 1e-6))
		fail_msg("the resistances are %s, not [0.008, 0.012]", b->irs);
	harness_expect_number(b->bank->h, AGG, CCL, ccl_by_ir);
	b->ccl = number_now(b, CCL);
	g_free(b->emfs);
	b->emfs = text_now(b, "/System/EMFs");
	print_message("# learned: CCL %.17g A, resistances %s\n", b->ccl, b->irs);
}

/* The CCL and resistances as learned, the moment the aggregate is there
 * again: before any new sample. */
static void expect_learned_at_once(Bank *b)
{
	g_autofree char *irs = text_now(b, IRS);
	g_autofree char *emfs = text_now(b, "/System/EMFs");
	double ccl = number_now(b, CCL);

	if (ccl != b->ccl)
		fail_msg("after the restart the CCL is %.17g, not %.17g", ccl, b->ccl);
	assert_string_equal(irs, b->irs);
	assert_string_equal(emfs, b->emfs);
}

static void expect_text_now(Bank *b, const char *path, const char *text)
{
	g_autofree char *now = text_now(b, path);

	assert_string_equal(now, text);
}

static int count_of(const char *text, const char *what)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

static void test_a_restart_keeps_what_was_learned(void **state)
{
	Bank *b = bank_start("{\"publishInterval\": 0}");
	g_autofree char *saved = NULL;

	learn(b);
	agg_stop(b);
	assert_true(g_file_get_contents(b->state, &saved, NULL, NULL));
	print_message("# %s has %d records\n", b->state, count_of(saved, "\"service\""));
	assert_non_null(strstr(saved, "\"format\": \"batagg-state\""));
	assert_non_null(strstr(saved, S1));
	assert_non_null(strstr(saved, "\"HQ1\""));
	assert_non_null(strstr(saved, S2));

	agg_start(b);
	expect_learned_at_once(b);
	assert_true(harness_wait_text(b->bank->log, "has the state saved for it", WAIT_MS));
	/* And a second restart, with nothing learned in between. */
	agg_stop(b);
	agg_start(b);
	expect_learned_at_once(b);
	bank_free(b);
}

/* Another battery on S1 (another /Serial) gets nothing of the old one's:
 * with one battery it knows nothing about, ir serves none, and the CCL is
 * by capacity; S2 keeps its resistance. */
static void test_another_serial_learns_afresh(void **state)
{
	Bank *b = bank_start("{\"publishInterval\": 0}");
	g_autofree char *irs = NULL;

	learn(b);
	agg_stop(b);
	harness_sendf(b->bank->sim, "set " S1 " /Serial \"HQ2\"");
	agg_start(b);
	assert_true(fabs(number_now(b, CCL) - ccl_by_capacity) < 1e-9);
	irs = text_now(b, IRS);
	print_message("# with another serial on ttyS1: %s\n", irs);
	assert_true(g_str_has_prefix(irs, "[0, "));
	assert_string_equal(strchr(irs, ','), strchr(b->irs, ','));
	assert_true(
	        harness_wait_text(b->bank->log, "its state was saved for serial \"HQ1\"", WAIT_MS));
	bank_free(b);
}

/* 1 on /System/ResetEstimates: the CCL by capacity at once, the path 0
 * again, and nothing comes back after a restart.  Anything else is
 * refused.  The state file is where stateFile says. */
static void test_reset(void **state)
{
	Bank *b = bank_start("{\"publishInterval\": 0, \"stateFile\": \"@DIR@/learned.state\"}");
	g_autofree char *path = g_build_filename(harness_dir(b->bank->h), "learned.state", NULL);
	g_autofree char *saved = NULL;
	Value one = value_int(1), two = value_int(2), text = value_text("1");

	learn(b);
	agg_stop(b);
	assert_true(g_file_get_contents(path, &saved, NULL, NULL));
	assert_non_null(strstr(saved, S1));
	g_clear_pointer(&saved, g_free);
	agg_start(b);
	expect_learned_at_once(b);
	harness_expect_number(b->bank->h, AGG, RESET, 0);
	assert_int_not_equal(harness_set_value(b->bank->h, AGG, RESET, &two), 0);
	assert_int_not_equal(harness_set_value(b->bank->h, AGG, RESET, &text), 0);
	harness_expect_number(b->bank->h, AGG, CCL, ccl_by_ir);
	assert_int_equal(harness_set_value(b->bank->h, AGG, RESET, &one), 0);
	assert_true(fabs(number_now(b, RESET)) == 0);
	harness_expect_number(b->bank->h, AGG, CCL, ccl_by_capacity);
	harness_expect_text(b->bank->h, AGG, IRS, "[0, 0]");
	harness_expect_text(b->bank->h, AGG, "/System/InternalResistanceCorrections", "[1, 1]");
	/* Written at once, without what was learned. */
	assert_true(g_file_get_contents(path, &saved, NULL, NULL));
	assert_null(strstr(saved, S1));
	assert_false(g_file_test(b->state, G_FILE_TEST_EXISTS));
	agg_stop(b);
	agg_start(b);
	assert_true(fabs(number_now(b, CCL) - ccl_by_capacity) < 1e-9);
	expect_text_now(b, IRS, "[0, 0]");
	/* It learns again from scratch. */
	learn(b);
	value_clear(&text);
	bank_free(b);
}

/* A reload (SIGHUP) makes new strategies: they start from what the old
 * ones learned.  A reload that names another state file moves it there,
 * at once. */
static void test_a_reload_keeps_what_was_learned(void **state)
{
	Bank *b = bank_start("{\"publishInterval\": 0}");
	g_autofree char *moved = g_build_filename(harness_dir(b->bank->h), "moved.state", NULL);
	g_autofree char *config =
	        g_strdup_printf("{\"publishInterval\": 0, \"stateFile\": \"%s\"}", moved);
	g_autofree char *saved = NULL;

	learn(b);
	kill(b->bank->agg, SIGHUP);
	assert_true(harness_wait_text(b->bank->log, "follows the new config", WAIT_MS));
	expect_learned_at_once(b);
	harness_write_file(b->bank->h, "config.json", config);
	kill(b->bank->agg, SIGHUP);
	assert_true(harness_wait_text(b->bank->log, "state file: now", WAIT_MS));
	assert_true(g_file_get_contents(moved, &saved, NULL, NULL));
	assert_non_null(strstr(saved, S1));
	expect_learned_at_once(b);
	agg_stop(b);
	agg_start(b);
	expect_learned_at_once(b);
	bank_free(b);
}

/* stateFile false: nothing is written, and a restart learns afresh. */
static void test_no_state_file(void **state)
{
	Bank *b = bank_start("{\"publishInterval\": 0, \"stateFile\": false}");
	GDir *d;
	const char *name;

	learn(b);
	agg_stop(b);
	d = g_dir_open(harness_dir(b->bank->h), 0, NULL);
	while ((name = g_dir_read_name(d))) {
		if (strstr(name, "state"))
			fail_msg("%s/%s was written", harness_dir(b->bank->h), name);
	}
	g_dir_close(d);
	agg_start(b);
	assert_true(fabs(number_now(b, CCL) - ccl_by_capacity) < 1e-9);
	expect_text_now(b, IRS, "[0, 0]");
	bank_free(b);
}

/* A state file that is damaged, or no state file at all, is said once, at
 * WARNING, and ignored; the next save replaces it. */
static void test_a_damaged_state_file_is_ignored(void **state)
{
	Bank *b = bank_start("{\"publishInterval\": 0}");
	g_autofree char *saved = NULL;
	g_autofree char *log = NULL;

	learn(b);
	agg_stop(b);
	assert_true(g_file_get_contents(b->state, &saved, NULL, NULL));
	/* Cut in the middle. */
	saved[strlen(saved) / 2] = '\0';
	assert_true(g_file_set_contents(b->state, saved, -1, NULL));
	agg_start(b);
	assert_true(harness_wait_text(b->bank->log,
	                              "ignored (the batteries' resistances are learned "
	                              "afresh",
	                              WAIT_MS));
	assert_true(fabs(number_now(b, CCL) - ccl_by_capacity) < 1e-9);
	assert_true(g_file_get_contents(b->bank->log, &log, NULL, NULL));
	assert_int_equal(count_of(log, "ignored (the batteries' resistances"), 1);
	assert_non_null(strstr(log, "WARNING"));
	learn(b);
	agg_stop(b);
	agg_start(b);
	expect_learned_at_once(b);
	bank_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_a_restart_keeps_what_was_learned),
	        cmocka_unit_test(test_another_serial_learns_afresh),
	        cmocka_unit_test(test_reset),
	        cmocka_unit_test(test_a_reload_keeps_what_was_learned),
	        cmocka_unit_test(test_no_state_file),
	        cmocka_unit_test(test_a_damaged_state_file_is_ignored),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
