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
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strategies/registry.h"

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
	assert_non_null(registry_find(reg, BATAGG_KIND_CVL, "fixture_good"));
	assert_string_equal(
	        registry_origin(reg, registry_find(reg, BATAGG_KIND_CVL, "fixture_good")), path);
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
	        {"abi_major", BATAGG_PLUGIN_ERROR_ABI, "built for plugin interface 4.0"},
	        {"abi_minor", BATAGG_PLUGIN_ERROR_ABI,
	         "this batagg provides " G_STRINGIFY(BATAGG_PLUGIN_ABI_MAJOR) "." G_STRINGIFY(
	                 BATAGG_PLUGIN_ABI_MINOR)},
	        {"no_symbol", BATAGG_PLUGIN_ERROR_NOT_A_PLUGIN, "no symbol batagg_plugin"},
	        {"null_fn", BATAGG_PLUGIN_ERROR_INVALID, "lacks its required function"},
	        {"bad_name", BATAGG_PLUGIN_ERROR_INVALID, "invalid name 'bad name!'"},
	        {"dup_twice", BATAGG_PLUGIN_ERROR_DUPLICATE, "names CVL mode 'fixture_good' twice"},
	        {"tiny_table", BATAGG_PLUGIN_ERROR_INVALID, "a CVL mode table is"},
	        {"missing", BATAGG_PLUGIN_ERROR_OPEN, "No such file"},
	        /* SDK 3: what a table names is checked. */
	        {"bad_reads", BATAGG_PLUGIN_ERROR_INVALID,
	         "limiter 'bad_reads': reads: \"Dc/0/Voltage\" is no D-Bus object path"},
	        {"bad_key_path", BATAGG_PLUGIN_ERROR_INVALID,
	         "merge policy 'bad_key_path': key_path: batagg does not read "
	         "\"/Dc/0/Temprature\""},
	        {"bad_options", BATAGG_PLUGIN_ERROR_INVALID,
	         "CVL mode 'bad_options': options: it documents 'margin', but its create() "
	         "refuses it"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		Registry *reg = registry_new();
		g_autofree char *path = fixture(cases[i].fixture);

		expect_refusal(reg, path, cases[i].code, cases[i].why);
		/* All or none: nothing of the file is registered. */
		assert_null(registry_find(reg, BATAGG_KIND_CVL, "fixture_good"));
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
	const BataggHook *h;
	GError *error = NULL;

	assert_true(registry_load_file(reg, path, &error));
	m = (const BataggRatioMethod *)registry_find(reg, BATAGG_KIND_RATIO, "short_ratio");
	assert_non_null(m);
	assert_int_equal(m->head.struct_size, offsetof(BataggRatioMethod, fallback));
	assert_non_null(m->ratios);
	assert_null(m->fallback);
	assert_null(m->current);
	assert_null(m->diagnose);
	h = (const BataggHook *)registry_find(reg, BATAGG_KIND_HOOK, "short_hook");
	assert_non_null(h);
	assert_non_null(h->value);
	assert_non_null(h->provides);
	registry_free(reg);
}

/* A ratio method built against interface 2.0 loads: its table moved to
 * 3.0's layout, the fields 2.1 and 3.0 appended read as NULL (it saves and
 * restores nothing). */
static void test_ratio_method_of_2_0_loads(void **state)
{
	Registry *reg = registry_new();
	g_autofree char *path = fixture("ratio_2_0");
	const BataggRatioMethod *m;
	GError *error = NULL;

	assert_true(registry_load_file(reg, path, &error));
	m = (const BataggRatioMethod *)registry_find(reg, BATAGG_KIND_RATIO, "ratio_2_0");
	assert_non_null(m);
	assert_non_null(m->ratios);
	assert_non_null(m->diagnose);
	assert_null(m->save_member);
	assert_null(m->restore_member);
	assert_null(m->reset);
	/* Its fields stand where 3.0's are: what 3.0 appended to the head
	 * reads as nothing, and its ratios() is its own. */
	assert_null(m->head.reads);
	assert_int_equal(m->head.member_state_size, 0);
	assert_null(m->head.save_member);
	assert_null(m->fallback);
	{
		BataggMember two[2] = {{.id = 1}, {.id = 2}};
		BataggNum out[2] = {{0}};
		BataggRatioInput in = {.n = 2, .members = two};

		m->ratios(NULL, &in, out);
		assert_true(out[0].valid && out[0].value == 2);
	}
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
	assert_string_equal(registry_find(reg, BATAGG_KIND_RATIO, "ir")->summary,
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

/* A fresh directory (mode 0755) for a test's files, in the build tree: not
 * in /tmp, which everyone can write, so that nothing below it is trusted. */
static char *scratch_dir(void)
{
	const char *dir = g_getenv("BATAGG_SCRATCH_DIR");
	char *tmpl;

	assert_non_null(dir);
	tmpl = g_build_filename(dir, "loader-XXXXXX", NULL);
	assert_non_null(g_mkdtemp_full(tmpl, 0755));
	g_chmod(tmpl, 0755);
	return tmpl;
}

static void remove_tree(const char *path)
{
	GStatBuf st;

	if (g_lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		GDir *d = g_dir_open(path, 0, NULL);
		const char *name;

		while (d && (name = g_dir_read_name(d))) {
			g_autofree char *child = g_build_filename(path, name, NULL);

			remove_tree(child);
		}
		if (d)
			g_dir_close(d);
		g_rmdir(path);
	} else {
		g_unlink(path);
	}
}

/* Builds a tree below top: a directory ("name/", with a mode), a copy of a
 * fixture ("name", with a mode), or a symbolic link ("name -> target"). */
static void build_tree(const char *top, const char *const *spec)
{
	for (; *spec; spec++) {
		g_auto(GStrv) f = g_strsplit(*spec, " ", -1);
		g_autofree char *path = g_build_filename(top, f[0], NULL);

		if (strcmp(f[1], "->") == 0) {
			assert_int_equal(symlink(f[2], path), 0);
		} else if (g_str_has_suffix(f[0], "/")) {
			assert_int_equal(g_mkdir(path, 0700), 0);
			assert_int_equal(g_chmod(path, (int)strtol(f[1], NULL, 8)), 0);
		} else {
			g_autofree char *from = fixture(f[2]);
			g_autofree char *data = NULL;
			gsize len;

			assert_true(g_file_get_contents(from, &data, &len, NULL));
			assert_true(g_file_set_contents(path, data, (gssize)len, NULL));
			assert_int_equal(g_chmod(path, (int)strtol(f[1], NULL, 8)), 0);
		}
	}
}

static void test_unsafe_paths(void **state)
{
	g_autofree char *dir = scratch_dir();
	g_autofree char *good = fixture("good");
	g_autofree char *file = NULL;
	g_autofree char *text = NULL;
	Registry *reg = registry_new();
	GPtrArray *refused = NULL;
	GError *error = NULL;
	const GError *e;

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
	/* A text file named .so is not a plugin; the good one still loads.  The
	 * message names the file, not the fd it was loaded through. */
	text = g_build_filename(dir, "notes.so", NULL);
	assert_true(g_file_set_contents(text, "not a shared object\n", -1, NULL));
	g_chmod(text, 0644);
	assert_int_equal(registry_load_dir(reg, dir, &refused, &error), 1);
	assert_non_null(refused);
	assert_int_equal(refused->len, 1);
	e = refused->pdata[0];
	print_message("# %s\n", e->message);
	assert_true(g_str_has_prefix(e->message, text));
	assert_null(strstr(e->message, "/proc/"));
	assert_int_equal(e->code, BATAGG_PLUGIN_ERROR_OPEN);
	g_error_free(refused->pdata[0]);
	g_ptr_array_free(refused, TRUE);
	remove_tree(dir);
	registry_free(reg);
}

/* Opening a file runs its constructors, so every rule on the path is checked
 * before the file is opened: the fixture's constructor must not have run
 * when it is refused.  Each directory up to / counts, and links are
 * resolved first. */
static void test_untrusted_refused_before_opening(void **state)
{
	static const struct {
		const char *file;  /* below the scratch directory */
		const char *where; /* the directory blamed, or NULL for the file */
		const char *why;
		gboolean root_only;
	} cases[] = {
	        {"groupw/constructed.so", "groupw", "is writable by its group (mode 0775)", FALSE},
	        {"ww/sub/constructed.so", "ww", "is writable by other users (mode 0777)", FALSE},
	        /* A sticky parent is fine (sticky/sub below); a sticky plugin
	         * directory is not: others could put files in it. */
	        {"sticky/constructed.so", "sticky", "is writable by other users (mode 1777)",
	         FALSE},
	        {"other/sub/constructed.so", "other", "is owned by uid 4242", TRUE},
	        {"link-ww/constructed.so", "ww", "is writable by other users", FALSE},
	        {"link-groupw/constructed.so", "groupw", "is writable by its group", FALSE},
	        {"ok/link.so", NULL, "refused: a symbolic link", FALSE},
	        {"ok/group.so", NULL, "the file is writable by its group", FALSE},
	};
	static const char *const tree[] = {
	        "ok/ 0755",
	        "ok/constructed.so 0644 constructed",
	        "ok/good.so 0644 good",
	        "ok/group.so 0664 constructed",
	        "ok/link.so -> constructed.so",
	        "groupw/ 0775",
	        "groupw/constructed.so 0644 constructed",
	        "ww/ 0777",
	        "ww/sub/ 0755",
	        "ww/sub/constructed.so 0644 constructed",
	        "sticky/ 1777",
	        "sticky/constructed.so 0644 constructed",
	        "sticky/sub/ 0755",
	        "sticky/sub/constructed.so 0644 constructed",
	        "other/ 0755",
	        "other/sub/ 0755",
	        "other/sub/constructed.so 0644 constructed",
	        "link-ww -> ww/sub",
	        "link-groupw -> groupw",
	        "link-ok -> ok",
	        NULL,
	};
	g_autofree char *top = scratch_dir();
	g_autofree char *real = realpath(top, NULL);
	g_autofree char *other = g_build_filename(top, "other", NULL);
	GError *error = NULL;
	Registry *reg = registry_new();

	build_tree(top, tree);
	if (geteuid() == 0)
		assert_int_equal(chown(other, 4242, 4242), 0);

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *path = g_build_filename(top, cases[i].file, NULL);
		g_autofree char *why = cases[i].where
		                               ? g_strdup_printf("the directory %s/%s %s", real,
		                                                 cases[i].where, cases[i].why)
		                               : g_strdup(cases[i].why);

		if (cases[i].root_only && geteuid() != 0) {
			print_message("# skipped (needs root): %s\n", cases[i].file);
			continue;
		}
		g_unsetenv("BATAGG_FIXTURE_CONSTRUCTED");
		expect_refusal(reg, path, BATAGG_PLUGIN_ERROR_UNSAFE_PATH, why);
		if (g_getenv("BATAGG_FIXTURE_CONSTRUCTED"))
			fail_msg("%s: its constructor ran, but the file was refused", path);
	}
	/* A whole directory below a world-writable one, or linked there. */
	for (size_t i = 0; i < 2; i++) {
		g_autofree char *dir = g_build_filename(top, i ? "link-ww" : "ww/sub", NULL);
		GPtrArray *refused = NULL;

		g_unsetenv("BATAGG_FIXTURE_CONSTRUCTED");
		assert_int_equal(registry_load_dir(reg, dir, &refused, &error), -1);
		assert_non_null(error);
		assert_int_equal(error->code, BATAGG_PLUGIN_ERROR_UNSAFE_PATH);
		assert_true(g_str_has_prefix(error->message, dir));
		assert_null(refused);
		assert_null(g_getenv("BATAGG_FIXTURE_CONSTRUCTED"));
		g_clear_error(&error);
	}
	/* A trusted file is opened, so its constructor runs before the
	 * descriptor is read (plugin.h says so); then its version is refused.
	 * Below a sticky directory owned by us (as a clone in /tmp is) the
	 * path is trusted. */
	{
		g_autofree char *path = g_build_filename(top, "sticky/sub/constructed.so", NULL);

		g_unsetenv("BATAGG_FIXTURE_CONSTRUCTED");
		expect_refusal(reg, path, BATAGG_PLUGIN_ERROR_ABI, "built for plugin interface");
		assert_non_null(g_getenv("BATAGG_FIXTURE_CONSTRUCTED"));
	}

	{
		g_autofree char *path = g_build_filename(top, "ok", "constructed.so", NULL);

		g_unsetenv("BATAGG_FIXTURE_CONSTRUCTED");
		expect_refusal(reg, path, BATAGG_PLUGIN_ERROR_ABI,
		               "built for plugin interface 99.0");
		assert_non_null(g_getenv("BATAGG_FIXTURE_CONSTRUCTED"));
	}
	/* A link to a trusted directory is followed; the entries' origin is
	 * the path as given. */
	{
		g_autofree char *path = g_build_filename(top, "link-ok", "good.so", NULL);

		assert_true(registry_load_file(reg, path, &error));
		assert_string_equal(
		        registry_origin(reg, registry_find(reg, BATAGG_KIND_CVL, "fixture_good")),
		        path);
	}
	g_unsetenv("BATAGG_FIXTURE_CONSTRUCTED");
	remove_tree(top);
	registry_free(reg);
}

/* Each file is loaded as itself, even when the fd it was opened through is
 * the number an earlier file had. */
static void test_each_file_is_its_own_module(void **state)
{
	static const struct {
		const char *fixture;
		BataggKind kind;
		const char *name;
	} cases[] = {
	        {"good", BATAGG_KIND_CVL, "fixture_good"},
	        {"short_table", BATAGG_KIND_RATIO, "short_ratio"},
	        {"dup_ir", BATAGG_KIND_RATIO, "ir"},
	};
	Registry *reg = registry_new();
	GError *error = NULL;

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *path = fixture(cases[i].fixture);

		if (!registry_load_file(reg, path, &error))
			fail_msg("%s", error->message);
		assert_string_equal(
		        registry_origin(reg, registry_find(reg, cases[i].kind, cases[i].name)),
		        path);
	}
	registry_free(reg);
}

static void test_unknown_name_lists_known(void **state)
{
	Registry *reg = registry_new();
	GPtrArray *refused = NULL;
	GError *error = NULL;

	registry_load_dir(reg, g_getenv("BATAGG_PLUGIN_BUILD_DIR"), &refused, &error);
	assert_null(registry_lookup(reg, BATAGG_KIND_RATIO, "resistance", &error));
	assert_int_equal(error->code, BATAGG_PLUGIN_ERROR_UNKNOWN_NAME);
	assert_string_equal(error->message, "unknown current ratio method 'resistance'; known: "
	                                    "capacity, count, ir");
	g_clear_error(&error);
	/* Wrong case is the commonest mistake. */
	assert_null(registry_lookup(reg, BATAGG_KIND_RATIO, "IR", &error));
	assert_string_equal(error->message, "unknown current ratio method 'IR' (did you mean "
	                                    "'ir'?); known: capacity, count, ir");
	g_clear_error(&error);
	assert_null(registry_lookup(reg, BATAGG_KIND_CVL, "max", &error));
	assert_string_equal(
	        error->message,
	        "unknown CVL mode 'max'; known: bulk_until_all_float, dvcc, max_always, "
	        "max_when_balancing, "
	        "max_when_floating, min_when_balancing");
	g_clear_error(&error);
	registry_free(reg);
}

/* A ratio method whose fallback names no ratio method refuses its whole
 * file, once the directory is read, naming the file and the field; the
 * other files stay. */
static void test_bad_fallback_refuses_its_file(void **state)
{
	const char *dir = g_getenv("BATAGG_FIXTURE_DIR");
	g_autofree char *sub = g_build_filename(dir, "fallback-dir", NULL);
	Registry *reg = registry_new();
	GPtrArray *refused = NULL;
	GError *error = NULL;
	const char *names[] = {"good.so", "bad_fallback.so"};

	g_mkdir_with_parents(sub, 0755);
	assert_int_equal(chmod(sub, 0755), 0);
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree char *from = g_build_filename(dir, names[i], NULL);
		g_autofree char *to = g_build_filename(sub, names[i], NULL);
		g_autofree char *bytes = NULL;
		gsize len;

		assert_true(g_file_get_contents(from, &bytes, &len, NULL));
		assert_true(g_file_set_contents(to, bytes, (gssize)len, NULL));
		assert_int_equal(chmod(to, 0644), 0);
	}
	assert_int_equal(registry_load_dir(reg, sub, &refused, &error), 1);
	assert_non_null(refused);
	assert_int_equal(refused->len, 1);
	print_message("# %s\n", ((GError *)refused->pdata[0])->message);
	assert_non_null(strstr(((GError *)refused->pdata[0])->message, "bad_fallback.so: refused: "
	                                                               "current ratio method "
	                                                               "'bad_fallback': fallback: "
	                                                               "'cuont' names no current "
	                                                               "ratio method"));
	assert_null(registry_find(reg, BATAGG_KIND_RATIO, "bad_fallback"));
	assert_null(registry_find(reg, BATAGG_KIND_CVL, "bad_fallback_cvl"));
	assert_non_null(registry_find(reg, BATAGG_KIND_CVL, "fixture_good"));
	g_ptr_array_set_free_func(refused, (GDestroyNotify)g_error_free);
	g_ptr_array_free(refused, TRUE);
	registry_free(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_bad_fallback_refuses_its_file),
	        cmocka_unit_test(test_good_plugin),
	        cmocka_unit_test(test_refusals),
	        cmocka_unit_test(test_short_table_reads_null),
	        cmocka_unit_test(test_ratio_method_of_2_0_loads),
	        cmocka_unit_test(test_duplicate_across_files),
	        cmocka_unit_test(test_unsafe_paths),
	        cmocka_unit_test(test_untrusted_refused_before_opening),
	        cmocka_unit_test(test_each_file_is_its_own_module),
	        cmocka_unit_test(test_unknown_name_lists_known),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
