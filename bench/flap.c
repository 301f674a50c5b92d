/* SPDX-License-Identifier: MIT */
/*
 * flap: the soak's load (bench/soak.sh).  A few *steady* battery members with
 * fixed values, so that the aggregate they give is known, and slots of
 * *flapping* members: every PERIOD ms one slot changes, a member appearing
 * (a fresh connection that takes the slot's battery name) or vanishing (its
 * connection closes, or a new connection takes the name over).  Each
 * flapping member behaves in one of a few ways: plausible values, garbage in
 * its reply and in signals (wrong types, NaN/Inf, huge numbers, long
 * non-ASCII /CustomName, ItemsChanged of the wrong signature,
 * PropertiesChanged on random paths), signals before it is read, never
 * answering (it goes while GetItems is pending), going without answering or
 * right after answering, the old GetValue-on-"/" protocol, errors, a reply
 * of the wrong signature, or releasing its name and going on talking.
 *
 * It measures the daemon (its pid on the command line): RSS and private
 * dirty memory (/proc/PID/smaps_rollup, else the sum over /proc/PID/smaps),
 * open fds (/proc/PID/fd) and its match rules on the bus, before flapping,
 * after a warm-up and after the flapping, both at a quiet moment (every
 * flapping member gone, so both count the same live data), and at the end
 * of the flapping; pings the aggregate throughout (a deaf daemon fails) and
 * checks that it never publishes a non-finite number.
 * Then it stops flapping, waits, and checks the aggregate's values against
 * what the steady members alone give.  It prints one line of key=value
 * pairs and exits 0 when the aggregate was right, the daemon answered every
 * ping and nothing else went wrong (memory and fd limits are soak.sh's).
 *
 * usage: flap [OPTIONS] SECONDS AGG_PID
 */
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "bus/bus_service.h"
#include "bus/dbus_glib.h"
#include "bus/dbus_value.h"

#define AGG "com.victronenergy.battery.aggregator"
#define PREFIX "com.victronenergy.battery."
#define BUSITEM "com.victronenergy.BusItem"
#define CALL_TIMEOUT_MS 5000
#define MAX_SAMPLES 64
#define NESTED 12 /* variants in a variant: more than a reader follows */

/* ---- the steady members -------------------------------------------------- */

typedef struct {
	const char *suffix;
	double voltage, current, soc, installed, capacity, consumed;
	double ccl, dcl, cvl, temperature, min_cell, max_cell;
	const char *min_cell_id, *max_cell_id;
	int modules;
} Steady;

/* Values chosen so that each rule gives a figure no other rule would: with
 * "currentRatioMethod": "count" the CCL is min(CCL_i) x n = 40 x 3 = 120
 * (the capacity method would give 60 x 550/300 = 110) and the DCL min(DCL_i)
 * x n = 80 x 3 = 240 (capacity: 90 x 550/300 = 165); the CVL is the lowest,
 * 55.0, as max_when_balancing gives while no member balances (the highest
 * is 55.4); the mean voltage 52.3 is no member's. */
static const Steady steady_spec[] = {
        {"soak_steady0", 52.0, 10.0, 80, 100, 80, 20, 50, 100, 55.2, 20, 3.25, 3.30, "C1", "C9", 1},
        {"soak_steady1", 52.3, 12.0, 70, 150, 140, 60, 40, 80, 55.0, 25, 3.24, 3.31, "C3", "C7", 2},
        {"soak_steady2", 52.6, -4.0, 60, 300, 180, 120, 60, 90, 55.4, 22, 3.26, 3.29, "C5", "C2",
         1},
};
#define MAX_STEADY ((int)G_N_ELEMENTS(steady_spec))

/* What the aggregate must publish: a number (int or double) or a text. */
typedef struct {
	const char *path;
	gboolean is_int;
	double number;
	const char *text; /* non-NULL: a text value */
} Expect;

/* ---- the flapping members ------------------------------------------------ */

typedef enum {
	K_CLEAN,     /* plausible values (which change the aggregate while present) */
	K_GARBAGE,   /* garbage in its GetItems reply and in signals after it */
	K_EARLY,     /* garbage signals before it is read, then plausible values */
	K_MUTE,      /* never reads its connection: it goes with GetItems pending */
	K_DROP,      /* reads GetItems and goes without answering */
	K_ANSWER_GO, /* answers, then goes at once */
	K_OLD,       /* GetItems unknown; GetValue on "/" */
	K_ERROR,     /* every call an error */
	K_BADREPLY,  /* GetItems reply of the wrong signature, GetValue "/" garbage */
	K_RELEASE,   /* answers, releases its name, goes on sending changes */
	N_KINDS
} Kind;

static const char *const kind_names[N_KINDS] = {
        "clean",     "garbage", "early", "mute",     "drop",
        "answer_go", "old",     "error", "badreply", "release",
};
/* How often each kind is drawn (out of the sum), unless --kinds says. */
static const int default_weights[N_KINDS] = {3, 3, 1, 1, 1, 1, 1, 1, 1, 1};

typedef struct Flap Flap;

typedef struct {
	Flap *f;
	int slot;
	Kind kind;
	DBusConnection *conn;
	guint source; /* a deferred action (go, release) or the zombie's end */
	gboolean released;
} Flapper;

typedef struct {
	char *name;
	Flapper *owner;  /* NULL: absent */
	Flapper *queued; /* waiting in the bus's queue for the name */
} Slot;

typedef struct {
	long rss_kib, pd_kib;
	int fds, rules;
} Sample;

struct Flap {
	GMainLoop *loop;
	GRand *rng;
	int seconds, agg_pid, n_steady, n_slots, period_ms, warmup_s, settle_s, settle_max_s;
	int weights[N_KINDS];
	gboolean plain; /* no takeovers, no queued owners, no squatters */
	DBusConnection *steady_conns[MAX_STEADY];
	BusService *steady[MAX_STEADY];
	DBusConnection *probe;
	char *agg_owner;
	Slot *slots;
	GPtrArray *zombies; /* Flapper *: released their name, still connected */
	char *long_names[5];
	gint64 stop_at;
	guint tick, ping_timer, trend_timer;
	/* counts */
	long ticks, joins, leaves, handovers, from_queue, refused, squats, squat_won, errors;
	long kinds[N_KINDS];
	long signals;
	long pings, ping_fail, nonfinite;
	double ping_max_ms;
	DBusPendingCall *ping_call; /* the ping in flight */
	gint64 ping_sent;
	/* measurements */
	Sample base, start, end,
	        final; /* before flapping, after the warm-up, at its end, after it */
	gboolean have_start, ending;
	gint64 paused_at;
	guint quiet_timer;
	long trend[MAX_SAMPLES];
	int n_trend;
	/* outcome */
	gboolean baseline_ok, agg_ok, owner_same, alive;
	int agg_bad;
	long settle_ms;
	const char *failure;
};

static void flapper_free(Flapper *fl);

/* ---- /proc --------------------------------------------------------------- */

/* Rss and Private_Dirty in KiB: smaps_rollup, else the sum over smaps. */
static gboolean read_memory(int pid, long *rss, long *pd)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/smaps_rollup", pid);
	g_autofree char *text = NULL;
	gboolean rollup = g_file_get_contents(path, &text, NULL, NULL);
	gboolean any = FALSE;

	if (!rollup) {
		g_free(path);
		path = g_strdup_printf("/proc/%d/smaps", pid);
		if (!g_file_get_contents(path, &text, NULL, NULL))
			return FALSE;
	}
	*rss = *pd = 0;
	for (const char *line = text; line && *line; line = strchr(line, '\n') + 1) {
		if (g_str_has_prefix(line, "Rss:")) {
			*rss += strtol(line + 4, NULL, 10);
			any = TRUE;
		} else if (g_str_has_prefix(line, "Private_Dirty:")) {
			*pd += strtol(line + 14, NULL, 10);
		}
		if (!strchr(line, '\n'))
			break;
	}
	return any;
}

static int count_fds(int pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/fd", pid);
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* The daemon's match rules on the bus (org.freedesktop.DBus.Debug.Stats),
 * or -1 when the bus does not say. */
static int match_rules(Flap *f)
{
	DBusMessage *msg, *reply;
	DBusMessageIter it, dict, entry, var;
	const char *owner = f->agg_owner;
	int found = -1;

	if (!owner)
		return -1;
	msg = dbus_message_new_method_call(DBUS_SERVICE_DBUS, DBUS_PATH_DBUS,
	                                   "org.freedesktop.DBus.Debug.Stats",
	                                   "GetConnectionStats");
	dbus_message_append_args(msg, DBUS_TYPE_STRING, &owner, DBUS_TYPE_INVALID);
	reply = dbus_connection_send_with_reply_and_block(f->probe, msg, CALL_TIMEOUT_MS, NULL);
	dbus_message_unref(msg);
	if (!reply)
		return -1;
	if (dbus_message_iter_init(reply, &it) &&
	    dbus_message_iter_get_arg_type(&it) == DBUS_TYPE_ARRAY) {
		dbus_message_iter_recurse(&it, &dict);
		for (; dbus_message_iter_get_arg_type(&dict) == DBUS_TYPE_DICT_ENTRY;
		     dbus_message_iter_next(&dict)) {
			const char *key;
			dbus_uint32_t n;

			dbus_message_iter_recurse(&dict, &entry);
			dbus_message_iter_get_basic(&entry, &key);
			dbus_message_iter_next(&entry);
			dbus_message_iter_recurse(&entry, &var);
			if (strcmp(key, "MatchRules") == 0 &&
			    dbus_message_iter_get_arg_type(&var) == DBUS_TYPE_UINT32) {
				dbus_message_iter_get_basic(&var, &n);
				found = (int)n;
			}
		}
	}
	dbus_message_unref(reply);
	return found;
}

static void take_sample(Flap *f, Sample *s)
{
	s->rss_kib = s->pd_kib = -1;
	read_memory(f->agg_pid, &s->rss_kib, &s->pd_kib);
	s->fds = count_fds(f->agg_pid);
	s->rules = match_rules(f);
}

/* ---- values -------------------------------------------------------------- */

static void append_string(DBusMessageIter *it, const char *s)
{
	dbus_message_iter_append_basic(it, DBUS_TYPE_STRING, &s);
}

static void append_double_variant(DBusMessageIter *it, double d)
{
	Value v = value_double(d);

	dbus_value_append_variant(it, &v);
}

/* A variant no battery path should hold, or a number no battery has. */
static void append_garbage(Flap *f, DBusMessageIter *it)
{
	DBusMessageIter var, inner, entry;
	int kind = g_rand_int_range(f->rng, 0, 20);

	switch (kind) {
	case 0:
		append_double_variant(it, NAN);
		return;
	case 1:
		append_double_variant(it, INFINITY);
		return;
	case 2:
		append_double_variant(it, -INFINITY);
		return;
	case 3:
		append_double_variant(it, 1e308);
		return;
	case 4:
		append_double_variant(it, -1e308);
		return;
	case 5:
		append_double_variant(it, 5e-324);
		return;
	case 6: {
		dbus_int64_t x = INT64_MAX;

		dbus_message_iter_open_container(it, DBUS_TYPE_VARIANT, "x", &var);
		dbus_message_iter_append_basic(&var, DBUS_TYPE_INT64, &x);
		break;
	}
	case 7: {
		dbus_uint64_t x = UINT64_MAX;

		dbus_message_iter_open_container(it, DBUS_TYPE_VARIANT, "t", &var);
		dbus_message_iter_append_basic(&var, DBUS_TYPE_UINT64, &x);
		break;
	}
	case 8: {
		dbus_int32_t x = INT32_MIN;

		dbus_message_iter_open_container(it, DBUS_TYPE_VARIANT, "i", &var);
		dbus_message_iter_append_basic(&var, DBUS_TYPE_INT32, &x);
		break;
	}
	case 9:
		dbus_message_iter_open_container(it, DBUS_TYPE_VARIANT, "s", &var);
		append_string(&var, "zweiundfünfzig Volt ⚡");
		break;
	case 10: {
		dbus_bool_t b = TRUE;

		dbus_message_iter_open_container(it, DBUS_TYPE_VARIANT, "b", &var);
		dbus_message_iter_append_basic(&var, DBUS_TYPE_BOOLEAN, &b);
		break;
	}
	case 11: {
		unsigned char y = 255;

		dbus_message_iter_open_container(it, DBUS_TYPE_VARIANT, "y", &var);
		dbus_message_iter_append_basic(&var, DBUS_TYPE_BYTE, &y);
		break;
	}
	case 12: {
		dbus_int32_t x = 52;

		dbus_message_iter_open_container(it, DBUS_TYPE_VARIANT, "(is)", &var);
		dbus_message_iter_open_container(&var, DBUS_TYPE_STRUCT, NULL, &inner);
		dbus_message_iter_append_basic(&inner, DBUS_TYPE_INT32, &x);
		append_string(&inner, "struct");
		dbus_message_iter_close_container(&var, &inner);
		break;
	}
	case 13: {
		/* Variants in variants, deeper than a reader should follow. */
		DBusMessageIter levels[NESTED];
		double d = 52.0;

		dbus_message_iter_open_container(it, DBUS_TYPE_VARIANT, "v", &levels[0]);
		for (int i = 1; i < NESTED; i++)
			dbus_message_iter_open_container(&levels[i - 1], DBUS_TYPE_VARIANT,
			                                 i == NESTED - 1 ? "d" : "v", &levels[i]);
		dbus_message_iter_append_basic(&levels[NESTED - 1], DBUS_TYPE_DOUBLE, &d);
		for (int i = NESTED - 1; i > 0; i--)
			dbus_message_iter_close_container(&levels[i - 1], &levels[i]);
		dbus_message_iter_close_container(it, &levels[0]);
		return;
	}
	case 14: {
		double d[] = {1, 2, 3};
		const double *p = d;

		dbus_message_iter_open_container(it, DBUS_TYPE_VARIANT, "ad", &var);
		dbus_message_iter_open_container(&var, DBUS_TYPE_ARRAY, "d", &inner);
		dbus_message_iter_append_fixed_array(&inner, DBUS_TYPE_DOUBLE, &p, 3);
		dbus_message_iter_close_container(&var, &inner);
		break;
	}
	case 15:
		dbus_message_iter_open_container(it, DBUS_TYPE_VARIANT, "a{sv}", &var);
		dbus_message_iter_open_container(&var, DBUS_TYPE_ARRAY, "{sv}", &inner);
		dbus_message_iter_open_container(&inner, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
		append_string(&entry, "Value");
		append_double_variant(&entry, 52.0);
		dbus_message_iter_close_container(&inner, &entry);
		dbus_message_iter_close_container(&var, &inner);
		break;
	case 16: {
		const char *path = "/Dc/0/Voltage";

		dbus_message_iter_open_container(it, DBUS_TYPE_VARIANT, "o", &var);
		dbus_message_iter_append_basic(&var, DBUS_TYPE_OBJECT_PATH, &path);
		break;
	}
	case 17: {
		Value v = VALUE_INIT; /* Victron's invalid: an empty ai */

		dbus_value_append_variant(it, &v);
		return;
	}
	case 18:
		append_double_variant(it, -0.0);
		return;
	default:
		/* Text of up to 4 KiB (the 64 KiB one only ever as /CustomName, one
		 * per message: the soak measures batagg's memory, not the
		 * allocator's high-water mark after a message of megabytes). */
		dbus_message_iter_open_container(it, DBUS_TYPE_VARIANT, "s", &var);
		append_string(&var, f->long_names[g_rand_int_range(f->rng, 0, 4)]);
		break;
	}
	dbus_message_iter_close_container(it, &var);
}

/* The paths a flapping member publishes, with plausible values that move
 * the aggregate away from the steady members' (so a member the aggregate
 * kept after it went shows in the final check). */
typedef struct {
	const char *path;
	gboolean is_int;
	double number;
	const char *text;
} Plausible;

static const Plausible plausible[] = {
        {"/Dc/0/Voltage", FALSE, 48.0, NULL},
        {"/Dc/0/Current", FALSE, 100.0, NULL},
        {"/Dc/0/Power", FALSE, 4800.0, NULL},
        {"/Dc/0/Temperature", FALSE, 60.0, NULL},
        {"/Soc", FALSE, 10.0, NULL},
        {"/TimeToGo", FALSE, 600.0, NULL},
        {"/Capacity", FALSE, 5.0, NULL},
        {"/InstalledCapacity", FALSE, 50.0, NULL},
        {"/ConsumedAmphours", FALSE, 45.0, NULL},
        {"/Balancing", TRUE, 1, NULL},
        {"/Info/BatteryLowVoltage", FALSE, 44.0, NULL},
        {"/Info/MaxChargeCurrent", FALSE, 5.0, NULL},
        {"/Info/MaxDischargeCurrent", FALSE, 5.0, NULL},
        {"/Info/MaxChargeVoltage", FALSE, 50.0, NULL},
        {"/Info/ChargeMode", FALSE, 0, "Float"},
        {"/Io/AllowToCharge", TRUE, 0, NULL},
        {"/Io/AllowToDischarge", TRUE, 1, NULL},
        {"/Io/AllowToBalance", TRUE, 1, NULL},
        {"/System/MinCellVoltage", FALSE, 2.9, NULL},
        {"/System/MaxCellVoltage", FALSE, 3.6, NULL},
        {"/System/MinVoltageCellId", FALSE, 0, "F1"},
        {"/System/MaxVoltageCellId", FALSE, 0, "F2"},
        {"/System/MinCellTemperature", FALSE, -5, NULL},
        {"/System/MaxCellTemperature", FALSE, 70, NULL},
        {"/System/NrOfModulesOnline", TRUE, 7, NULL},
        {"/System/NrOfModulesBlockingCharge", TRUE, 1, NULL},
        {"/Alarms/HighVoltage", TRUE, 2, NULL},
        {"/Alarms/LowSoc", TRUE, 1, NULL},
        {"/Alarms/HighTemperature", TRUE, 2, NULL},
        {"/CustomName", FALSE, 0, "flapper"},
        {"/ProductName", FALSE, 0, "Soak flapper"},
};

static Value plausible_value(const Plausible *p)
{
	if (p->text)
		return value_text(p->text);
	return p->is_int ? value_int((int64_t)p->number) : value_double(p->number);
}

/* {"Value": v, "Text": s}, or (garbage) with Value or Text wrong or missing. */
static void append_props(Flap *f, DBusMessageIter *it, const Plausible *p, gboolean garbage)
{
	DBusMessageIter props, entry;
	int shape = garbage ? g_rand_int_range(f->rng, 0, 6) : 0;

	dbus_message_iter_open_container(it, DBUS_TYPE_ARRAY, "{sv}", &props);
	if (shape != 4) {
		dbus_message_iter_open_container(&props, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
		append_string(&entry, "Value");
		if (!garbage || shape == 5) {
			Value v = plausible_value(p);

			dbus_value_append_variant(&entry, &v);
			value_clear(&v);
		} else if (strcmp(p->path, "/CustomName") == 0 && shape < 3) {
			Value v = value_text(f->long_names[g_rand_int_range(f->rng, 0, 5)]);

			dbus_value_append_variant(&entry, &v);
			value_clear(&v);
		} else {
			append_garbage(f, &entry);
		}
		dbus_message_iter_close_container(&props, &entry);
	}
	if (shape != 3) {
		dbus_message_iter_open_container(&props, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
		append_string(&entry, "Text");
		if (shape == 2)
			append_garbage(f, &entry);
		else {
			Value t = value_text("text");

			dbus_value_append_variant(&entry, &t);
			value_clear(&t);
		}
		dbus_message_iter_close_container(&props, &entry);
	}
	if (shape == 5) {
		/* "Value" twice: the second is garbage. */
		dbus_message_iter_open_container(&props, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
		append_string(&entry, "Value");
		append_garbage(f, &entry);
		dbus_message_iter_close_container(&props, &entry);
	}
	dbus_message_iter_close_container(it, &props);
}

/* a{sa{sv}} of every plausible path (garbage: most values wrong, and some
 * paths no battery has). */
static void append_items(Flap *f, DBusMessageIter *it, gboolean garbage)
{
	DBusMessageIter outer, entry;

	dbus_message_iter_open_container(it, DBUS_TYPE_ARRAY, "{sa{sv}}", &outer);
	for (size_t i = 0; i < G_N_ELEMENTS(plausible); i++) {
		gboolean bad = garbage && g_rand_boolean(f->rng);

		dbus_message_iter_open_container(&outer, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
		append_string(&entry, plausible[i].path);
		append_props(f, &entry, &plausible[i], bad);
		dbus_message_iter_close_container(&outer, &entry);
	}
	for (int i = 0; garbage && i < 20; i++) {
		static const char *const odd[] = {
		        "",  "no/slash",        "//",        "/Dc/0/Voltage/", "/Dc",
		        "/", "/Dc/0/Voltage\t", "/Ünïcødé/🔋"};
		g_autofree char *random = g_strdup_printf("/Garbage/%u", g_rand_int(f->rng));
		const char *path = i < (int)G_N_ELEMENTS(odd) ? odd[i] : random;

		dbus_message_iter_open_container(&outer, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
		append_string(&entry, path);
		append_props(f, &entry, &plausible[i % G_N_ELEMENTS(plausible)], TRUE);
		dbus_message_iter_close_container(&outer, &entry);
	}
	dbus_message_iter_close_container(it, &outer);
}

/* ---- signals ------------------------------------------------------------- */

static void send_and_unref(Flapper *fl, DBusMessage *msg)
{
	dbus_connection_send(fl->conn, msg, NULL);
	dbus_message_unref(msg);
	fl->f->signals++;
}

/* One broken or odd signal, of a kind chosen at random. */
static void send_garbage_signal(Flapper *fl)
{
	Flap *f = fl->f;
	DBusMessage *sig;
	DBusMessageIter it, dict, entry;
	int kind = g_rand_int_range(f->rng, 0, 11);

	switch (kind) {
	case 0: /* ItemsChanged a{sv}: the wrong signature */
		sig = dbus_message_new_signal("/", BUSITEM, "ItemsChanged");
		dbus_message_iter_init_append(sig, &it);
		dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "{sv}", &dict);
		dbus_message_iter_open_container(&dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
		append_string(&entry, "/Dc/0/Voltage");
		append_double_variant(&entry, 1.0);
		dbus_message_iter_close_container(&dict, &entry);
		dbus_message_iter_close_container(&it, &dict);
		break;
	case 1: /* ItemsChanged s */
		sig = dbus_message_new_signal("/", BUSITEM, "ItemsChanged");
		dbus_message_iter_init_append(sig, &it);
		append_string(&it, "/Dc/0/Voltage");
		break;
	case 2: /* ItemsChanged without arguments */
		sig = dbus_message_new_signal("/", BUSITEM, "ItemsChanged");
		break;
	case 3: /* ItemsChanged of the right shape, garbage inside */
	case 4:
		sig = dbus_message_new_signal("/", BUSITEM, "ItemsChanged");
		dbus_message_iter_init_append(sig, &it);
		append_items(f, &it, TRUE);
		break;
	case 5: { /* PropertiesChanged on a random path */
		static const char *const paths[] = {"/Dc/0/Voltage", "/Info/MaxChargeCurrent",
		                                    "/CustomName",   "/",
		                                    "/Dc",           "/Random/p"};
		const char *path = paths[g_rand_int_range(f->rng, 0, G_N_ELEMENTS(paths))];
		g_autofree char *random = g_strdup_printf("/Random/p%u", g_rand_int(f->rng));

		sig = dbus_message_new_signal(strcmp(path, "/Random/p") == 0 ? random : path,
		                              BUSITEM, "PropertiesChanged");
		dbus_message_iter_init_append(sig, &it);
		append_props(f, &it, &plausible[g_rand_int_range(f->rng, 0, 5)], TRUE);
		break;
	}
	case 6: /* PropertiesChanged of the wrong signature */
		sig = dbus_message_new_signal("/Dc/0/Current", BUSITEM, "PropertiesChanged");
		dbus_message_iter_init_append(sig, &it);
		if (g_rand_boolean(f->rng)) {
			append_double_variant(&it, 1000.0);
		} else {
			dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "{ss}", &dict);
			dbus_message_iter_open_container(&dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
			append_string(&entry, "Value");
			append_string(&entry, "1000");
			dbus_message_iter_close_container(&dict, &entry);
			dbus_message_iter_close_container(&it, &dict);
		}
		break;
	case 7: /* many paths no battery has */
		sig = dbus_message_new_signal("/", BUSITEM, "ItemsChanged");
		dbus_message_iter_init_append(sig, &it);
		dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "{sa{sv}}", &dict);
		for (int i = 0; i < 300; i++) {
			g_autofree char *path =
			        g_strdup_printf("/Unknown/%d/%u", i, g_rand_int(f->rng));

			dbus_message_iter_open_container(&dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
			append_string(&entry, path);
			append_props(f, &entry, &plausible[i % G_N_ELEMENTS(plausible)], FALSE);
			dbus_message_iter_close_container(&dict, &entry);
		}
		dbus_message_iter_close_container(&it, &dict);
		break;
	case 8: { /* a long, non-ASCII /CustomName */
		Plausible name = {"/CustomName", FALSE, 0, f->long_names[4]};

		sig = dbus_message_new_signal("/", BUSITEM, "ItemsChanged");
		dbus_message_iter_init_append(sig, &it);
		dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "{sa{sv}}", &dict);
		dbus_message_iter_open_container(&dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
		append_string(&entry, "/CustomName");
		append_props(f, &entry, &name, FALSE);
		dbus_message_iter_close_container(&dict, &entry);
		dbus_message_iter_close_container(&it, &dict);
		break;
	}
	case 9: /* ItemsChanged sent from another object than "/" */
		sig = dbus_message_new_signal("/Dc/0", BUSITEM, "ItemsChanged");
		dbus_message_iter_init_append(sig, &it);
		append_items(f, &it, FALSE);
		break;
	default: /* the right interface, an unknown member */
		sig = dbus_message_new_signal("/", BUSITEM, "ValuesChanged");
		dbus_message_iter_init_append(sig, &it);
		append_items(f, &it, TRUE);
		break;
	}
	send_and_unref(fl, sig);
}

static void send_garbage_signals(Flapper *fl, int n)
{
	for (int i = 0; i < n; i++)
		send_garbage_signal(fl);
}

/* A plausible change: what a live BMS sends. */
static void send_change(Flapper *fl, const char *path, double x)
{
	DBusMessage *sig = dbus_message_new_signal("/", BUSITEM, "ItemsChanged");
	DBusMessageIter it, dict, entry;
	Plausible p = {path, FALSE, x, NULL};

	dbus_message_iter_init_append(sig, &it);
	dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "{sa{sv}}", &dict);
	dbus_message_iter_open_container(&dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
	append_string(&entry, path);
	append_props(fl->f, &entry, &p, FALSE);
	dbus_message_iter_close_container(&dict, &entry);
	dbus_message_iter_close_container(&it, &dict);
	send_and_unref(fl, sig);
}

/* ---- flapping members ---------------------------------------------------- */

/* The slot's owner goes: its connection closes (the queued one, if any, has
 * the name then). */
static void slot_vanish(Flap *f, Slot *s)
{
	Flapper *old = s->owner;

	if (!old)
		return;
	s->owner = NULL;
	f->leaves++;
	flapper_free(old);
	if (s->queued) {
		s->owner = s->queued;
		s->queued = NULL;
		f->joins++;
		f->from_queue++;
	}
}

static gboolean on_go(gpointer data)
{
	Flapper *fl = data;
	Flap *f = fl->f;

	fl->source = 0;
	if (f->slots[fl->slot].owner == fl)
		slot_vanish(f, &f->slots[fl->slot]);
	return G_SOURCE_REMOVE;
}

static gboolean on_zombie_end(gpointer data)
{
	Flapper *fl = data;

	fl->source = 0;
	g_ptr_array_remove(fl->f->zombies, fl); /* frees it */
	return G_SOURCE_REMOVE;
}

/* It gives up its name but keeps its connection and goes on talking: none
 * of that may reach the aggregate. */
static gboolean on_release(gpointer data)
{
	Flapper *fl = data;
	Flap *f = fl->f;
	Slot *s = &f->slots[fl->slot];
	DBusError err;

	fl->source = 0;
	if (s->owner != fl)
		return G_SOURCE_REMOVE;
	dbus_error_init(&err);
	dbus_bus_release_name(fl->conn, s->name, &err);
	dbus_error_free(&err);
	fl->released = TRUE;
	s->owner = NULL;
	f->leaves++;
	if (s->queued) {
		s->owner = s->queued;
		s->queued = NULL;
		f->joins++;
		f->from_queue++;
	}
	send_change(fl, "/Dc/0/Current", 5000.0);
	send_change(fl, "/Info/MaxChargeCurrent", 0.5);
	send_garbage_signals(fl, 2);
	g_ptr_array_add(f->zombies, fl);
	fl->source = g_timeout_add(300, on_zombie_end, fl);
	return G_SOURCE_REMOVE;
}

static void reply_error(DBusConnection *c, DBusMessage *msg, const char *name)
{
	DBusMessage *reply = dbus_message_new_error(msg, name, "soak: refused");

	dbus_connection_send(c, reply, NULL);
	dbus_message_unref(reply);
}

/* GetValue on "/": a{sv} keyed without the leading slash, in a variant. */
static DBusMessage *root_value(Flap *f, DBusMessage *msg, gboolean garbage)
{
	DBusMessage *reply = dbus_message_new_method_return(msg);
	DBusMessageIter it, var, dict, entry;

	dbus_message_iter_init_append(reply, &it);
	dbus_message_iter_open_container(&it, DBUS_TYPE_VARIANT, "a{sv}", &var);
	dbus_message_iter_open_container(&var, DBUS_TYPE_ARRAY, "{sv}", &dict);
	for (size_t i = 0; i < G_N_ELEMENTS(plausible); i++) {
		dbus_message_iter_open_container(&dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
		append_string(&entry, plausible[i].path + 1);
		if (garbage && g_rand_boolean(f->rng)) {
			append_garbage(f, &entry);
		} else {
			Value v = plausible_value(&plausible[i]);

			dbus_value_append_variant(&entry, &v);
			value_clear(&v);
		}
		dbus_message_iter_close_container(&dict, &entry);
	}
	dbus_message_iter_close_container(&var, &dict);
	dbus_message_iter_close_container(&it, &var);
	return reply;
}

/* A GetItems reply that is not a{sa{sv}}. */
static DBusMessage *bad_items(Flap *f, DBusMessage *msg)
{
	DBusMessage *reply = dbus_message_new_method_return(msg);
	DBusMessageIter it, dict, entry;

	dbus_message_iter_init_append(reply, &it);
	switch (g_rand_int_range(f->rng, 0, 3)) {
	case 0:
		dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "{sv}", &dict);
		dbus_message_iter_open_container(&dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
		append_string(&entry, "/Dc/0/Voltage");
		append_double_variant(&entry, 48.0);
		dbus_message_iter_close_container(&dict, &entry);
		dbus_message_iter_close_container(&it, &dict);
		break;
	case 1:
		append_string(&it, "items");
		break;
	default:
		break; /* no arguments at all */
	}
	return reply;
}

static DBusHandlerResult on_call(DBusConnection *c, DBusMessage *msg, void *data)
{
	Flapper *fl = data;
	Flap *f = fl->f;
	const char *member = dbus_message_get_member(msg);
	const char *path = dbus_message_get_path(msg);
	gboolean root = path && strcmp(path, "/") == 0;
	gboolean get_items = member && strcmp(member, "GetItems") == 0;
	gboolean get_value = member && strcmp(member, "GetValue") == 0;
	DBusMessage *reply = NULL;
	DBusMessageIter it;

	if (dbus_message_get_type(msg) != DBUS_MESSAGE_TYPE_METHOD_CALL)
		return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
	if (fl->source && !fl->released)
		return DBUS_HANDLER_RESULT_HANDLED; /* going: no more answers */
	switch (fl->kind) {
	case K_ERROR:
		reply_error(c, msg, DBUS_ERROR_FAILED);
		return DBUS_HANDLER_RESULT_HANDLED;
	case K_DROP:
		if (get_items) {
			fl->source = g_idle_add(on_go, fl);
			return DBUS_HANDLER_RESULT_HANDLED;
		}
		break;
	case K_OLD:
		if (get_items) {
			reply_error(c, msg, DBUS_ERROR_UNKNOWN_METHOD);
			return DBUS_HANDLER_RESULT_HANDLED;
		}
		if (root && get_value)
			reply = root_value(f, msg, g_rand_boolean(f->rng));
		break;
	case K_BADREPLY:
		if (get_items)
			reply = bad_items(f, msg);
		else if (root && get_value)
			reply = root_value(f, msg, TRUE);
		break;
	default:
		break;
	}
	if (!reply && get_items && root) {
		reply = dbus_message_new_method_return(msg);
		dbus_message_iter_init_append(reply, &it);
		append_items(f, &it, fl->kind == K_GARBAGE);
	}
	if (!reply && get_value) {
		for (size_t i = 0; path && i < G_N_ELEMENTS(plausible); i++) {
			if (strcmp(plausible[i].path, path) == 0) {
				Value v = plausible_value(&plausible[i]);

				reply = dbus_message_new_method_return(msg);
				dbus_message_iter_init_append(reply, &it);
				dbus_value_append_variant(&it, &v);
				value_clear(&v);
			}
		}
	}
	if (!reply) {
		reply_error(c, msg, DBUS_ERROR_UNKNOWN_OBJECT);
		return DBUS_HANDLER_RESULT_HANDLED;
	}
	dbus_connection_send(c, reply, NULL);
	dbus_message_unref(reply);
	if (!get_items)
		return DBUS_HANDLER_RESULT_HANDLED;
	switch (fl->kind) {
	case K_GARBAGE:
		send_garbage_signals(fl, g_rand_int_range(f->rng, 3, 9));
		break;
	case K_CLEAN:
	case K_EARLY:
		send_change(fl, "/Dc/0/Current", 101.0);
		break;
	case K_ANSWER_GO:
		dbus_connection_flush(c);
		fl->source = g_idle_add(on_go, fl);
		break;
	case K_RELEASE:
		fl->source = g_timeout_add(20, on_release, fl);
		break;
	default:
		break;
	}
	return DBUS_HANDLER_RESULT_HANDLED;
}

static void flapper_free(Flapper *fl)
{
	if (!fl)
		return;
	if (fl->source)
		g_source_remove(fl->source);
	if (fl->kind != K_MUTE)
		dbus_connection_remove_filter(fl->conn, on_call, fl);
	dbus_glib_close(fl->conn);
	g_free(fl);
}

static void zombie_free(gpointer data)
{
	flapper_free(data);
}

/* A new connection asking for the slot's name with flags; NULL when the
 * bus cannot be reached.  *code is RequestName's answer (or -1). */
static Flapper *flapper_new(Flap *f, int slot, Kind kind, unsigned flags, int *code)
{
	g_autoptr(GError) error = NULL;
	DBusConnection *c = dbus_glib_open(&error);
	DBusError err;
	Flapper *fl;

	if (!c) {
		fprintf(stderr, "flap: %s\n", error->message);
		f->errors++;
		return NULL;
	}
	fl = g_new0(Flapper, 1);
	fl->f = f;
	fl->slot = slot;
	fl->kind = kind;
	fl->conn = c;
	if (kind == K_MUTE)
		dbus_glib_detach(c); /* reads nothing, answers nothing */
	else
		dbus_connection_add_filter(c, on_call, fl, NULL);
	dbus_error_init(&err);
	*code = dbus_bus_request_name(c, f->slots[slot].name, flags, &err);
	if (dbus_error_is_set(&err)) {
		fprintf(stderr, "flap: RequestName %s: %s\n", f->slots[slot].name, err.message);
		dbus_error_free(&err);
		f->errors++;
		*code = -1;
	}
	return fl;
}

static Kind pick_kind(Flap *f)
{
	int total = 0, r;

	for (int k = 0; k < N_KINDS; k++)
		total += f->weights[k];
	r = g_rand_int_range(f->rng, 0, total);
	for (int k = 0; k < N_KINDS; k++) {
		if (r < f->weights[k])
			return (Kind)k;
		r -= f->weights[k];
	}
	return K_CLEAN;
}

#define OWNER_FLAGS (DBUS_NAME_FLAG_ALLOW_REPLACEMENT | DBUS_NAME_FLAG_DO_NOT_QUEUE)

static void slot_join(Flap *f, Slot *s, int slot)
{
	Kind kind = pick_kind(f);
	int code;
	Flapper *fl = flapper_new(f, slot, kind, OWNER_FLAGS, &code);

	if (!fl)
		return;
	if (code != DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER) {
		f->refused++;
		flapper_free(fl);
		return;
	}
	s->owner = fl;
	f->joins++;
	f->kinds[kind]++;
	if (kind == K_EARLY)
		send_garbage_signals(fl, 3);
	/* Now and then a second connection waits in the bus's queue for the
	 * name: it becomes the owner when this one goes. */
	if (!f->plain && !s->queued && g_rand_int_range(f->rng, 0, 10) == 0) {
		Kind k2 = pick_kind(f);
		Flapper *w = flapper_new(f, slot, k2, DBUS_NAME_FLAG_ALLOW_REPLACEMENT, &code);

		if (w && code == DBUS_REQUEST_NAME_REPLY_IN_QUEUE) {
			s->queued = w;
			f->kinds[k2]++;
		} else {
			flapper_free(w);
		}
	}
}

/* A new connection takes the name over from the present owner. */
static void slot_handover(Flap *f, Slot *s, int slot)
{
	Kind kind = pick_kind(f);
	int code;
	Flapper *fl =
	        flapper_new(f, slot, kind, OWNER_FLAGS | DBUS_NAME_FLAG_REPLACE_EXISTING, &code);

	if (!fl)
		return;
	if (code != DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER) {
		f->refused++;
		flapper_free(fl);
		slot_vanish(f, s);
		return;
	}
	flapper_free(s->owner);
	s->owner = fl;
	f->leaves++;
	f->joins++;
	f->handovers++;
	f->kinds[kind]++;
}

/* Someone tries to take the aggregate's or a steady member's name: it
 * must not get it. */
static void squat(Flap *f)
{
	g_autoptr(GError) error = NULL;
	DBusConnection *c = dbus_glib_open(&error);
	const char *name = AGG;
	g_autofree char *steady = NULL;
	DBusError err;
	int code;

	if (!c) {
		f->errors++;
		return;
	}
	if (g_rand_boolean(f->rng)) {
		steady = g_strconcat(PREFIX, steady_spec[0].suffix, NULL);
		name = steady;
	}
	dbus_error_init(&err);
	code = dbus_bus_request_name(
	        c, name, DBUS_NAME_FLAG_REPLACE_EXISTING | DBUS_NAME_FLAG_DO_NOT_QUEUE, &err);
	dbus_error_free(&err);
	f->squats++;
	if (code == DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER) {
		fprintf(stderr, "flap: a squatter took %s\n", name);
		f->squat_won++;
	}
	dbus_glib_close(c);
}

static gboolean on_tick(gpointer data)
{
	Flap *f = data;
	int slot = g_rand_int_range(f->rng, 0, f->n_slots);
	Slot *s = &f->slots[slot];

	f->ticks++;
	if (!f->plain && g_rand_int_range(f->rng, 0, 100) == 0)
		squat(f);
	if (!s->owner)
		slot_join(f, s, slot);
	else if (!f->plain && g_rand_int_range(f->rng, 0, 8) == 0)
		slot_handover(f, s, slot);
	else
		slot_vanish(f, s);
	return G_SOURCE_CONTINUE;
}

static void stop_flapping(Flap *f)
{
	if (f->tick)
		g_source_remove(f->tick);
	f->tick = 0;
	for (int i = 0; i < f->n_slots; i++) {
		Slot *s = &f->slots[i];

		flapper_free(s->queued);
		s->queued = NULL;
		if (s->owner) {
			flapper_free(s->owner);
			s->owner = NULL;
			f->leaves++;
		}
	}
	g_ptr_array_set_size(f->zombies, 0);
}

/* ---- the aggregate ------------------------------------------------------- */

static gboolean get_value(Flap *f, const char *path, Value *out)
{
	DBusMessage *msg = dbus_message_new_method_call(AGG, path, BUSITEM, "GetValue");
	DBusMessage *reply;
	DBusMessageIter it;
	gboolean ok;

	reply = dbus_connection_send_with_reply_and_block(f->probe, msg, CALL_TIMEOUT_MS, NULL);
	dbus_message_unref(msg);
	value_clear(out);
	ok = reply && dbus_message_iter_init(reply, &it);
	if (ok)
		dbus_value_read(&it, out);
	if (reply)
		dbus_message_unref(reply);
	return ok;
}

static int expected_values(Flap *f, Expect *e)
{
	const Steady *s = steady_spec;
	double sum_i = 0, sum_v = 0, sum_soc = 0, sum_p = 0, sum_inst = 0, sum_cap = 0;
	double sum_used = 0, max_t = -INFINITY, min_ccl = INFINITY, min_dcl = INFINITY;
	double min_cvl = INFINITY, min_cell = INFINITY, max_cell = -INFINITY;
	int n = f->n_steady, modules = 0, min_at = 0, max_at = 0, k = 0;
	static char min_label[64], max_label[64];

	for (int i = 0; i < n; i++) {
		sum_i += s[i].current;
		sum_v += s[i].voltage;
		sum_soc += s[i].soc;
		sum_p += s[i].voltage * s[i].current;
		sum_inst += s[i].installed;
		sum_cap += s[i].capacity;
		sum_used += s[i].consumed;
		max_t = fmax(max_t, s[i].temperature);
		min_ccl = fmin(min_ccl, s[i].ccl);
		min_dcl = fmin(min_dcl, s[i].dcl);
		min_cvl = fmin(min_cvl, s[i].cvl);
		modules += s[i].modules;
		if (s[i].min_cell < min_cell) {
			min_cell = s[i].min_cell;
			min_at = i;
		}
		if (s[i].max_cell > max_cell) {
			max_cell = s[i].max_cell;
			max_at = i;
		}
	}
	snprintf(min_label, sizeof(min_label), "%s %s", s[min_at].suffix, s[min_at].min_cell_id);
	snprintf(max_label, sizeof(max_label), "%s %s", s[max_at].suffix, s[max_at].max_cell_id);
	/* clang-format off */
	e[k++] = (Expect){"/System/NrOfBatteries", TRUE, n, NULL};
	e[k++] = (Expect){"/Dc/0/Current", FALSE, sum_i, NULL};
	e[k++] = (Expect){"/Dc/0/Voltage", FALSE, sum_v / n, NULL};
	e[k++] = (Expect){"/Soc", FALSE, sum_soc / n, NULL};
	/* "count": each of the n connected members takes 1/n of the bank current. */
	e[k++] = (Expect){"/Info/MaxChargeCurrent", FALSE, min_ccl * n, NULL};
	e[k++] = (Expect){"/Info/MaxDischargeCurrent", FALSE, min_dcl * n, NULL};
	/* max_when_balancing, and no member balances: the lowest CVL. */
	e[k++] = (Expect){"/Info/MaxChargeVoltage", FALSE, min_cvl, NULL};
	e[k++] = (Expect){"/Dc/0/Power", FALSE, sum_p, NULL};
	e[k++] = (Expect){"/InstalledCapacity", FALSE, sum_inst, NULL};
	e[k++] = (Expect){"/Capacity", FALSE, sum_cap, NULL};
	e[k++] = (Expect){"/ConsumedAmphours", FALSE, sum_used, NULL};
	e[k++] = (Expect){"/Dc/0/Temperature", FALSE, max_t, NULL};
	e[k++] = (Expect){"/System/MinCellVoltage", FALSE, min_cell, NULL};
	e[k++] = (Expect){"/System/MaxCellVoltage", FALSE, max_cell, NULL};
	e[k++] = (Expect){"/System/MinVoltageCellId", FALSE, 0, min_label};
	e[k++] = (Expect){"/System/MaxVoltageCellId", FALSE, 0, max_label};
	e[k++] = (Expect){"/System/NrOfModulesOnline", TRUE, modules, NULL};
	e[k++] = (Expect){"/System/NrOfModulesBlockingCharge", TRUE, 0, NULL};
	e[k++] = (Expect){"/Io/AllowToCharge", TRUE, 1, NULL};
	e[k++] = (Expect){"/Io/AllowToDischarge", TRUE, 1, NULL};
	e[k++] = (Expect){"/Balancing", TRUE, 0, NULL};
	e[k++] = (Expect){"/Info/ChargeMode", FALSE, 0, "Bulk"};
	e[k++] = (Expect){"/Alarms/HighVoltage", TRUE, 0, NULL};
	e[k++] = (Expect){"/Alarms/LowSoc", TRUE, 0, NULL};
	e[k++] = (Expect){"/Alarms/HighTemperature", TRUE, 0, NULL};
	/* clang-format on */
	return k;
}

/* /System/Batteries: a JSON array of exactly the steady members' names (in
 * the order they joined, which the bus decides: compared as a set). */
static gboolean batteries_match(Flap *f, const Value *v)
{
	char err[128];
	yajl_val json = v->type == VALUE_TEXT ? yajl_tree_parse(v->u.s, err, sizeof(err)) : NULL;
	gboolean ok = json && YAJL_IS_ARRAY(json) && (int)json->u.array.len == f->n_steady;

	for (int i = 0; ok && i < f->n_steady; i++) {
		g_autofree char *name = g_strconcat(PREFIX, steady_spec[i].suffix, NULL);
		gboolean found = FALSE;

		for (size_t k = 0; k < json->u.array.len; k++) {
			const char *got = YAJL_GET_STRING(json->u.array.values[k]);

			found = found || (got && strcmp(got, name) == 0);
		}
		ok = found;
	}
	yajl_tree_free(json);
	return ok;
}

/* How many of the aggregate's paths differ from the steady members' values
 * (printed to stderr when report). */
static int check_aggregate(Flap *f, gboolean report)
{
	Expect e[32];
	int n = expected_values(f, e), bad = 0;
	Value v = VALUE_INIT;

	for (int i = 0; i < n; i++) {
		gboolean ok = get_value(f, e[i].path, &v);
		double x;

		if (ok && e[i].text)
			ok = v.type == VALUE_TEXT && strcmp(v.u.s, e[i].text) == 0;
		else if (ok)
			ok = (v.type == VALUE_INT || !e[i].is_int) && value_number(&v, &x) &&
			     fabs(x - e[i].number) <= 1e-6 * fmax(1, fabs(e[i].number));
		if (!ok) {
			bad++;
			if (report) {
				g_autofree char *got = value_format(&v, UNIT_NONE);

				if (e[i].text)
					fprintf(stderr, "flap: %s is \"%s\", expected \"%s\"\n",
					        e[i].path, got, e[i].text);
				else
					fprintf(stderr, "flap: %s is %s, expected %g\n", e[i].path,
					        got, e[i].number);
			}
		}
	}
	if (!get_value(f, "/System/Batteries", &v) || !batteries_match(f, &v)) {
		bad++;
		if (report) {
			g_autofree char *got = value_format(&v, UNIT_NONE);

			fprintf(stderr,
			        "flap: /System/Batteries is %s, expected the %d steady ones\n", got,
			        f->n_steady);
		}
	}
	value_clear(&v);
	return bad;
}

static char *owner_of(Flap *f, const char *name)
{
	DBusMessage *msg = dbus_message_new_method_call(DBUS_SERVICE_DBUS, DBUS_PATH_DBUS,
	                                                DBUS_INTERFACE_DBUS, "GetNameOwner");
	DBusMessage *reply;
	const char *owner = NULL;
	char *copy = NULL;

	dbus_message_append_args(msg, DBUS_TYPE_STRING, &name, DBUS_TYPE_INVALID);
	reply = dbus_connection_send_with_reply_and_block(f->probe, msg, CALL_TIMEOUT_MS, NULL);
	dbus_message_unref(msg);
	if (reply &&
	    dbus_message_get_args(reply, NULL, DBUS_TYPE_STRING, &owner, DBUS_TYPE_INVALID))
		copy = g_strdup(owner);
	if (reply)
		dbus_message_unref(reply);
	return copy;
}

/* ---- pings: the daemon must answer throughout, never with NaN or Inf ----- */

static void count_nonfinite(Flap *f, DBusMessage *reply)
{
	DBusMessageIter it, outer, entry, props, prop;

	if (!dbus_message_has_signature(reply, "a{sa{sv}}"))
		return;
	dbus_message_iter_init(reply, &it);
	dbus_message_iter_recurse(&it, &outer);
	for (; dbus_message_iter_get_arg_type(&outer) == DBUS_TYPE_DICT_ENTRY;
	     dbus_message_iter_next(&outer)) {
		const char *path, *key;

		dbus_message_iter_recurse(&outer, &entry);
		dbus_message_iter_get_basic(&entry, &path);
		dbus_message_iter_next(&entry);
		dbus_message_iter_recurse(&entry, &props);
		for (; dbus_message_iter_get_arg_type(&props) == DBUS_TYPE_DICT_ENTRY;
		     dbus_message_iter_next(&props)) {
			Value v = VALUE_INIT;

			dbus_message_iter_recurse(&props, &prop);
			dbus_message_iter_get_basic(&prop, &key);
			if (strcmp(key, "Value") != 0)
				continue;
			dbus_message_iter_next(&prop);
			dbus_value_read(&prop, &v);
			if (v.type == VALUE_DOUBLE && !isfinite(v.u.d)) {
				if (f->nonfinite++ < 5)
					fprintf(stderr, "flap: the aggregate published %s = %g\n",
					        path, v.u.d);
			}
			value_clear(&v);
		}
	}
}

static void on_ping_reply(DBusPendingCall *pending, void *data)
{
	Flap *f = data;
	DBusMessage *reply = dbus_pending_call_steal_reply(pending);
	double ms = (double)(g_get_monotonic_time() - f->ping_sent) / 1000.0;

	f->ping_call = NULL;
	f->pings++;
	f->ping_max_ms = fmax(f->ping_max_ms, ms);
	if (!reply || dbus_message_get_type(reply) != DBUS_MESSAGE_TYPE_METHOD_RETURN) {
		if (f->ping_fail++ < 5)
			fprintf(stderr, "flap: the aggregate did not answer GetItems: %s\n",
			        reply ? dbus_message_get_error_name(reply) : "no reply");
	} else {
		count_nonfinite(f, reply);
	}
	if (reply)
		dbus_message_unref(reply);
	dbus_pending_call_unref(pending);
}

static gboolean on_ping(gpointer data)
{
	Flap *f = data;
	DBusMessage *msg;
	DBusPendingCall *pending = NULL;

	if (f->ping_call)
		return G_SOURCE_CONTINUE; /* the last one is still out: it counts when it ends */
	msg = dbus_message_new_method_call(AGG, "/", BUSITEM, "GetItems");
	if (dbus_connection_send_with_reply(f->probe, msg, &pending, CALL_TIMEOUT_MS) && pending) {
		f->ping_call = pending;
		f->ping_sent = g_get_monotonic_time();
		dbus_pending_call_set_notify(pending, on_ping_reply, f, NULL);
	}
	dbus_message_unref(msg);
	return G_SOURCE_CONTINUE;
}

/* ---- the run ------------------------------------------------------------- */

/* The private dirty memory every 5 % of the run: a leak shows as a slope. */
static gboolean on_trend(gpointer data)
{
	Flap *f = data;
	long rss = 0, pd = 0;

	if (f->n_trend < MAX_SAMPLES && read_memory(f->agg_pid, &rss, &pd))
		f->trend[f->n_trend++] = pd;
	return G_SOURCE_CONTINUE;
}

/* The start figures are taken at a quiet moment, as the final ones are:
 * every flapping member gone and the daemon back to the steady members, so
 * that both count the same live data and differ only by what the members
 * in between left behind. */
static gboolean on_quiet(gpointer data)
{
	Flap *f = data;
	Value v = VALUE_INIT;
	double n = 0;
	gint64 waited = (g_get_monotonic_time() - f->paused_at) / 1000;

	if (f->ending) {
		f->quiet_timer = 0;
		return G_SOURCE_REMOVE;
	}
	if (waited < 10000 && !(get_value(f, "/System/NrOfBatteries", &v) && value_number(&v, &n) &&
	                        (int)n == f->n_steady))
		return G_SOURCE_CONTINUE;
	value_clear(&v);
	if (waited < 500)
		return G_SOURCE_CONTINUE; /* and let what they sent drain */
	f->quiet_timer = 0;
	take_sample(f, &f->start);
	f->have_start = TRUE;
	f->tick = g_timeout_add(f->period_ms, on_tick, f);
	return G_SOURCE_REMOVE;
}

static gboolean on_warm(gpointer data)
{
	Flap *f = data;

	stop_flapping(f);
	f->paused_at = g_get_monotonic_time();
	f->quiet_timer = g_timeout_add(100, on_quiet, f);
	return G_SOURCE_REMOVE;
}

static gboolean on_final_check(gpointer data)
{
	Flap *f = data;
	gint64 waited = (g_get_monotonic_time() - f->stop_at) / 1000;
	int bad = check_aggregate(f, FALSE);

	if (bad && waited < (gint64)f->settle_max_s * 1000)
		return G_SOURCE_CONTINUE;
	if (bad)
		f->agg_bad = check_aggregate(f, TRUE);
	f->agg_ok = f->agg_bad == 0;
	f->settle_ms = waited;
	take_sample(f, &f->final);
	g_source_remove(f->ping_timer);
	f->ping_timer = 0;
	g_main_loop_quit(f->loop);
	return G_SOURCE_REMOVE;
}

static gboolean on_first_check(gpointer data)
{
	if (on_final_check(data) == G_SOURCE_CONTINUE)
		g_timeout_add(250, on_final_check, data);
	return G_SOURCE_REMOVE;
}

static gboolean on_end(gpointer data)
{
	Flap *f = data;

	f->ending = TRUE;
	if (f->quiet_timer)
		g_source_remove(f->quiet_timer);
	f->quiet_timer = 0;
	take_sample(f, &f->end);
	if (!f->have_start) {
		f->start = f->end;
		f->have_start = TRUE;
	}
	stop_flapping(f);
	g_source_remove(f->trend_timer);
	f->trend_timer = 0;
	on_trend(f);
	f->stop_at = g_get_monotonic_time();
	g_timeout_add_seconds(f->settle_s, on_first_check, f);
	return G_SOURCE_REMOVE;
}

static void start_flapping(Flap *f)
{
	take_sample(f, &f->base);
	f->tick = g_timeout_add(f->period_ms, on_tick, f);
	f->ping_timer = g_timeout_add(1000, on_ping, f);
	f->trend_timer = g_timeout_add_seconds(MAX(1, f->seconds / 20), on_trend, f);
	g_timeout_add_seconds(f->warmup_s, on_warm, f);
	g_timeout_add_seconds(f->seconds, on_end, f);
}

static gboolean on_baseline(gpointer data)
{
	Flap *f = data;
	static int tries;

	if (check_aggregate(f, FALSE) == 0) {
		f->baseline_ok = TRUE;
		start_flapping(f);
		return G_SOURCE_REMOVE;
	}
	if (++tries < 240)
		return G_SOURCE_CONTINUE;
	fprintf(stderr, "flap: the aggregate of the steady members alone is wrong:\n");
	check_aggregate(f, TRUE);
	f->failure = "baseline";
	g_main_loop_quit(f->loop);
	return G_SOURCE_REMOVE;
}

static gboolean wait_for_aggregate(gpointer data)
{
	Flap *f = data;
	static int tries;

	if (!dbus_bus_name_has_owner(f->probe, AGG, NULL)) {
		if (++tries < 1800) /* 180 s: startupBatteryWait, and slow builds */
			return G_SOURCE_CONTINUE;
		f->failure = "no-aggregate";
		g_main_loop_quit(f->loop);
		return G_SOURCE_REMOVE;
	}
	f->agg_owner = owner_of(f, AGG);
	g_timeout_add(250, on_baseline, f);
	return G_SOURCE_REMOVE;
}

static void add(BusService *svc, const char *path, Value v)
{
	bus_service_add(svc, path, &v, UNIT_NONE, NULL, NULL);
	value_clear(&v);
}

static gboolean start_steady(Flap *f, GError **error)
{
	for (int i = 0; i < f->n_steady; i++) {
		const Steady *s = &steady_spec[i];
		g_autofree char *name = g_strconcat(PREFIX, s->suffix, NULL);
		BusService *svc;

		f->steady_conns[i] = dbus_glib_open(error);
		if (!f->steady_conns[i])
			return FALSE;
		svc = f->steady[i] = bus_service_new(f->steady_conns[i], name);
		bus_service_use_properties_changed(svc, TRUE);
		add(svc, "/Dc/0/Voltage", value_double(s->voltage));
		add(svc, "/Dc/0/Current", value_double(s->current));
		add(svc, "/Dc/0/Power", value_double(s->voltage * s->current));
		add(svc, "/Dc/0/Temperature", value_double(s->temperature));
		add(svc, "/Soc", value_double(s->soc));
		add(svc, "/InstalledCapacity", value_double(s->installed));
		add(svc, "/Capacity", value_double(s->capacity));
		add(svc, "/ConsumedAmphours", value_double(s->consumed));
		add(svc, "/Info/MaxChargeCurrent", value_double(s->ccl));
		add(svc, "/Info/MaxDischargeCurrent", value_double(s->dcl));
		add(svc, "/Info/MaxChargeVoltage", value_double(s->cvl));
		add(svc, "/Info/ChargeMode", value_text("Bulk"));
		add(svc, "/Io/AllowToCharge", value_int(1));
		add(svc, "/Io/AllowToDischarge", value_int(1));
		add(svc, "/Balancing", value_int(0));
		add(svc, "/System/MinCellVoltage", value_double(s->min_cell));
		add(svc, "/System/MaxCellVoltage", value_double(s->max_cell));
		add(svc, "/System/MinVoltageCellId", value_text(s->min_cell_id));
		add(svc, "/System/MaxVoltageCellId", value_text(s->max_cell_id));
		add(svc, "/System/NrOfModulesOnline", value_int(s->modules));
		add(svc, "/System/NrOfModulesBlockingCharge", value_int(0));
		add(svc, "/Alarms/HighVoltage", value_int(0));
		add(svc, "/Alarms/LowSoc", value_int(0));
		add(svc, "/Alarms/HighTemperature", value_int(0));
		add(svc, "/ProductName", value_text("Soak steady battery"));
		if (!bus_service_register(svc, error))
			return FALSE;
	}
	return TRUE;
}

/* Long /CustomName values: empty, one non-ASCII letter, 255 bytes, 4 KiB and
 * 64 KiB of mixed scripts and emoji (all valid UTF-8: D-Bus carries no other). */
static void make_long_names(Flap *f)
{
	static const char unit[] = "Größe Batterie 🔋 日本語 ñ \t Ω ";
	static const size_t sizes[] = {0, 1, 255, 4096, 65536};

	for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
		GString *s = g_string_new(i == 1 ? "Ä" : "");

		while (i > 1 && s->len + sizeof(unit) - 1 <= sizes[i])
			g_string_append(s, unit);
		f->long_names[i] = g_string_free(s, FALSE);
	}
}

static void print_result(Flap *f)
{
	GString *kinds = g_string_new(NULL), *trend = g_string_new(NULL);

	for (int k = 0; k < N_KINDS; k++)
		g_string_append_printf(kinds, "%s%s:%ld", k ? "," : "", kind_names[k], f->kinds[k]);
	for (int i = 0; i < f->n_trend; i++)
		g_string_append_printf(trend, "%s%ld", i ? "," : "", f->trend[i]);
	printf("soak seconds=%d steady=%d slots=%d period_ms=%d ticks=%ld joins=%ld leaves=%ld "
	       "handovers=%ld from_queue=%ld refused=%ld squats=%ld squat_won=%ld signals=%ld "
	       "errors=%ld kinds=%s "
	       "rss_base_kib=%ld rss_start_kib=%ld rss_end_kib=%ld rss_final_kib=%ld "
	       "pd_base_kib=%ld pd_start_kib=%ld pd_end_kib=%ld pd_final_kib=%ld "
	       "fds_base=%d fds_start=%d fds_end=%d fds_final=%d "
	       "rules_base=%d rules_start=%d rules_end=%d rules_final=%d "
	       "pings=%ld ping_fail=%ld ping_max_ms=%.1f nonfinite=%ld "
	       "baseline_ok=%d agg_ok=%d agg_bad=%d settle_ms=%ld owner_same=%d alive=%d "
	       "failure=%s pd_trend_kib=%s\n",
	       f->seconds, f->n_steady, f->n_slots, f->period_ms, f->ticks, f->joins, f->leaves,
	       f->handovers, f->from_queue, f->refused, f->squats, f->squat_won, f->signals,
	       f->errors, kinds->str, f->base.rss_kib, f->start.rss_kib, f->end.rss_kib,
	       f->final.rss_kib, f->base.pd_kib, f->start.pd_kib, f->end.pd_kib, f->final.pd_kib,
	       f->base.fds, f->start.fds, f->end.fds, f->final.fds, f->base.rules, f->start.rules,
	       f->end.rules, f->final.rules, f->pings, f->ping_fail, f->ping_max_ms, f->nonfinite,
	       f->baseline_ok, f->agg_ok, f->agg_bad, f->settle_ms, f->owner_same, f->alive,
	       f->failure ? f->failure : "none", trend->len ? trend->str : "none");
	fflush(stdout);
	g_string_free(kinds, TRUE);
	g_string_free(trend, TRUE);
}

int main(int argc, char **argv)
{
	Flap f = {0};
	g_autoptr(GError) error = NULL;
	int seed = 1, warmup = -1;
	g_autofree char *kinds = NULL;
	const GOptionEntry entries[] = {
	        {"steady", 0, 0, G_OPTION_ARG_INT, &f.n_steady, "Steady members (1-3, default 3)",
	         "N"},
	        {"slots", 0, 0, G_OPTION_ARG_INT, &f.n_slots,
	         "Names that flapping members take (default 6)", "N"},
	        {"period-ms", 0, 0, G_OPTION_ARG_INT, &f.period_ms,
	         "One member appears or vanishes every MS (default 50)", "MS"},
	        {"warmup", 0, 0, G_OPTION_ARG_INT, &warmup,
	         "Seconds of flapping before the start figures (default 10 % of the run, "
	         "at least 2)",
	         "S"},
	        {"settle", 0, 0, G_OPTION_ARG_INT, &f.settle_s,
	         "Seconds between the end of flapping and the check (default 2)", "S"},
	        {"settle-max", 0, 0, G_OPTION_ARG_INT, &f.settle_max_s,
	         "Seconds the aggregate may take to come right after that (default 20)", "S"},
	        {"seed", 0, 0, G_OPTION_ARG_INT, &seed, "Random seed (default 1)", "N"},
	        {"kinds", 0, 0, G_OPTION_ARG_STRING, &kinds,
	         "Only these kinds of flapping member (comma-separated: clean, garbage, early, "
	         "mute, drop, answer_go, old, error, badreply, release)",
	         "LIST"},
	        {"plain", 0, 0, G_OPTION_ARG_NONE, &f.plain,
	         "No takeovers, no owners waiting in the queue, no squatters", NULL},
	        {NULL},
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("SECONDS AGG_PID");
	int rc;

	f.n_steady = MAX_STEADY;
	f.n_slots = 6;
	f.period_ms = 50;
	f.settle_s = 2;
	f.settle_max_s = 20;
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc != 3) {
		fprintf(stderr, "usage: flap [OPTIONS] SECONDS AGG_PID%s%s\n", error ? ": " : "",
		        error ? error->message : "");
		return 2;
	}
	f.seconds = atoi(argv[1]);
	f.agg_pid = atoi(argv[2]);
	if (f.seconds < 1 || f.agg_pid < 1 || f.n_steady < 1 || f.n_steady > MAX_STEADY ||
	    f.n_slots < 1 || f.period_ms < 1 || f.settle_s < 0 || f.settle_max_s < 0) {
		fprintf(stderr, "flap: bad arguments\n");
		return 2;
	}
	memcpy(f.weights, default_weights, sizeof(f.weights));
	if (kinds) {
		g_auto(GStrv) names = g_strsplit(kinds, ",", -1);
		int total = 0;

		memset(f.weights, 0, sizeof(f.weights));
		for (char **n = names; *n; n++) {
			int k = 0;

			while (k < N_KINDS && strcmp(*n, kind_names[k]) != 0)
				k++;
			if (k == N_KINDS) {
				fprintf(stderr, "flap: no kind of member is called '%s'\n", *n);
				return 2;
			}
			f.weights[k] = default_weights[k];
			total += f.weights[k];
		}
		if (!total)
			return 2;
	}
	f.warmup_s = warmup >= 0 ? warmup : MAX(2, f.seconds / 10);
	f.warmup_s = MIN(f.warmup_s, f.seconds);
	f.rng = g_rand_new_with_seed((guint32)seed);
	f.loop = g_main_loop_new(NULL, FALSE);
	f.zombies = g_ptr_array_new_with_free_func(zombie_free);
	f.slots = g_new0(Slot, f.n_slots);
	for (int i = 0; i < f.n_slots; i++)
		f.slots[i].name = g_strdup_printf(PREFIX "soak_flap%02d", i);
	make_long_names(&f);
	signal(SIGPIPE, SIG_IGN);
	if (!start_steady(&f, &error) || !(f.probe = dbus_glib_open(&error))) {
		fprintf(stderr, "flap: %s\n", error->message);
		return 1;
	}
	/* The steady members must answer the daemon while we wait: wait in
	 * the main loop. */
	g_timeout_add(100, wait_for_aggregate, &f);
	g_main_loop_run(f.loop);

	if (f.agg_owner) {
		g_autofree char *now = owner_of(&f, AGG);

		f.owner_same = now && strcmp(now, f.agg_owner) == 0;
	}
	f.alive = kill(f.agg_pid, 0) == 0;
	print_result(&f);
	if (f.failure)
		fprintf(stderr, "flap: failed: %s\n", f.failure);
	rc = f.failure || !f.agg_ok || f.ping_fail || f.nonfinite || f.squat_won || !f.owner_same ||
	     !f.alive;

	stop_flapping(&f);
	if (f.ping_call) {
		dbus_pending_call_cancel(f.ping_call);
		dbus_pending_call_unref(f.ping_call);
	}
	for (int i = 0; i < f.n_steady; i++) {
		if (f.steady[i])
			bus_service_free(f.steady[i]);
		if (f.steady_conns[i])
			dbus_glib_close(f.steady_conns[i]);
	}
	for (int i = 0; i < f.n_slots; i++)
		g_free(f.slots[i].name);
	for (size_t i = 0; i < G_N_ELEMENTS(f.long_names); i++)
		g_free(f.long_names[i]);
	g_free(f.slots);
	g_ptr_array_free(f.zombies, TRUE);
	g_free(f.agg_owner);
	g_rand_free(f.rng);
	if (f.probe)
		dbus_glib_close(f.probe);
	g_main_loop_unref(f.loop);
	return rc;
}
