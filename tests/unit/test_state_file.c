/* SPDX-License-Identifier: MIT */
/*
 * The state file: records by member and strategy, a round trip through
 * text and through the disk, a battery of another serial, and files that
 * are not state files of batagg's (not JSON, cut short, foreign, another
 * version, damaged at random), each refused whole and never a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib/gstdio.h>
#include <string.h>

#include "engine/state_file.h"

#define S1 "com.victronenergy.battery.ttyS1"
#define S2 "com.victronenergy.battery.ttyS2"

/* Two members, one without a serial, and a text that needs escaping. */
static StateFile *sample(void)
{
	StateFile *sf = state_file_new();

	assert_true(state_file_set(sf, S1, "HQ2203", "ir", "ir 1 r=0.008 err=1e-05"));
	assert_true(
	        state_file_set(sf, S1, "HQ2203", "measured", "{\"k\": [1, 2], \"n\": \"\\\"\"}"));
	assert_true(state_file_set(sf, S2, "", "ir", "ir 1 r=0.012 \xc3\xa9t\xc3\xa9\n"));
	return sf;
}

static void expect_sample(const StateFile *sf)
{
	assert_int_equal(state_file_len(sf), 2);
	assert_string_equal(state_file_service(sf, 0), S1);
	assert_string_equal(state_file_get(sf, S1, "HQ2203", "ir"), "ir 1 r=0.008 err=1e-05");
	assert_string_equal(state_file_get(sf, S1, "HQ2203", "measured"),
	                    "{\"k\": [1, 2], \"n\": \"\\\"\"}");
	assert_string_equal(state_file_get(sf, S2, "", "ir"), "ir 1 r=0.012 \xc3\xa9t\xc3\xa9\n");
	assert_string_equal(state_file_serial(sf, S1), "HQ2203");
	assert_string_equal(state_file_serial(sf, S2), "");
}

static char *scratch_dir(void)
{
	const char *base = g_getenv("BATAGG_SCRATCH_DIR");
	g_autofree char *template =
	        g_build_filename(base ? base : g_get_tmp_dir(), "state-XXXXXX", NULL);
	char *dir = g_mkdtemp(template);

	assert_non_null(dir);
	return g_strdup(dir);
}

static void remove_dir(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *path = g_build_filename(dir, name, NULL);

		g_unlink(path);
	}
	if (d)
		g_dir_close(d);
	g_rmdir(dir);
}

static void test_records(void **state)
{
	StateFile *sf = sample();

	expect_sample(sf);
	assert_true(state_file_dirty(sf));
	/* The same text again is no change. */
	assert_false(state_file_set(sf, S1, "HQ2203", "ir", "ir 1 r=0.008 err=1e-05"));
	assert_true(state_file_set(sf, S1, "HQ2203", "ir", "ir 1 r=0.009"));
	assert_string_equal(state_file_get(sf, S1, "HQ2203", "ir"), "ir 1 r=0.009");
	/* Nothing kept for a strategy, or a service, it never saw. */
	assert_null(state_file_get(sf, S1, "HQ2203", "count"));
	assert_null(state_file_get(sf, "com.victronenergy.battery.ttyS9", "", "ir"));
	assert_null(state_file_serial(sf, "com.victronenergy.battery.ttyS9"));
	/* Forgetting one strategy keeps the other; the last one takes the
	 * record with it. */
	assert_true(state_file_set(sf, S1, "HQ2203", "ir", NULL));
	assert_false(state_file_set(sf, S1, "HQ2203", "ir", NULL));
	assert_non_null(state_file_get(sf, S1, "HQ2203", "measured"));
	assert_true(state_file_set(sf, S1, "HQ2203", "measured", NULL));
	assert_null(state_file_serial(sf, S1));
	assert_int_equal(state_file_len(sf), 1);
	assert_true(state_file_forget(sf, S2));
	assert_false(state_file_forget(sf, S2));
	assert_int_equal(state_file_len(sf), 0);
	state_file_free(sf);

	sf = sample();
	assert_true(state_file_forget(sf, NULL));
	assert_false(state_file_forget(sf, NULL));
	assert_int_equal(state_file_len(sf), 0);
	state_file_free(sf);
}

/* A member of another serial on the same service gets nothing, and what
 * it saves replaces the other battery's record whole. */
static void test_serial_mismatch(void **state)
{
	StateFile *sf = sample();

	assert_null(state_file_get(sf, S1, "HQ9999", "ir"));
	assert_null(state_file_get(sf, S1, "", "ir"));
	assert_null(state_file_get(sf, S2, "HQ2203", "ir"));
	assert_null(state_file_get(sf, S2, NULL, "count"));
	assert_non_null(state_file_get(sf, S2, NULL, "ir"));
	/* Forgetting for another battery does not touch this one's. */
	assert_false(state_file_set(sf, S1, "HQ9999", "ir", NULL));
	assert_non_null(state_file_get(sf, S1, "HQ2203", "ir"));
	assert_true(state_file_set(sf, S1, "HQ9999", "ir", "ir 1 r=0.020"));
	assert_string_equal(state_file_serial(sf, S1), "HQ9999");
	assert_string_equal(state_file_get(sf, S1, "HQ9999", "ir"), "ir 1 r=0.020");
	assert_null(state_file_get(sf, S1, "HQ9999", "measured"));
	assert_null(state_file_get(sf, S1, "HQ2203", "ir"));
	/* The other member's record is as it was. */
	assert_non_null(state_file_get(sf, S2, "", "ir"));
	state_file_free(sf);
}

static void test_round_trip(void **state)
{
	StateFile *sf = sample();
	g_autofree char *text = state_file_text(sf);
	g_autofree char *again = NULL;
	g_autofree char *dir = scratch_dir();
	g_autofree char *path = g_build_filename(dir, "config.json.state", NULL);
	g_autofree char *on_disk = NULL;
	GError *error = NULL;
	StateFile *back;
	GDir *d;

	assert_non_null(strstr(text, "\"format\": \"" STATE_FILE_FORMAT "\""));
	back = state_file_parse(text, strlen(text), &error);
	assert_null(error);
	expect_sample(back);
	assert_false(state_file_dirty(back));
	again = state_file_text(back);
	assert_string_equal(again, text);
	state_file_free(back);

	/* Through the disk: no file is an empty state, then the file written,
	 * and nothing else left in the directory. */
	back = state_file_load(path, &error);
	assert_null(error);
	assert_int_equal(state_file_len(back), 0);
	state_file_free(back);
	assert_true(state_file_write(sf, path, &error));
	assert_null(error);
	assert_false(state_file_dirty(sf));
	assert_true(g_file_get_contents(path, &on_disk, NULL, NULL));
	assert_string_equal(on_disk, text);
	back = state_file_load(path, &error);
	assert_null(error);
	expect_sample(back);
	state_file_free(back);
	/* Written again over the old file. */
	assert_true(state_file_set(sf, S2, "", "ir", "ir 1 r=0.013"));
	assert_true(state_file_write(sf, path, &error));
	back = state_file_load(path, &error);
	assert_string_equal(state_file_get(back, S2, "", "ir"), "ir 1 r=0.013");
	state_file_free(back);
	d = g_dir_open(dir, 0, NULL);
	assert_string_equal(g_dir_read_name(d), "config.json.state");
	assert_null(g_dir_read_name(d));
	g_dir_close(d);
	remove_dir(dir);

	/* Where it cannot be written, it says so; the state stays dirty. */
	assert_true(state_file_set(sf, S2, "", "ir", "ir 1 r=0.014"));
	assert_false(state_file_write(sf, "/nonexistent/batagg/config.json.state", &error));
	assert_non_null(error);
	print_message("# %s\n", error->message);
	assert_non_null(strstr(error->message, "/nonexistent/batagg/config.json.state"));
	g_clear_error(&error);
	assert_true(state_file_dirty(sf));
	state_file_free(sf);
}

static void expect_refused(const char *text, int code, const char *says)
{
	GError *error = NULL;
	StateFile *sf = state_file_parse(text, strlen(text), &error);

	if (sf)
		fail_msg("accepted: %s", text);
	assert_non_null(error);
	print_message("# %s\n", error->message);
	assert_int_equal(error->code, code);
	if (says && !strstr(error->message, says))
		fail_msg("'%s' does not say '%s'", error->message, says);
	g_error_free(error);
}

#define HEAD "{\"format\": \"batagg-state\", \"version\": 1, "

static void test_refused_files(void **state)
{
	static const struct {
		const char *text;
		int code;
		const char *says;
	} cases[] = {
	        {"", BATAGG_STATE_ERROR_CORRUPT, NULL},
	        {"\x01\x02garbage", BATAGG_STATE_ERROR_CORRUPT, NULL},
	        {"{\"format\": \"batagg-state\", \"version\": 1, \"members\": [",
	         BATAGG_STATE_ERROR_CORRUPT, NULL},
	        {"[]", BATAGG_STATE_ERROR_FOREIGN, "not a state file"},
	        {"{}", BATAGG_STATE_ERROR_FOREIGN, "not a state file"},
	        {"{\"serviceName\": \"com.victronenergy.battery.aggregator\"}",
	         BATAGG_STATE_ERROR_FOREIGN, "not a state file"},
	        {"{\"format\": \"other\", \"version\": 1, \"members\": []}",
	         BATAGG_STATE_ERROR_FOREIGN, NULL},
	        {"{\"format\": \"batagg-state\", \"version\": 2, \"members\": []}",
	         BATAGG_STATE_ERROR_VERSION, "version 2; this batagg reads version 1"},
	        {"{\"format\": \"batagg-state\", \"version\": \"1\", \"members\": []}",
	         BATAGG_STATE_ERROR_VERSION, NULL},
	        {"{\"format\": \"batagg-state\", \"members\": []}", BATAGG_STATE_ERROR_VERSION,
	         NULL},
	        {HEAD "\"members\": {}}", BATAGG_STATE_ERROR_CORRUPT, "members"},
	        {HEAD "\"members\": [1]}", BATAGG_STATE_ERROR_CORRUPT, "member 1"},
	        {HEAD "\"members\": [{\"service\": \"" S1 "\", \"strategies\": {}}]}",
	         BATAGG_STATE_ERROR_CORRUPT, "member 1"},
	        {HEAD "\"members\": [{\"service\": \"\", \"serial\": \"\", \"strategies\": {}}]}",
	         BATAGG_STATE_ERROR_CORRUPT, "member 1"},
	        {HEAD "\"members\": [{\"service\": \"" S1
	              "\", \"serial\": 5, \"strategies\": {}}]}",
	         BATAGG_STATE_ERROR_CORRUPT, "member 1"},
	        {HEAD "\"members\": [{\"service\": \"" S1 "\", \"serial\": \"\", \"strategies\": "
	              "{\"ir\": 0.008}}]}",
	         BATAGG_STATE_ERROR_CORRUPT, "no text"},
	        {HEAD "\"members\": [{\"service\": \"" S1 "\", \"serial\": \"\", \"strategies\": "
	              "{}}, {\"service\": \"" S1 "\", \"serial\": \"x\", \"strategies\": {}}]}",
	         BATAGG_STATE_ERROR_CORRUPT, "twice"},
	        /* Not UTF-8. */
	        {HEAD "\"members\": [{\"service\": \"" S1 "\", \"serial\": \"\xff\", "
	              "\"strategies\": {}}]}",
	         BATAGG_STATE_ERROR_CORRUPT, NULL},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
		expect_refused(cases[i].text, cases[i].code, cases[i].says);
}

/* Every cut of a good file short of its end is refused. */
static void test_truncated_files(void **state)
{
	StateFile *sf = sample();
	g_autofree char *text = state_file_text(sf);
	size_t end = (size_t)(strrchr(text, '}') - text);

	for (size_t cut = 0; cut <= end; cut++) {
		GError *error = NULL;
		StateFile *back = state_file_parse(text, cut, &error);

		if (back)
			fail_msg("a file cut at %zu of %zu was accepted", cut, strlen(text));
		assert_non_null(error);
		g_error_free(error);
	}
	state_file_free(sf);
}

/* A good file damaged at random (bytes changed, dropped, doubled): refused
 * with a reason, or read as a state that writes and reads back the same.
 * Never a crash (ASan and UBSan watch this too). */
static void test_damaged_files(void **state)
{
	static const char bytes[] = "{}[]\",:\\ 0123456789-+.eE\xff\xc3\x80"
	                            "abcnrtu";
	StateFile *sf = sample();
	g_autofree char *text = state_file_text(sf);
	GRand *rand = g_rand_new_with_seed(18);
	int refused = 0, read = 0;

	for (int round = 0; round < 5000; round++) {
		GString *bad = g_string_new(text);
		int changes = g_rand_int_range(rand, 1, 4);
		GError *error = NULL;
		StateFile *back;

		for (int c = 0; c < changes && bad->len > 0; c++) {
			gsize at = (gsize)g_rand_int_range(rand, 0, (gint32)bad->len);

			switch (g_rand_int_range(rand, 0, 3)) {
			case 0:
				bad->str[at] = bytes[g_rand_int_range(rand, 0, sizeof(bytes) - 1)];
				break;
			case 1:
				g_string_erase(bad, (gssize)at, 1);
				break;
			default:
				g_string_insert_c(bad, (gssize)at, bad->str[at]);
				break;
			}
		}
		back = state_file_parse(bad->str, bad->len, &error);
		if (back) {
			g_autofree char *out = state_file_text(back);
			StateFile *again = state_file_parse(out, strlen(out), NULL);
			g_autofree char *out2 = NULL;

			assert_null(error);
			assert_non_null(again);
			out2 = state_file_text(again);
			assert_string_equal(out, out2);
			for (guint i = 0; i < state_file_len(back); i++) {
				const char *service = state_file_service(back, i);

				state_file_get(back, service, state_file_serial(back, service),
				               "ir");
			}
			state_file_free(again);
			state_file_free(back);
			read++;
		} else {
			assert_non_null(error);
			assert_true(error->domain == BATAGG_STATE_ERROR);
			g_error_free(error);
			refused++;
		}
		g_string_free(bad, TRUE);
	}
	print_message("# damaged files: %d refused, %d read\n", refused, read);
	assert_true(refused > 1000);
	g_rand_free(rand);
	state_file_free(sf);
}

/* A file far too large is not read. */
static void test_large_file_refused(void **state)
{
	g_autofree char *dir = scratch_dir();
	g_autofree char *path = g_build_filename(dir, "big.state", NULL);
	g_autofree char *big = g_strnfill(STATE_FILE_MAX_BYTES + 1, ' ');
	GError *error = NULL;

	assert_true(g_file_set_contents(path, big, -1, NULL));
	assert_null(state_file_load(path, &error));
	assert_non_null(error);
	print_message("# %s\n", error->message);
	assert_true(g_str_has_prefix(error->message, path));
	g_error_free(error);
	remove_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_records),
	        cmocka_unit_test(test_serial_mismatch),
	        cmocka_unit_test(test_round_trip),
	        cmocka_unit_test(test_refused_files),
	        cmocka_unit_test(test_truncated_files),
	        cmocka_unit_test(test_damaged_files),
	        cmocka_unit_test(test_large_file_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
