/* SPDX-License-Identifier: MIT */
/*
 * The integration test harness: a private dbus-daemon, children that never
 * outlive the test, and blocking client calls (fine here: this is a test
 * client, not the daemon) with polling waits.
 */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib/gstdio.h>

#include "bus/dbus_value.h"

#define CALL_TIMEOUT_MS 5000

struct Harness {
	GPid bus_pid;
	char *address;
	DBusConnection *conn;
	GArray *children; /* GPid */
	char *tmpdir;
	GPtrArray *files; /* paths written, owned */
};

/* Harnesses alive, so that a failed test (cmocka jumps out of it) still
 * leaves no process behind. */
static GPtrArray *live;

static int stop(GPid pid);

static void kill_leftovers(void)
{
	for (guint i = 0; live && i < live->len; i++) {
		Harness *h = live->pdata[i];

		for (guint k = 0; k < h->children->len; k++)
			stop(g_array_index(h->children, GPid, k));
		if (h->bus_pid)
			stop(h->bus_pid);
	}
}

static void die(const char *what)
{
	fprintf(stderr, "harness: %s\n", what);
	abort();
}

Harness *harness_new(void)
{
	Harness *h = g_new0(Harness, 1);
	char *argv[] = {(char *)"dbus-daemon", (char *)"--session", (char *)"--nofork",
	                (char *)"--print-address=1", NULL};
	GError *error = NULL;
	DBusError err;
	int out = -1;
	char line[512];
	FILE *f;

	if (!g_spawn_async_with_pipes(NULL, argv, NULL,
	                              G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
	                              &h->bus_pid, NULL, &out, NULL, &error))
		die(error->message);
	f = fdopen(out, "r");
	if (!f || !fgets(line, sizeof(line), f))
		die("dbus-daemon printed no address");
	fclose(f);
	h->address = g_strdup(g_strstrip(line));
	g_setenv("DBUS_SESSION_BUS_ADDRESS", h->address, TRUE);
	dbus_error_init(&err);
	h->conn = dbus_connection_open_private(h->address, &err);
	if (!h->conn || !dbus_bus_register(h->conn, &err))
		die(err.message ? err.message : "cannot connect to the test bus");
	dbus_connection_set_exit_on_disconnect(h->conn, FALSE);
	h->children = g_array_new(FALSE, FALSE, sizeof(GPid));
	h->files = g_ptr_array_new_with_free_func(g_free);
	if (!live) {
		live = g_ptr_array_new();
		atexit(kill_leftovers);
	}
	g_ptr_array_add(live, h);
	h->tmpdir = g_dir_make_tmp("batagg-test-XXXXXX", NULL);
	if (!h->tmpdir)
		die("cannot make a temporary directory");
	return h;
}

static int wait_exit(GPid pid, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 20) {
		int status;
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -1;
		g_usleep(20 * 1000);
	}
	return -1;
}

/* Returns the exit status, or -1 when it had to be killed. */
static int stop(GPid pid)
{
	int status;

	kill(pid, SIGTERM);
	status = wait_exit(pid, 5000);
	if (status == -1) {
		kill(pid, SIGKILL);
		wait_exit(pid, 2000);
	}
	return status;
}

static void remove_tree(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		g_autofree char *path = g_build_filename(dir, name, NULL);

		if (g_file_test(path, G_FILE_TEST_IS_DIR) &&
		    !g_file_test(path, G_FILE_TEST_IS_SYMLINK))
			remove_tree(path);
		else
			g_unlink(path);
	}
	if (d)
		g_dir_close(d);
	g_rmdir(dir);
}

void harness_free(Harness *h)
{
	int bad = 0;

	g_ptr_array_remove(live, h);
	/* Every child must stop cleanly on SIGTERM: a crash, a sanitizer
	 * report or a hang in a child fails the test. */
	for (guint i = h->children->len; i-- > 0;) {
		GPid pid = g_array_index(h->children, GPid, i);
		int status = stop(pid);

		if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "harness: child %d did not stop cleanly (status %d)\n",
			        (int)pid, status);
			bad++;
		}
	}
	g_array_free(h->children, TRUE);
	dbus_connection_close(h->conn);
	dbus_connection_unref(h->conn);
	if (h->bus_pid)
		stop(h->bus_pid);

	remove_tree(h->tmpdir);
	g_free(h->tmpdir);
	g_ptr_array_free(h->files, TRUE);
	g_free(h->address);
	g_free(h);
	if (bad)
		die("a child process failed");
}

DBusConnection *harness_conn(Harness *h)
{
	return h->conn;
}

/* Children print to stderr: stdout is the test's TAP stream. */
static void stdout_to_stderr(gpointer data)
{
	dup2(2, 1);
}

char **harness_command(char *const *argv)
{
	const char *wrapper = g_getenv("MESON_EXE_WRAPPER");
	GPtrArray *cmd = g_ptr_array_new();
	char **prefix = NULL;

	if (wrapper && *wrapper && !g_shell_parse_argv(wrapper, NULL, &prefix, NULL))
		die("MESON_EXE_WRAPPER is not a command line");
	for (char **p = prefix; p && *p; p++)
		g_ptr_array_add(cmd, g_strdup(*p));
	for (char *const *a = argv; *a; a++)
		g_ptr_array_add(cmd, g_strdup(*a));
	g_ptr_array_add(cmd, NULL);
	g_strfreev(prefix);
	return (char **)g_ptr_array_free(cmd, FALSE);
}

GPid harness_spawn(Harness *h, char **argv, int *stdin_fd)
{
	GSpawnFlags flags = G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH;
	g_auto(GStrv) cmd = harness_command(argv);
	GError *error = NULL;
	GPid pid;

	if (!stdin_fd)
		flags |= G_SPAWN_CHILD_INHERITS_STDIN;
	if (!g_spawn_async_with_pipes(NULL, cmd, NULL, flags, stdout_to_stderr, NULL, &pid,
	                              stdin_fd, NULL, NULL, &error))
		die(error->message);
	g_array_append_val(h->children, pid);
	return pid;
}

/* The child's stdout and stderr into the file named by data. */
static void output_to_file(gpointer data)
{
	int fd = open(data, O_WRONLY | O_CREAT | O_APPEND, 0644);

	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
}

GPid harness_spawn_logged(Harness *h, char **argv, const char *log_path)
{
	GSpawnFlags flags =
	        G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH | G_SPAWN_CHILD_INHERITS_STDIN;
	g_auto(GStrv) cmd = harness_command(argv);
	GError *error = NULL;
	GPid pid;

	if (!g_spawn_async(NULL, cmd, NULL, flags, output_to_file, (gpointer)log_path, &pid,
	                   &error))
		die(error->message);
	g_array_append_val(h->children, pid);
	return pid;
}

bool harness_wait_text(const char *path, const char *text, int timeout_ms)
{
	for (int waited = 0;; waited += 50) {
		g_autofree char *all = NULL;

		if (g_file_get_contents(path, &all, NULL, NULL) && strstr(all, text))
			return true;
		if (waited >= timeout_ms)
			break;
		g_usleep(50000);
	}
	fprintf(stderr, "harness: %s never said '%s'\n", path, text);
	return false;
}

static void forget_child(Harness *h, GPid pid)
{
	for (guint i = 0; i < h->children->len; i++) {
		if (g_array_index(h->children, GPid, i) == pid) {
			g_array_remove_index(h->children, i);
			return;
		}
	}
}

int harness_terminate(Harness *h, GPid pid, int timeout_ms)
{
	int status;

	kill(pid, SIGTERM);
	status = wait_exit(pid, timeout_ms);
	if (status != -1)
		forget_child(h, pid);
	return status;
}

void harness_kill_bus(Harness *h)
{
	kill(h->bus_pid, SIGKILL);
	wait_exit(h->bus_pid, 5000);
	h->bus_pid = 0;
}

int harness_wait_exit(Harness *h, GPid pid, int timeout_ms)
{
	int status = wait_exit(pid, timeout_ms);

	if (status != -1)
		forget_child(h, pid);
	return status;
}

int harness_match_rules(Harness *h, const char *name)
{
	DBusMessage *msg, *reply;
	DBusMessageIter it, dict, entry, var;
	const char *owner;
	dbus_uint32_t rules = 0;
	int found = -1;

	msg = dbus_message_new_method_call(DBUS_SERVICE_DBUS, DBUS_PATH_DBUS, DBUS_INTERFACE_DBUS,
	                                   "GetNameOwner");
	dbus_message_append_args(msg, DBUS_TYPE_STRING, &name, DBUS_TYPE_INVALID);
	reply = dbus_connection_send_with_reply_and_block(h->conn, msg, CALL_TIMEOUT_MS, NULL);
	dbus_message_unref(msg);
	if (!reply ||
	    !dbus_message_get_args(reply, NULL, DBUS_TYPE_STRING, &owner, DBUS_TYPE_INVALID)) {
		if (reply)
			dbus_message_unref(reply);
		return -1;
	}
	msg = dbus_message_new_method_call(DBUS_SERVICE_DBUS, DBUS_PATH_DBUS,
	                                   "org.freedesktop.DBus.Debug.Stats",
	                                   "GetConnectionStats");
	dbus_message_append_args(msg, DBUS_TYPE_STRING, &owner, DBUS_TYPE_INVALID);
	dbus_message_unref(reply);
	reply = dbus_connection_send_with_reply_and_block(h->conn, msg, CALL_TIMEOUT_MS, NULL);
	dbus_message_unref(msg);
	if (!reply)
		return -1;
	if (dbus_message_iter_init(reply, &it) &&
	    dbus_message_iter_get_arg_type(&it) == DBUS_TYPE_ARRAY) {
		dbus_message_iter_recurse(&it, &dict);
		while (dbus_message_iter_get_arg_type(&dict) == DBUS_TYPE_DICT_ENTRY) {
			const char *key;

			dbus_message_iter_recurse(&dict, &entry);
			dbus_message_iter_get_basic(&entry, &key);
			dbus_message_iter_next(&entry);
			dbus_message_iter_recurse(&entry, &var);
			if (strcmp(key, "MatchRules") == 0 &&
			    dbus_message_iter_get_arg_type(&var) == DBUS_TYPE_UINT32) {
				dbus_message_iter_get_basic(&var, &rules);
				found = (int)rules;
			}
			dbus_message_iter_next(&dict);
		}
	}
	dbus_message_unref(reply);
	return found;
}

bool harness_has_name(Harness *h, const char *name)

{
	return dbus_bus_name_has_owner(h->conn, name, NULL);
}

bool harness_wait_name(Harness *h, const char *name, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 50) {
		if (harness_has_name(h, name))
			return true;
		g_usleep(50 * 1000);
	}
	fprintf(stderr, "harness: %s never appeared\n", name);
	return false;
}

DBusMessage *harness_call(Harness *h, const char *service, const char *path, const char *method)
{
	DBusMessage *msg =
	        dbus_message_new_method_call(service, path, "com.victronenergy.BusItem", method);
	DBusPendingCall *pending = NULL;
	DBusMessage *reply = NULL;

	if (dbus_connection_send_with_reply(h->conn, msg, &pending, CALL_TIMEOUT_MS) && pending) {
		dbus_pending_call_block(pending);
		reply = dbus_pending_call_steal_reply(pending);
		dbus_pending_call_unref(pending);
	}
	dbus_message_unref(msg);
	return reply;
}

bool harness_get_value(Harness *h, const char *service, const char *path, Value *out)
{
	DBusMessage *reply = harness_call(h, service, path, "GetValue");
	DBusMessageIter it;
	bool ok = reply && dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_METHOD_RETURN &&
	          dbus_message_iter_init(reply, &it);

	value_clear(out);
	if (ok)
		dbus_value_read(&it, out);
	if (reply)
		dbus_message_unref(reply);
	return ok;
}

char *harness_get_text(Harness *h, const char *service, const char *path)
{
	DBusMessage *reply = harness_call(h, service, path, "GetText");
	DBusMessageIter it;
	Value v = VALUE_INIT;
	char *text = NULL;

	if (reply && dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_METHOD_RETURN &&
	    dbus_message_iter_init(reply, &it)) {
		dbus_value_read(&it, &v);
		if (v.type == VALUE_TEXT)
			text = g_strdup(v.u.s);
		value_clear(&v);
	}
	if (reply)
		dbus_message_unref(reply);
	return text;
}

int harness_call_int(Harness *h, DBusMessage *msg)
{
	DBusMessage *reply =
	        dbus_connection_send_with_reply_and_block(h->conn, msg, CALL_TIMEOUT_MS, NULL);
	dbus_int32_t rc = -1000;

	dbus_message_unref(msg);
	if (!reply)
		return -1000;
	if (!dbus_message_get_args(reply, NULL, DBUS_TYPE_INT32, &rc, DBUS_TYPE_INVALID))
		rc = -1000;
	dbus_message_unref(reply);
	return rc;
}

int harness_set_value(Harness *h, const char *service, const char *path, const Value *v)
{
	DBusMessage *msg = dbus_message_new_method_call(service, path, "com.victronenergy.BusItem",
	                                                "SetValue");
	DBusMessageIter it;

	dbus_message_iter_init_append(msg, &it);
	dbus_value_append_variant(&it, v);
	return harness_call_int(h, msg);
}

static bool close_to(const Value *a, const Value *b)
{
	double x, y;

	if (value_number(a, &x) && value_number(b, &y))
		return x == y || fabs(x - y) <= 1e-9 * fmax(fabs(x), fabs(y));
	return value_equal(a, b);
}

bool harness_wait_value(Harness *h, const char *service, const char *path, const Value *expected,
                        int timeout_ms)
{
	Value v = VALUE_INIT;

	for (int waited = 0; waited <= timeout_ms; waited += 50) {
		if (harness_get_value(h, service, path, &v) && close_to(&v, expected)) {
			value_clear(&v);
			return true;
		}
		g_usleep(50 * 1000);
	}
	{
		g_autofree char *got = value_format(&v, UNIT_NONE);
		g_autofree char *want = value_format(expected, UNIT_NONE);

		fprintf(stderr, "harness: %s %s is %s, expected %s\n", service, path, got, want);
	}
	value_clear(&v);
	return false;
}

bool harness_wait_number(Harness *h, const char *service, const char *path, double x,
                         int timeout_ms)
{
	Value expected = isnan(x) ? VALUE_INIT : value_double(x);

	return harness_wait_value(h, service, path, &expected, timeout_ms);
}

void harness_send(int fd, const char *line)
{
	g_autofree char *text = g_strconcat(line, "\n", NULL);
	size_t len = strlen(text);
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("cannot write to a child");
		done += (size_t)n;
	}
}

const char *harness_write_file(Harness *h, const char *name, const char *text)
{
	char *full = g_build_filename(h->tmpdir, name, NULL);

	if (!g_file_set_contents(full, text, -1, NULL))
		die("cannot write a test file");
	g_ptr_array_add(h->files, full);
	return full;
}

const char *harness_dir(Harness *h)
{
	return h->tmpdir;
}

void harness_sendf(int fd, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *line = NULL;

	va_start(ap, fmt);
	line = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	harness_send(fd, line);
}

const char *harness_env(const char *name)
{
	const char *v = g_getenv(name);

	if (!v)
		fail_msg("%s is not set (run through meson test)", name);
	return v;
}

static void wait_names(Harness *h, const char *const *names, int n)
{
	for (int i = 0; i < n && names[i]; i++) {
		if (!harness_wait_name(h, names[i], HARNESS_WAIT_MS))
			fail_msg("%s never came on the bus", names[i]);
	}
}

HarnessBank *harness_bank_start(const HarnessBankOptions *o)
{
	HarnessBank *b = g_new0(HarnessBank, 1);
	const char *scen;
	GPtrArray *argv = g_ptr_array_new();

	b->h = harness_new();
	scen = o->scenario_path ? o->scenario_path
	                        : harness_write_file(b->h, "scenario.json", o->scenario);
	g_ptr_array_add(argv, (char *)harness_env("BATSIM"));
	if (o->sim_flag)
		g_ptr_array_add(argv, (char *)o->sim_flag);
	g_ptr_array_add(argv, (char *)scen);
	g_ptr_array_add(argv, NULL);
	b->sim_pid = harness_spawn(b->h, (char **)argv->pdata, &b->sim);
	g_ptr_array_free(argv, TRUE);
	wait_names(b->h, o->sim_ready, G_N_ELEMENTS(o->sim_ready));

	if (o->config) {
		g_auto(GStrv) parts = g_strsplit(o->config, "@DIR@", -1);
		g_autofree char *text = g_strjoinv(b->h->tmpdir, parts);

		b->config = harness_write_file(b->h, "config.json", text);
	}
	if (o->agg_logged)
		b->log = harness_write_file(b->h, "batagg.log", "");
	argv = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(argv, g_strdup(harness_env("BATAGG")));
	if (b->config) {
		g_ptr_array_add(argv, g_strdup("--config"));
		g_ptr_array_add(argv, g_strdup(b->config));
	}
	if (o->agg_arg)
		g_ptr_array_add(argv, g_strdup(o->agg_arg));
	g_ptr_array_add(argv, NULL);
	b->agg_argv = (char **)g_ptr_array_free(argv, FALSE);
	if (o->agg_later)
		return b;

	harness_bank_start_agg(b);
	if (o->agg_ready[0])
		wait_names(b->h, o->agg_ready, G_N_ELEMENTS(o->agg_ready));
	else if (!o->agg_no_wait)
		wait_names(b->h, (const char *const[]){HARNESS_AGG}, 1);
	return b;
}

GPid harness_bank_start_agg(HarnessBank *b)
{
	if (b->log)
		b->agg = harness_spawn_logged(b->h, b->agg_argv, b->log);
	else
		b->agg = harness_spawn(b->h, b->agg_argv, NULL);
	return b->agg;
}

void harness_bank_free(HarnessBank *b)
{
	harness_free(b->h);
	g_strfreev(b->agg_argv);
	g_free(b);
}

void harness_expect_number_at(const char *file, int line, Harness *h, const char *service,
                              const char *path, double x, int timeout_ms)
{
	if (!harness_wait_number(h, service, path, x, timeout_ms)) {
		print_error("ERROR: %s %s never became %.12g within %d ms\n", service, path, x,
		            timeout_ms);
		_fail(file, line);
	}
}

void harness_expect_text_at(const char *file, int line, Harness *h, const char *service,
                            const char *path, const char *text, int timeout_ms)
{
	Value v = value_text(text);
	bool ok = harness_wait_value(h, service, path, &v, timeout_ms);

	value_clear(&v);
	if (!ok) {
		print_error("ERROR: %s %s never became '%s' within %d ms\n", service, path, text,
		            timeout_ms);
		_fail(file, line);
	}
}
