/* SPDX-License-Identifier: MIT */
/*
 * The built-in plugins must all load: the real batagg, copied into a
 * directory of its own with a "plugins" directory beside it (where it looks
 * for them), refuses to start, and fails --check-config, when that directory
 * is unusable, when any file in it is refused, or when a strategy the
 * defaults use is missing; each time with one line naming the directory and
 * the reason.  A refused third-party directory is only a warning.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "build_config.h"
#include "harness.h"

static const char *const builtins[] = {"ccl_ir", "ccl_capacity", "ccl_count",
                                       "cvl",    "merge",        "hooks"};

static void copy_file(const char *from, const char *to, int mode)
{
	g_autofree char *data = NULL;
	gsize len;

	assert_true(g_file_get_contents(from, &data, &len, NULL));
	assert_true(g_file_set_contents(to, data, (gssize)len, NULL));
	assert_int_equal(g_chmod(to, mode), 0);
}

static char *make_dir(const char *parent, const char *name, int mode)
{
	char *dir = g_build_filename(parent, name, NULL);

	assert_int_equal(g_mkdir(dir, 0700), 0);
	assert_int_equal(g_chmod(dir, mode), 0);
	return dir;
}

/* Copies every built-in plugin but skip (or none, for "*") into dir. */
static void copy_builtins(const char *dir, const char *skip)
{
	const char *from = g_getenv("BATAGG_PLUGIN_BUILD_DIR");

	assert_non_null(from);
	for (size_t i = 0; i < G_N_ELEMENTS(builtins) && g_strcmp0(skip, "*") != 0; i++) {
		g_autofree char *name = g_strdup_printf("%s.so", builtins[i]);
		g_autofree char *src = g_build_filename(from, name, NULL);
		g_autofree char *dst = g_build_filename(dir, name, NULL);

		if (g_strcmp0(skip, builtins[i]) != 0)
			copy_file(src, dst, 0644);
	}
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

/* Runs argv to completion with no usable bus; returns the exit status and
 * stderr. */
static int run_to_exit(char **argv, char **err)
{
	g_autofree char *out = NULL;
	g_auto(GStrv) cmd = harness_command(argv);
	g_auto(GStrv) env = g_environ_setenv(g_get_environ(), "DBUS_SYSTEM_BUS_ADDRESS",
	                                     "unix:path=/nonexistent", TRUE);
	int status = -1;
	GError *error = NULL;

	env = g_environ_unsetenv(env, "DBUS_SESSION_BUS_ADDRESS");
	if (!g_spawn_sync(NULL, cmd, env, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, err, &status,
	                  &error))
		fail_msg("%s", error->message);
	return status;
}

typedef enum {
	NO_PLUGINS_DIR,  /* none beside the executable: the installed one */
	EMPTY,           /* an empty plugins directory */
	ONE_MISSING,     /* all but merge.so */
	GROUP_WRITABLE,  /* all of them, in a group-writable directory */
	ONE_REFUSED,     /* all of them and a file that is no plugin */
	IMPOSTOR,        /* a group-writable one; --plugin-dir has copies */
	THIRD_PARTY_BAD, /* all of them; --plugin-dir group-writable */
} Layout;

typedef struct {
	char *top;     /* everything below it is the test's */
	char *batagg;  /* top/bin/batagg, a copy of the real one */
	char *plugins; /* top/bin/plugins resolved, or the installed directory */
	char *flag;    /* --plugin-dir=top/extra */
	char *config;  /* top/config.json: {} */
} Setup;

static void setup_layout(Setup *s, Layout layout)
{
	const char *exe = g_getenv("BATAGG");
	const char *scratch = g_getenv("BATAGG_SCRATCH_DIR");
	g_autofree char *bin = NULL, *extra = NULL;

	assert_non_null(exe);
	assert_non_null(scratch);
	s->top = g_build_filename(scratch, "builtins-XXXXXX", NULL);
	assert_non_null(g_mkdtemp_full(s->top, 0755));
	bin = make_dir(s->top, "bin", 0755);
	s->batagg = g_build_filename(bin, "batagg", NULL);
	copy_file(exe, s->batagg, 0755);
	s->config = g_build_filename(s->top, "config.json", NULL);
	assert_true(g_file_set_contents(s->config, "{}", -1, NULL));
	extra = make_dir(s->top, "extra", 0755);
	s->flag = g_strdup_printf("--plugin-dir=%s", extra);
	if (layout == THIRD_PARTY_BAD)
		assert_int_equal(g_chmod(extra, 0775), 0);
	if (layout == IMPOSTOR)
		copy_builtins(extra, NULL);
	if (layout == NO_PLUGINS_DIR) {
		s->plugins = g_strdup(BATAGG_PLUGINDIR);
		return;
	}
	{
		g_autofree char *dir = make_dir(bin, "plugins", 0755);

		copy_builtins(dir, layout == EMPTY ? "*" : layout == ONE_MISSING ? "merge" : NULL);
		s->plugins = realpath(dir, NULL);
	}
	if (layout == GROUP_WRITABLE || layout == IMPOSTOR)
		assert_int_equal(g_chmod(s->plugins, 0775), 0);
	if (layout == ONE_REFUSED) {
		g_autofree char *bad = g_build_filename(s->plugins, "broken.so", NULL);

		assert_true(g_file_set_contents(bad, "not a shared object\n", -1, NULL));
		assert_int_equal(g_chmod(bad, 0644), 0);
	}
}

static void setup_clear(Setup *s)
{
	remove_tree(s->top);
	g_free(s->top);
	g_free(s->batagg);
	g_free(s->plugins);
	g_free(s->flag);
	g_free(s->config);
}

/* text with each "DIR" replaced by dir. */
static char *with_dir(const char *text, const char *dir)
{
	g_auto(GStrv) parts = g_strsplit(text, "DIR", -1);

	return g_strjoinv(dir, parts);
}

static void expect_says(const char *err, const char *what, const char *expected)
{
	g_auto(GStrv) lines = g_strsplit(err, "\n", -1);

	for (char **l = lines; *l; l++) {
		if (**l)
			print_message("# %s: %s\n", what, *l);
	}
	if (!strstr(err, expected))
		fail_msg("%s does not say '%s'", what, expected);
}

static void test_builtins_must_load(void **state)
{
	static const struct {
		const char *rule;
		Layout layout;
		int status;      /* of --check-config; the daemon fails unless 0 */
		const char *why; /* after "the built-in plugins in DIR " */
	} cases[] = {
	        {"no plugins beside it, none installed", NO_PLUGINS_DIR, 1, "cannot be loaded: "},
	        {"an empty plugins directory", EMPTY, 1,
	         "lack a strategy batagg needs: unknown merge policy 'sum'"},
	        {"one built-in missing", ONE_MISSING, 1,
	         "lack a strategy batagg needs: unknown merge policy 'sum'"},
	        {"a group-writable plugins directory", GROUP_WRITABLE, 1,
	         "cannot be loaded: DIR: refused: the directory DIR is writable by its group"},
	        {"a refused file among them", ONE_REFUSED, 1,
	         "did not all load (1 refused): DIR/broken.so: cannot load"},
	        {"a third party cannot stand in for them", IMPOSTOR, 1,
	         "cannot be loaded: DIR: refused: the directory DIR is writable by its group"},
	        {"a bad third-party directory is only a warning", THIRD_PARTY_BAD, 0, NULL},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		Setup s = {0};
		g_autofree char *check_err = NULL, *run_err = NULL, *why = NULL;
		g_autofree char *expected = NULL;
		int status;

		print_message("# %s\n", cases[i].rule);
		if (cases[i].layout == NO_PLUGINS_DIR &&
		    g_file_test(BATAGG_PLUGINDIR, G_FILE_TEST_EXISTS)) {
			print_message("# skipped: %s exists\n", BATAGG_PLUGINDIR);
			continue;
		}
		setup_layout(&s, cases[i].layout);
		status = run_to_exit(
		        (char *[]){s.batagg, (char *)"--check-config", s.flag, s.config, NULL},
		        &check_err);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), cases[i].status);
		if (cases[i].status == 0) {
			/* The third party's directory is refused, and nothing else. */
			expect_says(check_err, "--check-config", "WARNING:batagg: plugins: ");
			expect_says(check_err, "--check-config", "is writable by its group");
			assert_null(strstr(check_err, "ERROR:"));
			setup_clear(&s);
			continue;
		}
		why = with_dir(cases[i].why, s.plugins);
		expected = g_strdup_printf("ERROR:batagg: the built-in plugins in %s %s", s.plugins,
		                           why);
		expect_says(check_err, "--check-config", expected);
		/* The daemon refuses before it looks for a bus. */
		status = run_to_exit((char *[]){s.batagg, s.flag, s.config, NULL}, &run_err);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 1);
		g_free(expected);
		expected = g_strdup_printf(
		        "ERROR:batagg: refusing to start: the built-in plugins in %s %s", s.plugins,
		        why);
		expect_says(run_err, "the daemon", expected);
		setup_clear(&s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_builtins_must_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
