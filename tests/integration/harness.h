/* SPDX-License-Identifier: MIT */
/*
 * Integration test harness: a private dbus-daemon per test, child processes
 * (the simulator, the real batagg) that are killed when the test ends, and
 * blocking client calls for reading what services publish.  Blocking is fine
 * here: the harness is a test client, not the daemon.
 */
#ifndef BATAGG_TEST_HARNESS_H
#define BATAGG_TEST_HARNESS_H

#include <dbus/dbus.h>
#include <glib.h>
#include <stdbool.h>

#include "base/value.h"

typedef struct Harness Harness;

/* Starts a private dbus-daemon (session configuration, --nofork,
 * --print-address), sets DBUS_SESSION_BUS_ADDRESS in this process's
 * environment so children and dbus_glib_open() use it, and opens a client
 * connection.  Aborts the test (fails) if the bus cannot start. */
Harness *harness_new(void);

/* Kills every child (SIGTERM, then SIGKILL after 2 s), stops the bus,
 * frees everything. */
void harness_free(Harness *h);

/* The client connection (blocking calls only; not attached to a main loop). */
DBusConnection *harness_conn(Harness *h);

/* Spawns argv (argv[0] a path) with the bus in its environment; its stdout
 * and stderr go to the test's stderr prefixed by nothing.  When stdin_fd is
 * non-NULL, *stdin_fd is a pipe to the child's stdin (write commands to it).
 * Returns the pid; the child is killed by harness_free(). */
GPid harness_spawn(Harness *h, char **argv, int *stdin_fd);

/* Like harness_spawn(), its stdout and stderr appended to the file
 * log_path instead (a daemon's log, to read with harness_wait_text()). */
GPid harness_spawn_logged(Harness *h, char **argv, const char *log_path);

/* True once the file at path contains text, polling up to timeout_ms; on
 * failure says so on stderr. */
bool harness_wait_text(const char *path, const char *text, int timeout_ms);

/* argv as it must be run: when meson runs the tests through an emulator
 * (MESON_EXE_WRAPPER, set for cross builds, e.g. "qemu-arm -L SYSROOT"), the
 * programs a test starts are cross-built too and run through it as well.
 * Returns a new NULL-terminated vector (g_strfreev) that harness_spawn()
 * already applies. */
char **harness_command(char *const *argv);

/* Sends SIGTERM to pid and waits up to timeout_ms; returns its exit status
 * as from waitpid (use WIFEXITED/WEXITSTATUS), or -1 on timeout. */
int harness_terminate(Harness *h, GPid pid, int timeout_ms);

/* True once some client owns name, polling up to timeout_ms. */
bool harness_wait_name(Harness *h, const char *name, int timeout_ms);

/* True when name has an owner now. */
bool harness_has_name(Harness *h, const char *name);

/* GetValue on service/path; true with *out set (cleared first) on success. */
bool harness_get_value(Harness *h, const char *service, const char *path, Value *out);

/* GetText on a leaf; returns (transfer full) the text, or NULL on error. */
char *harness_get_text(Harness *h, const char *service, const char *path);

/* Sends the method call msg (and unrefs it); returns the int result of
 * its reply, or -1000 on a D-Bus error. */
int harness_call_int(Harness *h, DBusMessage *msg);

/* SetValue; returns the method's int result, or -1000 on a D-Bus error. */
int harness_set_value(Harness *h, const char *service, const char *path, const Value *v);

/* Calls method (no arguments) on service/path, interface
 * com.victronenergy.BusItem; returns (transfer full) the reply (or the error
 * reply) or NULL on timeout. */
DBusMessage *harness_call(Harness *h, const char *service, const char *path, const char *method);

/* Polls GetValue every 50 ms until the value equals *expected (numbers
 * compared with relative tolerance 1e-9; an INT and a DOUBLE of equal value
 * are equal here), up to timeout_ms.  Returns true on success; on failure
 * prints the last value seen and the expected one to stderr. */
bool harness_wait_value(Harness *h, const char *service, const char *path, const Value *expected,
                        int timeout_ms);

/* Convenience for numbers: wait until the value is a number close to x
 * (relative 1e-9), or invalid when x is NAN. */
bool harness_wait_number(Harness *h, const char *service, const char *path, double x,
                         int timeout_ms);

/* Writes a line (a newline is appended) to fd, e.g. a simulator command. */
void harness_send(int fd, const char *line);

/* Kills the bus (SIGKILL): every program on it loses its connection. */
void harness_kill_bus(Harness *h);

/* Waits up to timeout_ms for pid to end by itself; returns its exit status
 * as from waitpid, or -1 on timeout. */
int harness_wait_exit(Harness *h, GPid pid, int timeout_ms);

/* The number of match rules the owner of name has on the bus (the bus's
 * Debug.Stats), or -1 when it cannot be had. */
int harness_match_rules(Harness *h, const char *name);

/* Writes text to a new file in the temp dir; returns (transfer none) its path. */
const char *harness_write_file(Harness *h, const char *name, const char *text);

/* The temp dir, removed with everything in it by harness_free(). */
const char *harness_dir(Harness *h);

/* Like harness_send(), the line made as printf() makes it. */
void harness_sendf(int fd, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* ---- For the cmocka tests: what follows fails the running test. ------- */

/* The aggregate's service name when the config names none. */
#define HARNESS_AGG "com.victronenergy.battery.aggregator"
/* How long a test waits for what should come. */
#define HARNESS_WAIT_MS 10000

/* The environment variable name (meson test sets BATSIM, BATAGG, ...);
 * fails the test when it is not set. */
const char *harness_env(const char *name);

/* What a bank is started with: the simulator (batsim) with a scenario, then
 * the real batagg with a config. */
typedef struct {
	const char *scenario;      /* the scenario's text, written to scenario.json, */
	const char *scenario_path; /* or a scenario file to use as it is */
	const char *sim_flag;      /* an option to batsim before the scenario, or NULL */
	const char *sim_ready[4];  /* names batsim must own before batagg starts */
	/* The config's text, written to config.json; "@DIR@" in it stands
	 * for the temp dir (harness_dir()). */
	const char *config;
	const char *agg_arg;      /* one more argument to batagg, or NULL */
	bool agg_logged;          /* batagg's output into HarnessBank.log */
	bool agg_later;           /* batagg not started: harness_bank_start_agg() */
	const char *agg_ready[4]; /* names to wait for once batagg runs; */
	bool agg_no_wait;         /* none named: HARNESS_AGG, unless this */
} HarnessBankOptions;

/* A bank as started; every member but agg_argv is the test's to read. */
typedef struct {
	Harness *h;
	int sim;            /* batsim's stdin, for harness_send() */
	GPid sim_pid;       /* batsim */
	GPid agg;           /* batagg, once started */
	const char *config; /* config.json: write it again and SIGHUP to reload */
	const char *log;    /* batagg's output when agg_logged, else NULL */
	char **agg_argv;
} HarnessBank;

/* Starts a harness, batsim and (unless agg_later) batagg as o says;
 * fails the test when a name it waits for does not come in
 * HARNESS_WAIT_MS. */
HarnessBank *harness_bank_start(const HarnessBankOptions *o);

/* Starts batagg (again: once the last one has ended) as the bank's
 * options say; returns its pid, also in b->agg.  Waits for nothing. */
GPid harness_bank_start_agg(HarnessBank *b);

/* harness_free() of the bank's harness, and frees the bank. */
void harness_bank_free(HarnessBank *b);

/* Waits until service's path is the number x (NAN: invalid; as
 * harness_wait_number()), for HARNESS_WAIT_MS or timeout_ms; else fails the
 * test at the line of the call, saying what it waited for. */
#define harness_expect_number(h, service, path, x)                                                 \
	harness_expect_number_at(__FILE__, __LINE__, h, service, path, x, HARNESS_WAIT_MS)
#define harness_expect_number_within(h, service, path, x, timeout_ms)                              \
	harness_expect_number_at(__FILE__, __LINE__, h, service, path, x, timeout_ms)
void harness_expect_number_at(const char *file, int line, Harness *h, const char *service,
                              const char *path, double x, int timeout_ms);

/* The same for the text text. */
#define harness_expect_text(h, service, path, text)                                                \
	harness_expect_text_at(__FILE__, __LINE__, h, service, path, text, HARNESS_WAIT_MS)
void harness_expect_text_at(const char *file, int line, Harness *h, const char *service,
                            const char *path, const char *text, int timeout_ms);

#endif
