/* SPDX-License-Identifier: MIT */
/*
 * The plugin loader against real fixture plugins: each refusal has its error
 * code and a message that starts with the file's path and says why; nothing
 * of a refused file is registered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "registry.h"

static char *fixture(const char *name)
{
	const char *dir = g_getenv("BATAGG_FIXTURE_DIR");

	assert_non_null(dir);
	return g_strdup_printf("%s/%s.so", dir, name);
}

static void expect_refusal(Registry *reg, const char *path, int code, const char *why)
{
	GError *error = NULL;

	assert_false(registry_load_file(reg, path, &error));
	assert_non_null(error);
	print_message("# %s\n", error->message);
	assert_int_equal(error->domain, BATAGG_PLUGIN_ERROR);
	assert_int_equal(error->code, code);
	assert_true(g_str_has_prefix(error->message, path));
	if (!strstr(error->message, why))
		fail_msg("'%s' does not say '%s'", error->message, why);
	g_error_free(error);
}

static void test_good_plugin(void **state)
{
	Registry *reg = registry_new();
	g_autofree char *path = fixture("good");
	GError *error = NULL;

	assert_true(registry_load_file(reg, path, &error));
	assert_non_null(registry_find(reg, REGISTRY_CVL, "fixture_good"));
	assert_string_equal(registry_origin(reg, REGISTRY_CVL, "fixture_good"), path);
	/* Loading it again is a duplicate, refused and naming the first file. */
	expect_refusal(reg, path, BATAGG_PLUGIN_ERROR_DUPLICATE, "already registered by");
	registry_free(reg);
}

static void test_refusals(void **state)
{
	static const struct {
		const char *fixture;
		int code;
		const char *why;
	} cases[] = {
	        {"abi_major", BATAGG_PLUGIN_ERROR_ABI, "built for plugin interface 2.0"},
	        {"abi_minor", BATAGG_PLUGIN_ERROR_ABI, "this batagg provides 1.0"},
	        {"no_symbol", BATAGG_PLUGIN_ERROR_NOT_A_PLUGIN, "no symbol batagg_plugin"},
	        {"null_fn", BATAGG_PLUGIN_ERROR_INVALID, "lacks its required function"},
	        {"bad_name", BATAGG_PLUGIN_ERROR_INVALID, "invalid name 'bad name!'"},
	        {"dup_twice", BATAGG_PLUGIN_ERROR_DUPLICATE, "names CVL mode 'fixture_good' twice"},
	        {"tiny_table", BATAGG_PLUGIN_ERROR_INVALID, "a CVL mode table is"},
	        {"missing", BATAGG_PLUGIN_ERROR_OPEN, "No such file"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		Registry *reg = registry_new();
		g_autofree char *path = fixture(cases[i].fixture);

		expect_refusal(reg, path, cases[i].code, cases[i].why);
		/* All or none: nothing of the file is registered. */
		assert_null(registry_find(reg, REGISTRY_CVL, "fixture_good"));
		registry_free(reg);
	}
}

/* A table is read only up to its struct_size: the fields it lacks (set in
 * the fixture beyond its struct_size) read as NULL, whoever reads them. */
static void test_short_table_reads_null(void **state)
{
	Registry *reg = registry_new();
	g_autofree char *path = fixture("short_table");
	const BataggRatioMethod *m;
	const BataggMergePolicy *p;
	GError *error = NULL;

	assert_true(registry_load_file(reg, path, &error));
	m = registry_find(reg, REGISTRY_RATIO, "short_ratio");
	assert_non_null(m);
	assert_int_equal(m->struct_size, offsetof(BataggRatioMethod, member_added));
	assert_non_null(m->ratios);
	assert_null(m->member_added);
	assert_null(m->member_removed);
	assert_null(m->sample);
	assert_null(m->current);
	assert_null(m->diagnose);
	p = registry_find(reg, REGISTRY_MERGE, "short_merge");
	assert_non_null(p);
	assert_non_null(p->merge);
	assert_null(p->provides);
	registry_free(reg);
}

/* A third-party plugin cannot take a built-in's name. */
static void test_duplicate_across_files(void **state)
{
	Registry *reg = registry_new();
	g_autofree char *impostor = fixture("dup_ir");
	GPtrArray *refused = NULL;
	GError *error = NULL;

	assert_true(registry_load_dir(reg, g_getenv("BATAGG_PLUGIN_BUILD_DIR"), &refused, &error) >=
	            5);
	assert_null(refused);
	expect_refusal(reg, impostor, BATAGG_PLUGIN_ERROR_DUPLICATE, "ccl_ir.so");
	assert_string_equal(
	        ((const BataggRatioMethod *)registry_find(reg, REGISTRY_RATIO, "ir"))->summary,
	        "shares in inverse proportion to the estimated internal resistance");
	registry_free(reg);
}

static char *copy_into(const char *dir, const char *from, const char *name)
{
	g_autofree char *data = NULL;
	gsize len;
	char *to = g_build_filename(dir, name, NULL);

	assert_true(g_file_get_contents(from, &data, &len, NULL));
	assert_true(g_file_set_contents(to, data, (gssize)len, NULL));
	g_chmod(to, 0755);
	return to;
}

static void test_unsafe_paths(void **state)
{
	g_autofree char *dir = g_dir_make_tmp("batagg-loader-XXXXXX", NULL);
	g_autofree char *good = fixture("good");
	g_autofree char *file = NULL;
	g_autofree char *text = NULL;
	Registry *reg = registry_new();
	GPtrArray *refused = NULL;
	GError *error = NULL;

	g_chmod(dir, 0755);
	file = copy_into(dir, good, "good.so");
	/* A group-writable file. */
	g_chmod(file, 0775);
	expect_refusal(reg, file, BATAGG_PLUGIN_ERROR_UNSAFE_PATH, "writable by its group");
	g_chmod(file, 0755);
	/* A world-writable directory: the whole directory is refused. */
	g_chmod(dir, 0777);
	expect_refusal(reg, file, BATAGG_PLUGIN_ERROR_UNSAFE_PATH, "writable by other users");
	assert_int_equal(registry_load_dir(reg, dir, &refused, &error), -1);
	assert_int_equal(error->code, BATAGG_PLUGIN_ERROR_UNSAFE_PATH);
	g_clear_error(&error);
	g_chmod(dir, 0755);
	/* A text file named .so is not a plugin; the good one still loads. */
	text = g_build_filename(dir, "notes.so", NULL);
	assert_true(g_file_set_contents(text, "not a shared object\n", -1, NULL));
	g_chmod(text, 0644);
	assert_int_equal(registry_load_dir(reg, dir, &refused, &error), 1);
	assert_non_null(refused);
	assert_int_equal(refused->len, 1);
	assert_true(g_str_has_prefix(((GError *)refused->pdata[0])->message, text));
	assert_int_equal(((GError *)refused->pdata[0])->code, BATAGG_PLUGIN_ERROR_OPEN);
	g_error_free(refused->pdata[0]);
	g_ptr_array_free(refused, TRUE);
	g_unlink(text);
	g_unlink(file);
	g_rmdir(dir);
	registry_free(reg);
}

static void test_unknown_name_lists_known(void **state)
{
	Registry *reg = registry_new();
	GPtrArray *refused = NULL;
	GError *error = NULL;

	registry_load_dir(reg, g_getenv("BATAGG_PLUGIN_BUILD_DIR"), &refused, &error);
	assert_null(registry_lookup(reg, REGISTRY_RATIO, "resistance", &error));
	assert_int_equal(error->code, BATAGG_PLUGIN_ERROR_UNKNOWN_NAME);
	assert_string_equal(error->message, "unknown current ratio method 'resistance'; known: "
	                                    "capacity, count, ir");
	g_clear_error(&error);
	assert_null(registry_lookup(reg, REGISTRY_CVL, "max", &error));
	assert_string_equal(error->message,
	                    "unknown CVL mode 'max'; known: dvcc, max_always, max_when_balancing, "
	                    "max_when_floating, min_when_balancing");
	g_clear_error(&error);
	registry_free(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_good_plugin),
	        cmocka_unit_test(test_refusals),
	        cmocka_unit_test(test_short_table_reads_null),
	        cmocka_unit_test(test_duplicate_across_files),
	        cmocka_unit_test(test_unsafe_paths),
	        cmocka_unit_test(test_unknown_name_lists_known),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
