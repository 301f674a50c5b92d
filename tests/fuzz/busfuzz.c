/* SPDX-License-Identifier: MIT */
/*
 * busfuzz: the real batagg on a private bus, for a bounded time, against
 * members and clients that send it anything D-Bus can carry.  Fake battery
 * services (each on its own connection) publish random values of every
 * type, wrong signatures, huge and non-ASCII texts and NaN limits, answer
 * batagg's reads late, wrongly or never, vanish mid-read and hand their
 * names to new connections; a client calls every method on every path with
 * random arguments.
 *
 * After each burst batagg must be alive, answer GetValue and GetText on "/"
 * within 5 s (harness_call's wait), still follow its inputs (the canary,
 * check_follows), and publish nothing non-finite and no impossible limit
 * (these last checks are off with --no-limit-checks).  A crash, an exit or
 * a silent "/" fails at once; a bad value or a deaf input is shown when
 * first seen and fails the run at its end, so that one run shows them all
 * and goes on looking for crashes.  At the end batagg must stop cleanly on
 * SIGTERM (under ASan: without leaks).
 *
 * A seed (printed) replays the same actions, as far as timing allows:
 * everything is drawn from it, each action, burst and answer afresh (see
 * reseed()), so that one that goes another way does not shift the rest.  Usage: busfuzz [--seconds
 * N] [--seed N] [--no-limit-checks]; BATAGG_BUSFUZZ_SECONDS sets the default duration (10 s).
 */
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "bus/dbus_value.h"
#include "harness.h"
#include "random.h"

#define AGG "com.victronenergy.battery.aggregator"
#define VIRT "com.victronenergy.battery.fuzzvirt"
#define MEMBER_PREFIX "com.victronenergy.battery.fuzz"
#define BUSITEM "com.victronenergy.BusItem"
#define N_MEMBERS 7
#define CANARY 6 /* fuzz6: see check_follows() */
#define START_TIMEOUT_S 90
#define MAX_OUTSTANDING 32
#define LOG_LINES 40

/* ---- the run -------------------------------------------------------------- */

typedef struct {
	char *name;
	DBusConnection *conn;  /* NULL while it is gone */
	DBusConnection *ghost; /* the owner before a takeover, still sending */
	gboolean props_only;   /* publishes PropertiesChanged only, like older drivers */
	gboolean canary;       /* stays, and answers batagg's reads sanely */
	GRand *answers;        /* how it answers batagg's calls */
	guint64 answered;      /* calls it answered (or not) */
	GHashTable *last;      /* battery path -> what it sent last */
} Member;

typedef struct {
	DBusConnection *conn;
	DBusMessage *reply;
	gint64 due; /* monotonic µs */
} Deferred;

typedef struct {
	guint32 seed;
	double seconds;
	gboolean limit_checks;

	Harness *h;
	GRand *r; /* every action */
	GPid agg;
	char *log_path;
	int sim; /* batsim's stdin */
	gboolean have_virtual;

	Member members[N_MEMBERS];
	GPtrArray *deferred; /* Deferred * */
	DBusConnection *caller;
	int outstanding;  /* calls of the caller awaiting a reply */
	GPtrArray *paths; /* the aggregate's paths, and nodes, for calls */

	char *recent[4096]; /* the last actions and answers, a ring */
	guint64 notes;
	guint64 actions;
	guint bursts;
	double worst_reply_ms;
	GHashTable *problems; /* "service path: what" -> times seen */
	gboolean deaf;        /* batagg stopped following the canary */
} Fuzz;

static Fuzz fz;

static const char *const battery_paths[] = {
        "/Dc/0/Current",
        "/Dc/0/Voltage",
        "/Dc/0/Power",
        "/Dc/0/Temperature",
        "/Soc",
        "/TimeToGo",
        "/Capacity",
        "/InstalledCapacity",
        "/ConsumedAmphours",
        "/Balancing",
        "/Info/BatteryLowVoltage",
        "/Info/MaxChargeCurrent",
        "/Info/MaxDischargeCurrent",
        "/Info/MaxChargeVoltage",
        "/Info/ChargeMode",
        "/Io/AllowToCharge",
        "/Io/AllowToDischarge",
        "/Io/AllowToBalance",
        "/System/MinCellVoltage",
        "/System/MaxCellVoltage",
        "/System/MinCellTemperature",
        "/System/MaxCellTemperature",
        "/System/MinVoltageCellId",
        "/System/MaxVoltageCellId",
        "/System/MinTemperatureCellId",
        "/System/MaxTemperatureCellId",
        "/System/NrOfModulesBlockingCharge",
        "/System/NrOfModulesBlockingDischarge",
        "/System/NrOfModulesOnline",
        "/System/NrOfModulesOffline",
        "/Alarms/LowVoltage",
        "/Alarms/HighVoltage",
        "/Alarms/CellImbalance",
        "/CustomName",
};

/* The paths whose values decide the limits: shown when a limit is wrong. */
static const char *const limit_inputs[] = {
        "/Info/MaxChargeCurrent",
        "/Info/MaxDischargeCurrent",
        "/Info/MaxChargeVoltage",
        "/Io/AllowToCharge",
        "/Io/AllowToDischarge",
        "/InstalledCapacity",
        "/Dc/0/Voltage",
        "/Dc/0/Current",
        "/Balancing",
        "/Info/ChargeMode",
};

/* ---- what happened -------------------------------------------------------- */

static void note(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static void note(const char *fmt, ...)
{
	guint i = (guint)(fz.notes % G_N_ELEMENTS(fz.recent));
	va_list ap;

	g_free(fz.recent[i]);
	va_start(ap, fmt);
	fz.recent[i] = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (strlen(fz.recent[i]) > 400)
		strcpy(fz.recent[i] + batagg_text_copy(fz.recent[i], 391, fz.recent[i]), " [...]");
	fz.notes++;
}

static double elapsed_s(gint64 since)
{
	return (double)(g_get_monotonic_time() - since) / G_USEC_PER_SEC;
}

static void print_log_tail(void)
{
	g_autofree char *text = NULL;
	gsize len = 0;
	const char *start;
	int lines = 0;

	if (!g_file_get_contents(fz.log_path, &text, &len, NULL) || len == 0)
		return;
	start = text + len;
	while (start > text && lines <= LOG_LINES) {
		start--;
		if (*start == '\n')
			lines++;
	}
	fprintf(stderr, "busfuzz: the end of batagg's log (%s, %zu bytes):\n%s\n", fz.log_path,
	        (size_t)len, start);
}

static void print_limit_inputs(void)
{
	fprintf(stderr, "busfuzz: what the members sent last on the paths the limits use:\n");
	for (int m = 0; m < N_MEMBERS; m++) {
		g_autoptr(GString) line = g_string_new(NULL);

		for (size_t k = 0; k < G_N_ELEMENTS(limit_inputs); k++) {
			const char *v = g_hash_table_lookup(fz.members[m].last, limit_inputs[k]);

			if (v)
				g_string_append_printf(line, " %s=%s", limit_inputs[k], v);
		}
		fprintf(stderr, "  %s%s:%s\n", fz.members[m].name,
		        fz.members[m].conn ? "" : " (gone)", line->len ? line->str : " nothing");
	}
}

/* The last n actions and answers, or all those of who that are kept. */
static void print_recent(guint n, const char *who)
{
	guint64 kept = G_N_ELEMENTS(fz.recent);
	guint64 first = fz.notes > (who ? kept : n) ? fz.notes - (who ? kept : n) : 0;

	fprintf(stderr, "busfuzz: the last actions and answers%s%s, oldest first:\n",
	        who ? " of " : "", who ? who : "");
	for (guint64 a = first; a < fz.notes; a++) {
		const char *line = fz.recent[a % kept];

		if (!who || g_str_has_prefix(line, who))
			fprintf(stderr, "  #%" G_GUINT64_FORMAT " %s\n", a, line);
	}
}

/* Everything a reader needs to see and replay the failure, then exit 1. */
static void G_GNUC_NORETURN failed(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static void failed(const char *fmt, ...)
{
	g_autofree char *why = NULL;
	va_list ap;

	va_start(ap, fmt);
	why = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nbusfuzz: FAILED after %" G_GUINT64_FORMAT " actions: %s\n", fz.actions,
	        why);
	fprintf(stderr, "busfuzz: seed %u (replay: busfuzz --seed %u --seconds %g%s)\n", fz.seed,
	        fz.seed, fz.seconds, fz.limit_checks ? "" : " --no-limit-checks");
	print_recent(64, NULL);
	print_log_tail();
	exit(1);
}

/* Draws start afresh from (seed, stream, n) for every action, burst and
 * answer, so that one that goes another way than in an earlier run (a
 * member was gone, batagg asked later) shifts none of the draws after it. */
enum { STREAM_ACTIONS, STREAM_BURSTS, STREAM_ANSWERS };

static void reseed(GRand *r, guint32 stream, guint64 n)
{
	guint32 key[] = {fz.seed, stream, (guint32)n, (guint32)(n >> 32)};

	g_rand_set_seed_array(r, key, G_N_ELEMENTS(key));
}

static void put_value(GRand *r, DBusMessageIter *it, const char *path, gboolean sane, GString *desc)
{
	if (sane)
		rnd_sane(r, it, path, desc);
	else
		rnd_wild(r, it, rnd_is_text_path(path) ? BIAS_TEXT : BIAS_NUMBER, desc);
}

/* ---- what members send ---------------------------------------------------- */

static const char *random_member_path(GRand *r, char **owned)
{
	if (!rnd_one_in(r, 6))
		return RND_PICK(r, battery_paths);
	*owned = rnd_object_path(r);
	return *owned;
}

static void remember(Member *m, const char *path, const GString *desc)
{
	for (size_t i = 0; i < G_N_ELEMENTS(battery_paths); i++) {
		if (strcmp(battery_paths[i], path) == 0) {
			g_hash_table_replace(m->last, (gpointer)battery_paths[i],
			                     g_strndup(desc->str, 120));
			return;
		}
	}
}

/* {"Value": v, "Text": s}, now and then without Value, with it twice, or
 * with a Text that is no string. */
static void put_props(GRand *r, Member *m, DBusMessageIter *dict, const char *path, gboolean sane,
                      GString *desc)
{
	DBusMessageIter entry;
	const char *key = "Value";
	int shape = sane ? 0 : g_rand_int_range(r, 0, 12);
	g_autoptr(GString) value = g_string_new(NULL);

	if (shape != 1) {
		dbus_message_iter_open_container(dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
		dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &key);
		put_value(r, &entry, path, sane, value);
		dbus_message_iter_close_container(dict, &entry);
		if (m)
			remember(m, path, value);
	}
	if (shape == 2) {
		g_string_append(value, ", Value again: ");
		dbus_message_iter_open_container(dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
		dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &key);
		rnd_wild(r, &entry, BIAS_ANY, value);
		dbus_message_iter_close_container(dict, &entry);
	}
	key = "Text";
	dbus_message_iter_open_container(dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
	dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &key);
	if (shape == 3) {
		g_string_append(value, ", Text: ");
		rnd_wild(r, &entry, BIAS_ANY, value);
	} else {
		DBusMessageIter var;
		const char *text = "12.3V";

		dbus_message_iter_open_container(&entry, DBUS_TYPE_VARIANT, "s", &var);
		dbus_message_iter_append_basic(&var, DBUS_TYPE_STRING, &text);
		dbus_message_iter_close_container(&entry, &var);
	}
	dbus_message_iter_close_container(dict, &entry);
	g_string_append_printf(desc, " %s=%s%s", path, shape == 1 ? "(no Value)" : "", value->str);
}

/* a{sa{sv}}: n paths (battery paths mostly, then random ones). */
static void put_items(GRand *r, Member *m, DBusMessageIter *it, int n, gboolean sane, GString *desc)
{
	DBusMessageIter outer, entry, props;

	dbus_message_iter_open_container(it, DBUS_TYPE_ARRAY, "{sa{sv}}", &outer);
	for (int i = 0; i < n; i++) {
		g_autofree char *owned = NULL;
		const char *path;

		if (sane)
			path = battery_paths[i % G_N_ELEMENTS(battery_paths)];
		else if (i >= (int)G_N_ELEMENTS(battery_paths))
			path = owned = g_strdup_printf("/Fuzz/%d/Value", i);
		else
			path = random_member_path(r, &owned);
		dbus_message_iter_open_container(&outer, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
		dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &path);
		dbus_message_iter_open_container(&entry, DBUS_TYPE_ARRAY, "{sv}", &props);
		put_props(r, m, &props, path, sane, desc);
		dbus_message_iter_close_container(&entry, &props);
		dbus_message_iter_close_container(&outer, &entry);
	}
	dbus_message_iter_close_container(it, &outer);
}

/* How many paths one signal or reply carries: usually a few, sometimes
 * thousands. */
static int path_count(GRand *r)
{
	if (rnd_one_in(r, 40))
		return g_rand_int_range(r, 1000, 5000);
	return g_rand_int_range(r, 0, 12);
}

/* A body of the wrong shape for ItemsChanged (or GetItems). */
static void put_malformed(GRand *r, DBusMessageIter *it, GString *desc)
{
	DBusMessageIter dict, entry;
	const char *s = "/Dc/0/Voltage";
	int shape = g_rand_int_range(r, 0, 5);

	switch (shape) {
	case 0:
		g_string_append(desc, " (no arguments)");
		return;
	case 1:
		g_string_append(desc, " (s)");
		dbus_message_iter_append_basic(it, DBUS_TYPE_STRING, &s);
		return;
	case 2:
		g_string_append(desc, " a{sv}:");
		dbus_message_iter_open_container(it, DBUS_TYPE_ARRAY, "{sv}", &dict);
		dbus_message_iter_open_container(&dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
		dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &s);
		rnd_wild(r, &entry, BIAS_ANY, desc);
		dbus_message_iter_close_container(&dict, &entry);
		dbus_message_iter_close_container(it, &dict);
		return;
	case 3:
		g_string_append(desc, " v:");
		rnd_wild(r, it, BIAS_ANY, desc);
		return;
	default: {
		g_autoptr(GString) sig = g_string_new(NULL);
		const char *p;

		rnd_type(r, sig);
		p = sig->str;
		g_string_append_printf(desc, " (%s):", sig->str);
		rnd_fill(r, it, &p, desc);
		return;
	}
	}
}

static void send_on(DBusConnection *conn, DBusMessage *msg)
{
	dbus_connection_send(conn, msg, NULL);
	dbus_message_unref(msg);
	dbus_connection_read_write(conn, 0);
}

/* One signal from m (or from its ghost, the owner it replaced). */
static void member_signal(Member *m, gboolean from_ghost)
{
	GRand *r = fz.r;
	DBusConnection *conn = from_ghost ? m->ghost : m->conn;
	g_autoptr(GString) desc = g_string_new(NULL);
	int kind = g_rand_int_range(r, 0, 20);
	gboolean sane = kind < 7;

	/* An older driver sends each change as PropertiesChanged. */
	if (kind < 14 && m->props_only)
		kind = 14;
	DBusMessage *sig;
	DBusMessageIter it, dict;

	if (!conn)
		return;
	if (kind < 14 && !m->props_only) {
		int n = sane ? g_rand_int_range(r, 1, 8) : path_count(r);

		sig = dbus_message_new_signal("/", BUSITEM, "ItemsChanged");
		dbus_message_iter_init_append(sig, &it);
		put_items(r, from_ghost ? NULL : m, &it, n, sane, desc);
		note("%s%s ItemsChanged %d paths:%s", m->name, from_ghost ? " (ghost)" : "", n,
		     desc->str);
	} else if (kind < 17) {
		g_autofree char *owned = NULL;
		const char *path =
		        sane ? RND_PICK(r, battery_paths) : random_member_path(r, &owned);

		sig = dbus_message_new_signal(path, BUSITEM, "PropertiesChanged");
		dbus_message_iter_init_append(sig, &it);
		if (!sane && rnd_one_in(r, 6)) {
			put_malformed(r, &it, desc);
		} else {
			dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "{sv}", &dict);
			put_props(r, from_ghost ? NULL : m, &dict, path, sane, desc);
			dbus_message_iter_close_container(&it, &dict);
		}
		note("%s%s PropertiesChanged on %s:%s", m->name, from_ghost ? " (ghost)" : "", path,
		     desc->str);
	} else if (kind < 19) {
		sig = dbus_message_new_signal("/", BUSITEM, "ItemsChanged");
		dbus_message_iter_init_append(sig, &it);
		put_malformed(r, &it, desc);
		note("%s ItemsChanged of the wrong shape:%s", m->name, desc->str);
	} else {
		/* The same member name on the standard interface. */
		const char *iface = "com.victronenergy.Other";

		sig = dbus_message_new_signal("/Dc/0/Voltage", "org.freedesktop.DBus.Properties",
		                              "PropertiesChanged");
		dbus_message_iter_init_append(sig, &it);
		dbus_message_iter_append_basic(&it, DBUS_TYPE_STRING, &iface);
		dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "{sv}", &dict);
		put_props(r, NULL, &dict, "/Dc/0/Voltage", FALSE, desc);
		dbus_message_iter_close_container(&it, &dict);
		note("%s org.freedesktop.DBus.Properties.PropertiesChanged:%s", m->name, desc->str);
	}
	send_on(conn, sig);
}

/* ---- members on the bus --------------------------------------------------- */

static DBusConnection *connect_bus(void)
{
	DBusError err;
	DBusConnection *conn;

	dbus_error_init(&err);
	conn = dbus_connection_open_private(g_getenv("DBUS_SESSION_BUS_ADDRESS"), &err);
	if (!conn || !dbus_bus_register(conn, &err)) {
		fprintf(stderr, "busfuzz: cannot connect to the test bus: %s\n", err.message);
		exit(2);
	}
	dbus_connection_set_exit_on_disconnect(conn, FALSE);
	return conn;
}

static void close_conn(DBusConnection **conn)
{
	if (!*conn)
		return;
	dbus_connection_close(*conn);
	dbus_connection_unref(*conn);
	*conn = NULL;
}

/* m appears (again) on a new connection.  With takeover, the old owner is
 * replaced while it stays connected, and keeps talking as the ghost. */
static void member_connect(Member *m, gboolean takeover)
{
	DBusConnection *conn = connect_bus();
	/* Replacing also when the old connection is closed: the bus may not
	 * have seen it go yet. */
	unsigned flags = DBUS_NAME_FLAG_ALLOW_REPLACEMENT | DBUS_NAME_FLAG_DO_NOT_QUEUE |
	                 DBUS_NAME_FLAG_REPLACE_EXISTING;
	int rc;

	if (takeover) {
		close_conn(&m->ghost);
		m->ghost = m->conn;
	} else {
		close_conn(&m->conn);
	}
	m->conn = conn;
	m->props_only = rnd_one_in(fz.r, 3);
	rc = dbus_bus_request_name(conn, m->name, flags, NULL);
	if (rc != DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER) {
		fprintf(stderr, "busfuzz: %s: cannot own the name (%d)\n", m->name, rc);
		exit(2);
	}
	note("%s appears on %s%s%s", m->name, dbus_bus_get_unique_name(conn),
	     takeover ? ", taking the name over" : "",
	     m->props_only ? " (PropertiesChanged only)" : "");
}

static void member_vanish(Member *m, const char *why)
{
	if (!m->conn)
		return;
	note("%s vanishes%s", m->name, why);
	close_conn(&m->conn);
}

/* ---- how members answer batagg ------------------------------------------- */

static void defer(DBusConnection *conn, DBusMessage *reply, int ms)
{
	Deferred *d = g_new0(Deferred, 1);

	d->conn = dbus_connection_ref(conn);
	d->reply = reply;
	d->due = g_get_monotonic_time() + (gint64)ms * 1000;
	g_ptr_array_add(fz.deferred, d);
}

static void deferred_free(gpointer data)
{
	Deferred *d = data;

	dbus_connection_unref(d->conn);
	dbus_message_unref(d->reply);
	g_free(d);
}

static void send_due(gboolean all)
{
	gint64 now = g_get_monotonic_time();

	for (guint i = fz.deferred->len; i-- > 0;) {
		Deferred *d = fz.deferred->pdata[i];

		if (!all && d->due > now)
			continue;
		if (dbus_connection_get_is_connected(d->conn)) {
			dbus_connection_send(d->conn, d->reply, NULL);
			dbus_connection_read_write(d->conn, 0);
		}
		g_ptr_array_remove_index_fast(fz.deferred, i);
	}
}

/* The reply to GetItems or GetValue on "/", with values: the whole tree
 * (sane) or what the answer stream draws. */
static DBusMessage *tree_reply(Member *m, DBusMessage *call, gboolean sane, GString *desc)
{
	GRand *r = m->answers;
	DBusMessage *reply = dbus_message_new_method_return(call);
	DBusMessageIter it, var, dict, entry;
	gboolean items = strcmp(dbus_message_get_member(call), "GetItems") == 0;
	int n = sane ? (int)G_N_ELEMENTS(battery_paths) : path_count(r);

	dbus_message_iter_init_append(reply, &it);
	if (items) {
		put_items(r, m, &it, n, sane, desc);
		return reply;
	}
	dbus_message_iter_open_container(&it, DBUS_TYPE_VARIANT, "a{sv}", &var);
	dbus_message_iter_open_container(&var, DBUS_TYPE_ARRAY, "{sv}", &dict);
	for (int i = 0; i < n; i++) {
		const char *path = battery_paths[i % G_N_ELEMENTS(battery_paths)];
		const char *key = path + 1;
		g_autoptr(GString) value = g_string_new(NULL);

		dbus_message_iter_open_container(&dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
		dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &key);
		put_value(r, &entry, path, sane, value);
		dbus_message_iter_close_container(&dict, &entry);
		remember(m, path, value);
		g_string_append_printf(desc, " %s=%s", key, value->str);
	}
	dbus_message_iter_close_container(&var, &dict);
	dbus_message_iter_close_container(&it, &var);
	return reply;
}

/* A call from batagg (GetItems, GetValue, ...) to member m on conn.  Until
 * batagg has published, members answer sanely, so that it starts. */
static void answer(Member *m, DBusConnection *conn, DBusMessage *call, gboolean sane)
{
	GRand *r = m->answers;
	const char *member = dbus_message_get_member(call);
	const char *path = dbus_message_get_path(call);
	gboolean tree = path && strcmp(path, "/") == 0 &&
	                (g_strcmp0(member, "GetItems") == 0 || g_strcmp0(member, "GetValue") == 0);
	int how;
	g_autoptr(GString) desc = g_string_new(NULL);
	DBusMessage *reply = NULL;
	DBusMessageIter it;

	if (!tree) {
		reply = dbus_message_new_error(call, DBUS_ERROR_UNKNOWN_METHOD, "no such method");
		send_on(conn, reply);
		return;
	}
	reseed(r, STREAM_ANSWERS + (guint32)(m - fz.members), m->answered++);
	how = sane || m->canary ? 0 : g_rand_int_range(r, 0, 20);
	if (how < 12) {
		reply = tree_reply(m, call, sane || m->canary, desc);
	} else if (how < 14) {
		reply = dbus_message_new_method_return(call);
		dbus_message_iter_init_append(reply, &it);
		put_malformed(r, &it, desc);
		g_string_prepend(desc, " of the wrong shape");
	} else if (how < 15) {
		reply = dbus_message_new_error(call, DBUS_ERROR_UNKNOWN_METHOD, "not here");
		g_string_append(desc, " UnknownMethod");
	} else if (how < 17) {
		int ms = g_rand_int_range(r, 50, 3000);

		defer(conn, tree_reply(m, call, FALSE, desc), ms);
		note("%s answers %s later (%d ms):%s", m->name, member, ms, desc->str);
		return;
	} else if (how < 18) {
		note("%s never answers %s", m->name, member);
		return;
	} else {
		g_autofree char *why = g_strdup_printf(" while batagg's %s is pending", member);

		if (conn == m->conn)
			member_vanish(m, why);
		return;
	}
	note("%s answers %s:%s", m->name, member, desc->str);
	send_on(conn, reply);
}

/* Reads what arrived for the members and the caller, answers batagg. */
static void pump(gboolean sane)
{
	DBusMessage *msg;

	for (int i = 0; i < N_MEMBERS; i++) {
		Member *m = &fz.members[i];
		DBusConnection *conns[2] = {m->conn, m->ghost};

		for (int k = 0; k < 2; k++) {
			DBusConnection *conn = conns[k];

			if (!conn)
				continue;
			dbus_connection_read_write(conn, 0);
			while (conn == m->conn || conn == m->ghost) {
				msg = dbus_connection_pop_message(conn);
				if (!msg)
					break;
				if (dbus_message_get_type(msg) == DBUS_MESSAGE_TYPE_METHOD_CALL)
					answer(m, conn, msg, sane);
				dbus_message_unref(msg);
			}
		}
	}
	dbus_connection_read_write(fz.caller, 0);
	while ((msg = dbus_connection_pop_message(fz.caller))) {
		int type = dbus_message_get_type(msg);

		if (type == DBUS_MESSAGE_TYPE_METHOD_RETURN || type == DBUS_MESSAGE_TYPE_ERROR)
			fz.outstanding--;
		dbus_message_unref(msg);
	}
	send_due(FALSE);
}

/* ---- a client of batagg --------------------------------------------------- */

static const char *random_call_path(GRand *r, char **owned)
{
	const char *known = fz.paths->pdata[g_rand_int_range(r, 0, (gint32)fz.paths->len)];

	switch (g_rand_int_range(r, 0, 10)) {
	case 0:
		*owned = rnd_object_path(r);
		return *owned;
	case 1:
		*owned = g_strconcat(strcmp(known, "/") == 0 ? "" : known, "/Deeper", NULL);
		return *owned;
	case 2:
		/* A near miss, one character short (when that is still a path). */
		*owned = g_strndup(known, strlen(known) - 1);
		return strlen(*owned) > 1 && !g_str_has_suffix(*owned, "/") ? *owned : known;
	default:
		return known;
	}
}

static void client_call(void)
{
	static const char *const methods[] = {
	        "GetValue", "GetValue", "GetText",    "GetText",    "GetItems",  "SetValue",
	        "SetValue", "SetValue", "Introspect", "Frobnicate", "GetValues", "Get",
	};
	static const char *const ifaces[] = {
	        BUSITEM,
	        BUSITEM,
	        BUSITEM,
	        NULL,
	        NULL,
	        "org.freedesktop.DBus.Introspectable",
	        "org.freedesktop.DBus.Properties",
	        "com.example.Nobody",
	};
	static const char *const levels[] = {"DEBUG",    "INFO",   "WARNING", "ERROR",
	                                     "CRITICAL", "NOTSET", "LOUD",    ""};
	GRand *r = fz.r;
	g_autofree char *owned = NULL;
	const char *dest = fz.have_virtual && rnd_one_in(r, 5) ? VIRT : AGG;
	const char *path = random_call_path(r, &owned);
	const char *method = RND_PICK(r, methods);
	const char *iface = strcmp(method, "Introspect") == 0 && rnd_one_in(r, 2)
	                            ? "org.freedesktop.DBus.Introspectable"
	                            : RND_PICK(r, ifaces);
	g_autoptr(GString) desc = g_string_new(NULL);
	DBusMessage *msg = dbus_message_new_method_call(dest, path, iface, method);
	DBusMessageIter it;
	int args = g_rand_int_range(r, 0, 10);

	dbus_message_iter_init_append(msg, &it);
	if (strcmp(method, "SetValue") == 0 && args < 8) {
		if (strcmp(path, "/LogLevel") == 0 && args < 6) {
			DBusMessageIter var;
			const char *level = RND_PICK(r, levels);

			dbus_message_iter_open_container(&it, DBUS_TYPE_VARIANT, "s", &var);
			dbus_message_iter_append_basic(&var, DBUS_TYPE_STRING, &level);
			dbus_message_iter_close_container(&it, &var);
			g_string_append_printf(desc, "s=\"%s\"", level);
		} else {
			rnd_wild(r, &it, strcmp(path, "/CustomName") == 0 ? BIAS_TEXT : BIAS_ANY,
			         desc);
		}
	} else if (args >= 8) {
		put_malformed(r, &it, desc);
	}
	if (rnd_one_in(r, 10))
		dbus_message_set_no_reply(msg, TRUE);
	else
		fz.outstanding++;
	note("call %s %s %s.%s(%s)%s", dest, path, iface ? iface : "(no interface)", method,
	     desc->str, dbus_message_get_no_reply(msg) ? " no reply wanted" : "");
	send_on(fz.caller, msg);
}

/* ---- localsettings and the system service (batsim) ------------------------ */

static void settings_change(void)
{
	static const char *const paths[] = {
	        "settings /Settings/SystemSetup/MaxChargeCurrent",
	        "settings /Settings/SystemSetup/MaxChargeVoltage",
	        "system /Control/Dvcc",
	        "settings /Settings/Battery/aggregator/CustomName",
	};
	static const char *const values[] = {
	        "-1",    "0",      "1",      "2",    "30",    "55.2",   "-5.5",
	        "1e308", "-1e308", "1e-320", "null", "\"x\"", "[1, 2]", "true",
	};
	GRand *r = fz.r;
	const char *what = RND_PICK(r, paths);
	g_autofree char *line = NULL;

	if (g_str_has_suffix(what, "CustomName")) {
		g_autofree char *name = rnd_string(r);
		g_autoptr(GString) json = g_string_new("\"");

		/* UTF-8 goes into JSON as it is; only quotes and backslashes
		 * (random_string makes no control characters) need escapes. */
		for (const char *c = name; *c && json->len < 65536; c++) {
			if (*c == '"' || *c == '\\')
				g_string_append_c(json, '\\');
			g_string_append_c(json, *c);
		}
		if (json->len >= 65536)
			g_string_assign(json, "\"long");
		g_string_append_c(json, '"');
		line = g_strdup_printf("%s %s", what, json->str);
	} else {
		line = g_strdup_printf("%s %s", what, RND_PICK(r, values));
	}
	note("batsim: %s", line);
	harness_send(fz.sim, line);
}

/* ---- the checks after each burst ------------------------------------------ */

/* Fails when batagg is gone, waiting up to wait_ms for it to go. */
static void check_alive(int wait_ms)
{
	int status;

	for (int waited = 0;; waited += 20) {
		if (waitpid(fz.agg, &status, WNOHANG) == fz.agg)
			break;
		if (waited >= wait_ms)
			return;
		g_usleep(20 * 1000);
	}
	if (WIFSIGNALED(status))
		failed("batagg died of signal %d (%s)", WTERMSIG(status),
		       strsignal(WTERMSIG(status)));
	failed("batagg exited with status %d", WEXITSTATUS(status));
}

static DBusMessage *timed_call(const char *service, const char *path, const char *method)
{
	gint64 start = g_get_monotonic_time();
	DBusMessage *reply = harness_call(fz.h, service, path, method);
	double ms = (double)(g_get_monotonic_time() - start) / 1000;

	fz.worst_reply_ms = MAX(fz.worst_reply_ms, ms);
	if (!reply || dbus_message_get_type(reply) != DBUS_MESSAGE_TYPE_METHOD_RETURN) {
		/* No answer because batagg is gone: say that first. */
		check_alive(1000);
		failed("%s %s %s: %s after %.0f ms", service, path, method,
		       reply ? dbus_message_get_error_name(reply) : "no answer", ms);
	}
	return reply;
}

/* Every double anywhere in the value at it must be finite. */
/* A published value that breaks a rule: shown in full the first time (the
 * service, the path, what is wrong, and what the members sent), counted
 * after that.  The run goes on, and fails at its end. */
static void problem(const char *service, const char *key, const char *what, double x)
{
	char *id = g_strdup_printf("%s %s: %s", service, key, what);
	guint seen = GPOINTER_TO_UINT(g_hash_table_lookup(fz.problems, id));

	g_hash_table_insert(fz.problems, id, GUINT_TO_POINTER(seen + 1));
	if (seen)
		return;
	fprintf(stderr,
	        "\nbusfuzz: after %" G_GUINT64_FORMAT " actions, %s publishes %s = %g: %s\n",
	        fz.actions, service, key, x, what);
	print_limit_inputs();
	print_recent(12, NULL);
}

/* Every double anywhere in the value at it must be finite. */
static void find_non_finite(DBusMessageIter *it, const char *service, const char *key)
{
	do {
		int type = dbus_message_iter_get_arg_type(it);
		DBusMessageIter inner;
		double d;

		if (type == DBUS_TYPE_DOUBLE) {
			dbus_message_iter_get_basic(it, &d);
			if (!isfinite(d))
				problem(service, key, isnan(d) ? "NaN" : "infinite", d);
		} else if (type == DBUS_TYPE_VARIANT || type == DBUS_TYPE_STRUCT ||
		           type == DBUS_TYPE_DICT_ENTRY ||
		           (type == DBUS_TYPE_ARRAY &&
		            dbus_message_iter_get_element_type(it) != DBUS_TYPE_BYTE)) {
			dbus_message_iter_recurse(it, &inner);
			if (dbus_message_iter_get_arg_type(&inner) != DBUS_TYPE_INVALID)
				find_non_finite(&inner, service, key);
		}
	} while (dbus_message_iter_next(it));
}

/* A valid CCL or DCL is >= 0, a valid CVL > 0 (non-finite ones are
 * find_non_finite's). */
static void check_limit(const char *service, const char *key, const Value *v)
{
	gboolean cvl = strcmp(key, "Info/MaxChargeVoltage") == 0;
	double x;

	if (!value_number(v, &x) || !isfinite(x))
		return;
	if (x < 0 || (cvl && x == 0))
		problem(service, key, cvl ? "not > 0" : "negative", x);
}

static void check_service(const char *service)
{
	DBusMessage *reply = timed_call(service, "/", "GetValue");
	DBusMessageIter it, var, dict, entry, value;

	dbus_message_unref(timed_call(service, "/", "GetText"));
	dbus_message_iter_init(reply, &it);
	dbus_message_iter_recurse(&it, &var);
	dbus_message_iter_recurse(&var, &dict);
	while (fz.limit_checks && dbus_message_iter_get_arg_type(&dict) == DBUS_TYPE_DICT_ENTRY) {
		const char *key;
		Value v = VALUE_INIT;

		dbus_message_iter_recurse(&dict, &entry);
		dbus_message_iter_get_basic(&entry, &key);
		dbus_message_iter_next(&entry);
		value = entry;
		find_non_finite(&value, service, key);
		dbus_value_read(&entry, &v);
		if (g_str_has_prefix(key, "Info/MaxCharge") ||
		    strcmp(key, "Info/MaxDischargeCurrent") == 0)
			check_limit(service, key, &v);
		value_clear(&v);
		dbus_message_iter_next(&dict);
	}
	dbus_message_unref(reply);
}

/* batagg still follows its inputs: the canary (a primary service for
 * /TimeToGo, fuzzed like the others, but it never leaves and always
 * answers batagg's reads) sends a new /TimeToGo the way it sends
 * everything, which must reach the aggregate. */
static void check_follows(void)
{
	Member *m = &fz.members[CANARY];
	double marker = fz.bursts + 0.25;
	g_autoptr(GString) desc = g_string_new(NULL);
	DBusMessage *sig =
	        dbus_message_new_signal(m->props_only ? "/TimeToGo" : "/", BUSITEM,
	                                m->props_only ? "PropertiesChanged" : "ItemsChanged");
	DBusMessageIter it, outer, entry, props, prop, var;
	const char *path = "/TimeToGo";
	const char *key = "Value";
	Value want = value_double(marker);
	Value v = VALUE_INIT;

	dbus_message_iter_init_append(sig, &it);
	if (!m->props_only) {
		dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "{sa{sv}}", &outer);
		dbus_message_iter_open_container(&outer, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
		dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &path);
	}
	dbus_message_iter_open_container(m->props_only ? &it : &entry, DBUS_TYPE_ARRAY, "{sv}",
	                                 &props);
	dbus_message_iter_open_container(&props, DBUS_TYPE_DICT_ENTRY, NULL, &prop);
	dbus_message_iter_append_basic(&prop, DBUS_TYPE_STRING, &key);
	dbus_message_iter_open_container(&prop, DBUS_TYPE_VARIANT, "d", &var);
	dbus_message_iter_append_basic(&var, DBUS_TYPE_DOUBLE, &marker);
	dbus_message_iter_close_container(&prop, &var);
	dbus_message_iter_close_container(&props, &prop);
	dbus_message_iter_close_container(m->props_only ? &it : &entry, &props);
	if (!m->props_only) {
		dbus_message_iter_close_container(&outer, &entry);
		dbus_message_iter_close_container(&it, &outer);
	}
	g_string_printf(desc, "d=%g", marker);
	remember(m, path, desc);
	note("%s %s /TimeToGo=%g (the canary)", m->name,
	     m->props_only ? "PropertiesChanged" : "ItemsChanged", marker);
	send_on(m->conn, sig);
	dbus_connection_flush(m->conn);
	for (int waited = 0; waited < 5000; waited += 20) {
		if (harness_get_value(fz.h, AGG, path, &v) && value_equal(&v, &want)) {
			value_clear(&v);
			return;
		}
		pump(FALSE);
		g_usleep(20 * 1000);
	}
	{
		g_autofree char *got = value_format(&v, UNIT_NONE);

		fprintf(stderr,
		        "\nbusfuzz: after %" G_GUINT64_FORMAT " actions, batagg stopped following "
		        "%s: its /TimeToGo %g (sent with %s) did not reach the aggregate in 5 s, "
		        "which shows %s\n",
		        fz.actions, m->name, marker,
		        m->props_only ? "PropertiesChanged" : "ItemsChanged", got);
		print_recent(0, m->name);
		g_hash_table_insert(fz.problems,
		                    g_strdup_printf("%s is no longer followed", m->name),
		                    GUINT_TO_POINTER(1));
		fz.deaf = TRUE;
	}
	value_clear(&v);
}

static void check(void)
{
	for (int i = 0; i < N_MEMBERS; i++) {
		if (fz.members[i].conn)
			dbus_connection_flush(fz.members[i].conn);
		if (fz.members[i].ghost)
			dbus_connection_flush(fz.members[i].ghost);
	}
	dbus_connection_flush(fz.caller);
	check_alive(0);
	check_service(AGG);
	if (fz.have_virtual)
		check_service(VIRT);
	if (!fz.deaf)
		check_follows();
	fz.bursts++;
}

/* ---- the whole run --------------------------------------------------------- */

/* A config drawn from the seed: the members fuzz0-2, fuzz3 in a virtual
 * battery with every hook, fuzz4 primary for some paths, fuzz5 auxiliary,
 * the canary fuzz6 primary for /TimeToGo, and a "name:" entry that random
 * custom names sometimes hit. */
static char *random_config(GRand *r)
{
	static const char *const ratios[] = {"ir", "capacity", "count"};
	static const char *const cvls[] = {"max_when_balancing", "min_when_balancing", "max_always",
	                                   "max_when_floating"};
	static const char *const primary[] = {"[]", "[\"/Soc\", \"/Info/MaxChargeCurrent\"]",
	                                      "[\"/Info/MaxChargeVoltage\", \"/Dc/0/Current\"]"};

	return g_strdup_printf(
	        "{\"startupBatteryWait\": 60, \"logLevel\": \"WARNING\","
	        " \"currentRatioMethod\": \"%s\", \"cvlMode\": \"%s\", \"reconnectTimeout\": %d,"
	        " \"excludedServices\": [\"name:Fuzz Excluded\"],"
	        " \"primaryServices\": {\"" MEMBER_PREFIX "6\": [\"/TimeToGo\"],"
	        "  \"" MEMBER_PREFIX "4\": %s},"
	        " \"auxiliaryServices\": [\"" MEMBER_PREFIX "5\"],"
	        " \"virtualBatteries\": {\"" VIRT "\": [\"class:hooks.FixedValueHook\","
	        "  \"" MEMBER_PREFIX "3\", \"class:hooks.CustomChargingHook\","
	        "  \"class:hooks.TemperatureChargingHook\"]},"
	        " \"classes\": {"
	        "  \"hooks.FixedValueHook\": {\"path\": \"/System/MinVoltageCellId\","
	        "   \"value\": "
	        "\"x\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"},"
	        "  \"hooks.CustomChargingHook\": {\"ccls\": {\"0\": 50, \"54\": 10},"
	        "   \"dcls\": {\"-1e308\": 100}},"
	        "  \"hooks.TemperatureChargingHook\": {\"ccls\": {\"-40\": 0, \"5\": 80}}}}",
	        RND_PICK(r, ratios), RND_PICK(r, cvls), rnd_one_in(r, 3) ? 2 : 0,
	        RND_PICK(r, primary));
}

/* However the fuzzer ends, batagg does not outlive it. */
static void kill_batagg(void)
{
	if (fz.agg > 0 && waitpid(fz.agg, NULL, WNOHANG) == 0) {
		kill(fz.agg, SIGKILL);
		waitpid(fz.agg, NULL, 0);
	}
}

/* The program to run: as the environment says (meson test), else the one
 * built beside the fuzzer, so that it runs by hand too. */
static char *program(const char *env, const char *built)
{
	return (char *)(g_getenv(env) ? g_getenv(env) : built);
}

static GPid start_batagg(const char *config_path)
{
	char *argv[] = {program("BATAGG", BUILT_BATAGG), (char *)"--config", (char *)config_path,
	                NULL};
	g_auto(GStrv) cmd = NULL;
	g_autoptr(GError) error = NULL;
	int log = open(fz.log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	GPid pid;

	if (log < 0) {
		fprintf(stderr, "busfuzz: cannot write %s\n", fz.log_path);
		exit(2);
	}
	cmd = harness_command(argv);
	if (!g_spawn_async_with_fds(NULL, cmd, NULL,
	                            G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH, NULL, NULL,
	                            &pid, -1, log, log, &error)) {
		fprintf(stderr, "busfuzz: cannot start batagg: %s\n", error->message);
		exit(2);
	}
	close(log);
	atexit(kill_batagg);
	return pid;
}

/* Members answer sanely until batagg publishes; then its paths are read
 * for the client's calls. */
static void start(void)
{
	g_autofree char *config = random_config(fz.r);
	char *sim_argv[] = {program("BATSIM", BUILT_BATSIM), (char *)"--quiet", NULL, NULL};
	gint64 since = g_get_monotonic_time();
	DBusMessage *reply;
	DBusMessageIter it, dict, entry;

	fz.h = harness_new();
	sim_argv[2] = (char *)harness_write_file(fz.h, "scenario.json", "{\"dvcc\": 1}");
	harness_spawn(fz.h, sim_argv, &fz.sim);
	if (!harness_wait_name(fz.h, "com.victronenergy.settings", 10000))
		exit(2);
	fz.caller = connect_bus();
	for (int i = 0; i < N_MEMBERS; i++) {
		Member *m = &fz.members[i];

		m->name = g_strdup_printf(MEMBER_PREFIX "%d", i);
		m->answers = g_rand_new();
		m->last = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
		m->canary = i == CANARY;
		member_connect(m, FALSE);
	}
	fz.log_path = g_build_filename(g_get_tmp_dir(), "busfuzz-batagg-XXXXXX.log", NULL);
	close(g_mkstemp(fz.log_path));
	fz.agg = start_batagg(harness_write_file(fz.h, "config.json", config));
	fprintf(stderr, "busfuzz: config %s\n", config);
	while (!harness_has_name(fz.h, AGG)) {
		if (elapsed_s(since) > START_TIMEOUT_S)
			failed("batagg did not publish within %d s", START_TIMEOUT_S);
		if (waitpid(fz.agg, NULL, WNOHANG) == fz.agg)
			failed("batagg exited during start-up");
		pump(TRUE);
		g_usleep(20 * 1000);
	}
	fz.have_virtual = harness_wait_name(fz.h, VIRT, 10000);
	fz.paths = g_ptr_array_new_with_free_func(g_free);
	reply = timed_call(AGG, "/", "GetItems");
	dbus_message_iter_init(reply, &it);
	dbus_message_iter_recurse(&it, &dict);
	while (dbus_message_iter_get_arg_type(&dict) == DBUS_TYPE_DICT_ENTRY) {
		const char *path;

		dbus_message_iter_recurse(&dict, &entry);
		dbus_message_iter_get_basic(&entry, &path);
		g_ptr_array_add(fz.paths, g_strdup(path));
		/* Its nodes too: "/Info" of "/Info/MaxChargeCurrent". */
		for (const char *slash = strrchr(path, '/'); slash && slash > path;
		     slash = g_strrstr_len(path, slash - path, "/"))
			g_ptr_array_add(fz.paths, g_strndup(path, (gsize)(slash - path)));
		dbus_message_iter_next(&dict);
	}
	g_ptr_array_add(fz.paths, g_strdup("/"));
	dbus_message_unref(reply);
	fprintf(stderr, "busfuzz: batagg published after %.1f s; %u paths and nodes to call\n",
	        elapsed_s(since), fz.paths->len);
}

/* One action, drawn from the seed. */
static void act(void)
{
	GRand *r = fz.r;
	Member *m;
	int kind;

	reseed(r, STREAM_ACTIONS, fz.actions++);
	m = &fz.members[g_rand_int_range(r, 0, N_MEMBERS)];
	kind = g_rand_int_range(r, 0, 1000);

	if (kind < 550) {
		if (m->conn)
			member_signal(m, FALSE);
		else
			member_connect(m, FALSE);
	} else if (kind < 560) {
		if (m->ghost)
			member_signal(m, TRUE);
	} else if (kind < 900) {
		client_call();
	} else if (kind < 915) {
		settings_change();
	} else if (m->canary) {
		/* The rest are comings and goings: the canary stays. */
	} else if (kind < 945) {
		member_vanish(m, "");
	} else if (kind < 965) {
		if (m->conn)
			member_connect(m, TRUE);
	} else if (kind < 975) {
		if (m->ghost) {
			note("%s: the ghost disconnects", m->name);
			close_conn(&m->ghost);
		}
	} else {
		member_connect(m, FALSE);
	}
}

static void stop(void)
{
	int status = -1;

	send_due(TRUE);
	check();
	kill(fz.agg, SIGTERM);
	for (int waited = 0; waited < 20000; waited += 20) {
		if (waitpid(fz.agg, &status, WNOHANG) == fz.agg)
			break;
		pump(FALSE);
		g_usleep(20 * 1000);
	}
	if (status == -1)
		failed("batagg did not stop within 20 s of SIGTERM");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		failed("batagg did not stop cleanly on SIGTERM (status %d%s)", status,
		       WIFSIGNALED(status) ? ", a signal" : ", see its log for a sanitizer report");
	fz.agg = -1;
}

/* The published values that broke a rule during the run, if any: each
 * was shown in full when first seen. */
static int report_problems(void)
{
	GHashTableIter it;
	gpointer id, seen;

	if (g_hash_table_size(fz.problems) == 0)
		return 0;
	fprintf(stderr,
	        "\nbusfuzz: FAILED, seed %u: problems seen, each shown above when first seen "
	        "(--no-limit-checks skips the checks of published values):\n",
	        fz.seed);
	g_hash_table_iter_init(&it, fz.problems);
	while (g_hash_table_iter_next(&it, &id, &seen))
		fprintf(stderr, "  %s (seen %u times)\n", (const char *)id, GPOINTER_TO_UINT(seen));
	return 1;
}

static void parse_args(int argc, char **argv)
{
	const char *env = g_getenv("BATAGG_BUSFUZZ_SECONDS");

	fz.seconds = env ? g_ascii_strtod(env, NULL) : 10;
	fz.seed = (guint32)g_random_int();
	fz.limit_checks = TRUE;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
			fz.seconds = g_ascii_strtod(argv[++i], NULL);
		} else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
			fz.seed = (guint32)g_ascii_strtoull(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--no-limit-checks") == 0) {
			fz.limit_checks = FALSE;
		} else {
			fprintf(stderr,
			        "usage: busfuzz [--seconds N] [--seed N] [--no-limit-checks]\n"
			        "(BATAGG, BATSIM: other programs than the built ones; "
			        "BATAGG_BUSFUZZ_SECONDS: the default duration, 10)\n");
			exit(2);
		}
	}
}

int main(int argc, char **argv)
{
	gint64 since;
	double took;

	parse_args(argc, argv);
	fprintf(stderr, "busfuzz: seed %u, %g s%s\n", fz.seed, fz.seconds,
	        fz.limit_checks ? "" : ", without the limit checks");
	fz.r = g_rand_new_with_seed(fz.seed);
	fz.deferred = g_ptr_array_new_with_free_func(deferred_free);
	fz.problems = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	signal(SIGPIPE, SIG_IGN);
	start();
	since = g_get_monotonic_time();
	while (elapsed_s(since) < fz.seconds) {
		int burst;

		reseed(fz.r, STREAM_BURSTS, fz.bursts);
		burst = g_rand_int_range(fz.r, 20, 400);

		for (int i = 0; i < burst; i++) {
			act();
			pump(FALSE);
			while (fz.outstanding >= MAX_OUTSTANDING) {
				g_usleep(1000);
				pump(FALSE);
			}
		}
		check();
	}
	took = elapsed_s(since);
	stop();
	printf("busfuzz: seed %u: %" G_GUINT64_FORMAT " actions in %.1f s (%.0f/s), %u bursts "
	       "checked, slowest check reply %.0f ms\n",
	       fz.seed, fz.actions, took, (double)fz.actions / took, fz.bursts, fz.worst_reply_ms);
	for (int i = 0; i < N_MEMBERS; i++) {
		close_conn(&fz.members[i].conn);
		close_conn(&fz.members[i].ghost);
	}
	harness_free(fz.h);
	g_unlink(fz.log_path);
	return report_problems();
}
