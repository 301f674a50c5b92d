/* SPDX-License-Identifier: MIT */
/*
 * batload: the benchmark's load and its meter.  K battery services with the
 * ~40 paths a BMS driver publishes, each changing 15 of them (voltage,
 * current, power, temperatures, SoC, cell extremes and their ids, consumed
 * Ah, remaining capacity, time-to-go) once a period, the K members spread
 * evenly over it as unsynchronised drivers are.  Two kinds of member:
 *
 *   items  one ItemsChanged per update, carrying the changed paths (velib's
 *          batched updates), no PropertiesChanged;
 *   props  one PropertiesChanged per changed path, sent one after the other
 *          (each set is flushed at once), no ItemsChanged, as
 *          dbus-serialbattery does.
 *
 * The limits stay constant but for one event every two seconds or so: a
 * member lowers its /Info/MaxChargeCurrent from 100 A to 20 A, which lowers
 * the bank's CCL, and restores it with its next update.
 *
 * A probe connection, read by a thread of its own so that its clock is not
 * held up by the load, counts the signals the aggregate's unique name sends
 * (ItemsChanged and PropertiesChanged, and the paths they carry) and times
 *
 *   - the bank current: each update gives the bank's /Dc/0/Current a value
 *     that it alone explains (the sum of the members' currents carries the
 *     update's tag in its 4th to 6th decimals); an update is answered by the
 *     first aggregate signal carrying its value or a later update's;
 *   - the CCL: a member's decrease is answered by the first aggregate signal
 *     carrying an /Info/MaxChargeCurrent below 60 % of the one before.
 *
 * Around the measured window (after a warm-up) it reads the CPU time of the
 * aggregator, the bus daemon, the consumer and any other process named (the
 * first field of /proc/PID/task/TID/schedstat, ns on CPU, summed over the
 * threads) and the aggregator's memory (/proc/PID/smaps_rollup and status).
 * With --no-aggregate it sends the same load and measures the same
 * processes without waiting for an aggregate: the baseline.
 *
 * It prints one line of key=value pairs.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "busitem.h"
#include "dbus_glib.h"
#include "dbus_value.h"
#include "items.h"
#include "names.h"

#define AGG "com.victronenergy.battery.aggregator"
#define PATH_CURRENT "/Dc/0/Current"
#define PATH_CCL "/Info/MaxChargeCurrent"

#define CCL_NORMAL 100.0
#define CCL_LOWERED 20.0
#define SAFETY_EVERY_US (2 * G_USEC_PER_SEC) /* at most one decrease per this */
#define ANSWER_TIMEOUT_US (10 * G_USEC_PER_SEC)
#define TAG_STEP 1e-6 /* A: the bank current's tag is a multiple of it */
#define TAGS 1000     /* distinct tags, more than updates awaited at once */
#define DRAIN_US (2 * G_USEC_PER_SEC)

/* Every path a member publishes.  The first DYNAMIC change every update. */
static const char *const paths[] = {
        /* dynamic */
        "/Dc/0/Voltage",
        "/Dc/0/Current",
        "/Dc/0/Power",
        "/Dc/0/Temperature",
        "/Soc",
        "/TimeToGo",
        "/ConsumedAmphours",
        "/Capacity",
        "/System/MinCellVoltage",
        "/System/MaxCellVoltage",
        "/System/MinVoltageCellId",
        "/System/MaxVoltageCellId",
        "/System/MinCellTemperature",
        "/System/MaxCellTemperature",
        "/System/MinTemperatureCellId",
        /* constant */
        "/InstalledCapacity",
        "/Balancing",
        "/Info/BatteryLowVoltage",
        "/Info/MaxChargeCurrent",
        "/Info/MaxDischargeCurrent",
        "/Info/MaxChargeVoltage",
        "/Info/ChargeMode",
        "/Io/AllowToCharge",
        "/Io/AllowToDischarge",
        "/Io/AllowToBalance",
        "/System/MaxTemperatureCellId",
        "/System/NrOfModulesOnline",
        "/System/NrOfModulesOffline",
        "/System/NrOfModulesBlockingCharge",
        "/System/NrOfModulesBlockingDischarge",
        "/Alarms/LowVoltage",
        "/Alarms/HighVoltage",
        "/Alarms/LowSoc",
        "/Alarms/CellImbalance",
        "/Alarms/HighChargeTemperature",
        "/Alarms/LowTemperature",
        "/Alarms/HighTemperature",
        "/Alarms/HighDischargeCurrent",
        "/Alarms/LowCellVoltage",
        "/Alarms/HighCellVoltage",
        NULL,
};
#define DYNAMIC 15

typedef struct {
	DBusConnection *conn;
	BusService *svc;
	double current; /* A, what it says now */
	long step;      /* its updates so far */
	double ccl;     /* A, what it says now */
} Member;

/* An update whose bank current the aggregate has not shown yet. */
typedef struct {
	double expected; /* the bank current it implies */
	gint64 sent;     /* µs, monotonic, just before it was sent */
	gboolean timed;  /* sent in the measured window */
} Awaited;

typedef enum {
	SAFETY_IDLE,      /* limits normal; a decrease may come */
	SAFETY_DROPPED,   /* a member lowered its CCL; awaiting the aggregate's */
	SAFETY_LOWERED,   /* the aggregate's is lower; the member restores next */
	SAFETY_RESTORING, /* restored; awaiting the aggregate's to go back up */
} SafetyState;

/* What the probe thread and the load share (under lock). */
typedef struct {
	GMutex lock;
	gboolean counting; /* the measured window */
	long ic, pc, ic_paths;
	GQueue awaited; /* Awaited *, oldest first */
	GArray *latency;
	long latency_missed;
	SafetyState safety;
	int drop_member;
	gint64 drop_at, restore_at;
	gboolean drop_timed;
	double before; /* the aggregate's CCL when the decrease was sent */
	double ccl;    /* the aggregate's CCL as last seen */
	gboolean ccl_known;
	GArray *safety_latency;
	long safety_missed;
} Shared;

typedef struct {
	char *name;
	int pid;
	gint64 ns0, ns;
} Process;

typedef enum { PHASE_WAIT, PHASE_WARMUP, PHASE_WINDOW, PHASE_DRAIN } Phase;

typedef struct {
	GMainLoop *loop;
	Member *members;
	int k;
	gboolean props;
	gboolean no_aggregate;
	gboolean time_current; /* the bank current's latency */
	gboolean time_safety;  /* the CCL decrease's (else the events follow the clock) */
	double period;         /* s */
	double warmup;         /* s */
	long max_updates;
	Phase phase;
	gint64 t_start, t_window, t_end;
	long sent; /* updates since t_start */
	long window_updates;
	long member_signals; /* sent by the members in the window */
	long tag;
	gint64 last_drop;
	Shared sh;
	DBusConnection *probe;
	char *agg_owner;
	int agg_pid;
	GPtrArray *procs; /* Process * */
	GThread *thread;
	gint stop;
	long pd_kib, rss_kib, hwm_kib;
	int wait_tries;
} Load;

/* ---- /proc --------------------------------------------------------------- */

/* ns on CPU of every thread of pid, or -1. */
static gint64 cpu_ns(int pid)
{
	g_autofree char *dir = g_strdup_printf("/proc/%d/task", pid);
	GDir *d = pid > 0 ? g_dir_open(dir, 0, NULL) : NULL;
	const char *tid;
	gint64 sum = 0;

	if (!d)
		return -1;
	while ((tid = g_dir_read_name(d))) {
		g_autofree char *path = g_strdup_printf("%s/%s/schedstat", dir, tid);
		g_autofree char *text = NULL;

		if (g_file_get_contents(path, &text, NULL, NULL))
			sum += g_ascii_strtoll(text, NULL, 10);
	}
	g_dir_close(d);
	return sum;
}

/* A "Key:   123 kB" line of a /proc file, in KiB, or -1. */
static long proc_kib(int pid, const char *file, const char *key)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/%s", pid, file);
	g_autofree char *text = NULL;
	const char *p;

	if (pid <= 0 || !g_file_get_contents(path, &text, NULL, NULL) || !(p = strstr(text, key)))
		return -1;
	return strtol(p + strlen(key), NULL, 10);
}

static void read_cpu(Load *l, gboolean start)
{
	for (guint i = 0; i < l->procs->len; i++) {
		Process *p = l->procs->pdata[i];
		gint64 ns = cpu_ns(p->pid);

		if (start)
			p->ns0 = ns;
		else
			p->ns = ns;
	}
}

/* ---- the probe (its own thread) ------------------------------------------ */

static int by_value(gconstpointer a, gconstpointer b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The bank current v was published at now: it answers the newest awaited
 * update that implies it, and every older one. */
static void current_seen(Shared *sh, double v, gint64 now)
{
	Awaited *hit = NULL;

	for (GList *e = sh->awaited.tail; e && !hit; e = e->prev) {
		if (fabs(((Awaited *)e->data)->expected - v) < TAG_STEP / 4)
			hit = e->data;
	}
	if (!hit)
		return;
	for (;;) {
		Awaited *a = g_queue_pop_head(&sh->awaited);
		gboolean last = a == hit || sh->awaited.head == NULL;

		if (a->timed) {
			double ms = (double)(now - a->sent) / 1000.0;

			g_array_append_val(sh->latency, ms);
		}
		g_free(a);
		if (last)
			break;
	}
}

static void ccl_seen(Shared *sh, const Value *v, gint64 now)
{
	double ccl;

	sh->ccl_known = value_number(v, &ccl);
	if (!sh->ccl_known)
		return;
	sh->ccl = ccl;
	if (sh->safety == SAFETY_DROPPED && ccl < 0.6 * sh->before) {
		if (sh->drop_timed) {
			double ms = (double)(now - sh->drop_at) / 1000.0;

			g_array_append_val(sh->safety_latency, ms);
		}
		sh->safety = SAFETY_LOWERED;
	} else if (sh->safety == SAFETY_RESTORING && ccl >= 0.9 * sh->before) {
		sh->safety = SAFETY_IDLE;
	}
}

static void items_seen(Shared *sh, GArray *items, gint64 now)
{
	for (guint i = 0; i < items->len; i++) {
		const PathValue *pv = &g_array_index(items, PathValue, i);
		double v;

		if (strcmp(pv->path, PATH_CURRENT) == 0 && value_number(&pv->value, &v))
			current_seen(sh, v, now);
		else if (strcmp(pv->path, PATH_CCL) == 0)
			ccl_seen(sh, &pv->value, now);
	}
}

static DBusHandlerResult on_signal(DBusConnection *c, DBusMessage *msg, void *data)
{
	Load *l = data;
	Shared *sh = &l->sh;
	gint64 now = g_get_monotonic_time();
	g_autoptr(GArray) items = NULL;
	gboolean ic;

	if (dbus_message_get_type(msg) != DBUS_MESSAGE_TYPE_SIGNAL ||
	    g_strcmp0(dbus_message_get_sender(msg), l->agg_owner) != 0 ||
	    !dbus_message_has_interface(msg, NAMES_BUSITEM_IFACE))
		return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
	ic = dbus_message_has_member(msg, "ItemsChanged");
	if (!ic && !dbus_message_has_member(msg, "PropertiesChanged"))
		return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
	items = items_new();
	if (ic ? !items_read_changes(msg, items) : !items_read_properties(msg, items))
		return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
	g_mutex_lock(&sh->lock);
	if (sh->counting) {
		if (ic) {
			sh->ic++;
			sh->ic_paths += items->len;
		} else {
			sh->pc++;
		}
	}
	items_seen(sh, items, now);
	g_mutex_unlock(&sh->lock);
	return DBUS_HANDLER_RESULT_HANDLED;
}

static gpointer probe_thread(gpointer data)
{
	Load *l = data;

	while (!g_atomic_int_get(&l->stop) && dbus_connection_read_write_dispatch(l->probe, 100))
		;
	return NULL;
}

/* ---- the load ------------------------------------------------------------ */

static void set(Member *m, const char *path, Value v)
{
	bus_service_set(m->svc, path, &v);
	value_clear(&v);
}

/* Sets *clock to now, under the lock: the probe thread reads it. */
static void stamp(Load *l, gint64 *clock)
{
	g_mutex_lock(&l->sh.lock);
	*clock = g_get_monotonic_time();
	g_mutex_unlock(&l->sh.lock);
}

/* The first DYNAMIC paths as they are at the member's step (its current is
 * set by the caller); with props, each in a signal of its own, and the
 * update's clock (a, when timed) starts just before the current's. */
static void fill_dynamic(Load *l, int i, gboolean props, Awaited *a)
{
	Member *m = &l->members[i];
	double n = (double)m->step, phase = 2 * G_PI * i / l->k;
	double soc = 60 + 20 * sin(2 * G_PI * n / 3600 + phase);
	double temp = 25 + 0.5 * sin(2 * G_PI * n / 300 + phase) + 0.001 * (double)(m->step % 2);
	double volts = 53.0 + 0.2 * sin(2 * G_PI * n / 600 + phase) - 0.01 * m->current;
	double cell = volts / 16;
	gboolean odd = m->step % 2;
	Value v[DYNAMIC] = {
	        value_double(volts),
	        value_double(m->current),
	        value_double(volts * m->current),
	        value_double(temp),
	        value_double(soc),
	        value_double(3600 * (soc + 1) / (fabs(m->current) + 0.5)),
	        value_double(-(100 - soc)),
	        value_double(soc),
	        value_double(cell - 0.004 - 0.0001 * (double)odd),
	        value_double(cell + 0.004 + 0.0001 * (double)odd),
	        value_text(odd ? "C3" : "C7"),
	        value_text(odd ? "C12" : "C9"),
	        value_double(temp - 0.6),
	        value_double(temp + 0.4),
	        value_text(odd ? "T1" : "T2"),
	};

	for (int p = 0; p < DYNAMIC; p++) {
		if (props && p == 1 && a)
			stamp(l, &a->sent);
		set(m, paths[p], v[p]);
		if (props) {
			bus_service_flush(m->svc);
			if (l->phase == PHASE_WINDOW)
				l->member_signals++;
		}
	}
}

/* What the member's current is after its update: about what a bank of
 * batteries sees (a slow swing between charge and discharge), moved by less
 * than 0.01 A so that the bank's sum carries this update's tag. */
static double next_current(Load *l, int i)
{
	Member *m = &l->members[i];
	double others = 0, real, total;

	for (int j = 0; j < l->k; j++) {
		if (j != i)
			others += l->members[j].current;
	}
	real = 12 * sin(2 * G_PI * (double)m->step / 120 + 2 * G_PI * i / l->k);
	total = round((others + real) * 100) / 100 + TAG_STEP * (double)(l->tag++ % TAGS);
	return total - others;
}

static double bank_current(const Load *l)
{
	double sum = 0;

	for (int j = 0; j < l->k; j++)
		sum += l->members[j].current;
	return sum;
}

/* The CCL event, if one is due with this update of member i. */
static void safety_step(Load *l, int i, gint64 now, gboolean *drop, gboolean *restore)
{
	Shared *sh = &l->sh;

	*drop = *restore = FALSE;
	g_mutex_lock(&sh->lock);
	/* An answer that never came: the event ends as if it had. */
	if (sh->safety == SAFETY_DROPPED && now - sh->drop_at > ANSWER_TIMEOUT_US) {
		if (sh->drop_timed)
			sh->safety_missed++;
		sh->safety = SAFETY_LOWERED;
	}
	if (sh->safety == SAFETY_RESTORING && now - sh->restore_at > ANSWER_TIMEOUT_US)
		sh->safety = SAFETY_IDLE;
	if (sh->safety == SAFETY_IDLE && now - l->last_drop >= SAFETY_EVERY_US &&
	    (!l->time_safety || (sh->ccl_known && sh->ccl > 0))) {
		*drop = TRUE;
		sh->safety = l->time_safety ? SAFETY_DROPPED : SAFETY_LOWERED;
		sh->drop_member = i;
		sh->drop_at = now;
		sh->drop_timed = l->phase == PHASE_WINDOW;
		sh->before = sh->ccl;
		l->last_drop = now;
	} else if (sh->safety == SAFETY_LOWERED && sh->drop_member == i) {
		*restore = TRUE;
		sh->safety = l->time_safety ? SAFETY_RESTORING : SAFETY_IDLE;
		sh->restore_at = now;
	}
	g_mutex_unlock(&sh->lock);
}

static void update(Load *l, int i)
{
	Member *m = &l->members[i];
	gint64 now = g_get_monotonic_time();
	Awaited *a = NULL;
	gboolean drop, restore;

	m->step++;
	m->current = next_current(l, i);
	safety_step(l, i, now, &drop, &restore);
	if (l->time_current) {
		a = g_new0(Awaited, 1);
		a->expected = bank_current(l);
		a->sent = now;
		a->timed = l->phase == PHASE_WINDOW;
		g_mutex_lock(&l->sh.lock);
		g_queue_push_tail(&l->sh.awaited, a);
		g_mutex_unlock(&l->sh.lock);
	}
	fill_dynamic(l, i, l->props, a);
	if (drop || restore) {
		m->ccl = drop ? CCL_LOWERED : CCL_NORMAL;
		set(m, PATH_CCL, value_double(m->ccl));
		if (l->props) {
			/* The clock of the decrease starts at its own signal. */
			if (drop)
				stamp(l, &l->sh.drop_at);
			bus_service_flush(m->svc);
			if (l->phase == PHASE_WINDOW)
				l->member_signals++;
		}
	}
	if (!l->props) {
		/* One signal: both clocks start here. */
		if (a)
			stamp(l, &a->sent);
		if (drop)
			stamp(l, &l->sh.drop_at);
		bus_service_flush(m->svc);
		if (l->phase == PHASE_WINDOW)
			l->member_signals++;
	}
	if (l->phase == PHASE_WINDOW)
		l->window_updates++;
}

/* Updates older than the answer timeout are given up. */
static void expire_awaited(Load *l, gint64 now)
{
	Shared *sh = &l->sh;
	Awaited *a;

	g_mutex_lock(&sh->lock);
	while ((a = g_queue_peek_head(&sh->awaited)) && now - a->sent > ANSWER_TIMEOUT_US) {
		if (a->timed)
			sh->latency_missed++;
		g_free(g_queue_pop_head(&sh->awaited));
	}
	g_mutex_unlock(&sh->lock);
}

static void start_window(Load *l, gint64 now)
{
	l->phase = PHASE_WINDOW;
	l->t_window = now;
	read_cpu(l, TRUE);
	g_mutex_lock(&l->sh.lock);
	l->sh.counting = TRUE;
	g_mutex_unlock(&l->sh.lock);
}

static void end_window(Load *l, gint64 now)
{
	read_cpu(l, FALSE);
	g_mutex_lock(&l->sh.lock);
	l->sh.counting = FALSE;
	g_mutex_unlock(&l->sh.lock);
	l->pd_kib = proc_kib(l->agg_pid, "smaps_rollup", "Private_Dirty:");
	l->rss_kib = proc_kib(l->agg_pid, "status", "VmRSS:");
	l->hwm_kib = proc_kib(l->agg_pid, "status", "VmHWM:");
	l->phase = PHASE_DRAIN;
	l->t_end = now;
}

static gboolean on_tick(gpointer data)
{
	Load *l = data;
	gint64 now = g_get_monotonic_time();
	double interval = l->period * G_USEC_PER_SEC / l->k; /* µs between updates */
	gint64 next;

	/* Every update that is due, each at its place in the period. */
	while ((double)(now - l->t_start) >= interval * (double)l->sent) {
		if (l->phase == PHASE_WARMUP &&
		    (double)(now - l->t_start) >= l->warmup * G_USEC_PER_SEC)
			start_window(l, now);
		if (l->phase == PHASE_WINDOW && l->window_updates >= l->max_updates)
			end_window(l, now);
		update(l, (int)(l->sent % l->k));
		l->sent++;
	}
	expire_awaited(l, now);
	if (l->phase == PHASE_DRAIN && now - l->t_end >= DRAIN_US) {
		g_main_loop_quit(l->loop);
		return G_SOURCE_REMOVE;
	}
	next = l->t_start + (gint64)ceil(interval * (double)l->sent);
	g_timeout_add((guint)MAX(0, (next - g_get_monotonic_time() + 999) / 1000), on_tick, l);
	return G_SOURCE_REMOVE;
}

static void start_load(Load *l)
{
	l->phase = PHASE_WARMUP;
	l->t_start = g_get_monotonic_time();
	l->last_drop = l->t_start;
	g_idle_add(on_tick, l);
}

/* ---- waiting for the aggregate ------------------------------------------- */

static gboolean probe_add_match(Load *l, const char *member)
{
	g_autofree char *rule =
	        g_strdup_printf("type='signal',sender='%s',interface='%s',member='%s'",
	                        l->agg_owner, NAMES_BUSITEM_IFACE, member);
	DBusError err;

	dbus_error_init(&err);
	dbus_bus_add_match(l->probe, rule, &err);
	if (dbus_error_is_set(&err)) {
		fprintf(stderr, "batload: %s: %s\n", rule, err.message);
		dbus_error_free(&err);
		return FALSE;
	}
	return TRUE;
}

/* The aggregate's CCL before any signal says it. */
static void read_ccl(Load *l)
{
	DBusMessage *q =
	        dbus_message_new_method_call(AGG, PATH_CCL, NAMES_BUSITEM_IFACE, "GetValue");
	DBusMessage *r = dbus_connection_send_with_reply_and_block(l->probe, q, 5000, NULL);
	DBusMessageIter it;

	dbus_message_unref(q);
	if (!r)
		return;
	if (dbus_message_get_type(r) == DBUS_MESSAGE_TYPE_METHOD_RETURN &&
	    dbus_message_iter_init(r, &it)) {
		Value v = VALUE_INIT;

		dbus_value_read(&it, &v);
		g_mutex_lock(&l->sh.lock);
		if (!l->sh.ccl_known)
			ccl_seen(&l->sh, &v, g_get_monotonic_time());
		g_mutex_unlock(&l->sh.lock);
		value_clear(&v);
	}
	dbus_message_unref(r);
}

static gboolean wait_for_aggregate(gpointer data)
{
	Load *l = data;
	DBusMessage *q, *r;
	const char *agg = AGG, *owner = NULL;

	/* The members answer the daemon's reads meanwhile: this runs in the
	 * main loop, and the probe is not yet read by its thread. */
	if (!dbus_bus_name_has_owner(l->probe, AGG, NULL)) {
		if (++l->wait_tries < 1200)
			return G_SOURCE_CONTINUE;
		g_main_loop_quit(l->loop);
		return G_SOURCE_REMOVE;
	}
	q = dbus_message_new_method_call(DBUS_SERVICE_DBUS, DBUS_PATH_DBUS, DBUS_INTERFACE_DBUS,
	                                 "GetNameOwner");
	dbus_message_append_args(q, DBUS_TYPE_STRING, &agg, DBUS_TYPE_INVALID);
	r = dbus_connection_send_with_reply_and_block(l->probe, q, 5000, NULL);
	dbus_message_unref(q);
	if (!r || !dbus_message_get_args(r, NULL, DBUS_TYPE_STRING, &owner, DBUS_TYPE_INVALID)) {
		if (r)
			dbus_message_unref(r);
		g_main_loop_quit(l->loop);
		return G_SOURCE_REMOVE;
	}
	l->agg_owner = g_strdup(owner);
	dbus_message_unref(r);
	if (!probe_add_match(l, "ItemsChanged") || !probe_add_match(l, "PropertiesChanged")) {
		g_clear_pointer(&l->agg_owner, g_free);
		g_main_loop_quit(l->loop);
		return G_SOURCE_REMOVE;
	}
	dbus_connection_add_filter(l->probe, on_signal, l, NULL);
	read_ccl(l);
	l->thread = g_thread_new("probe", probe_thread, l);
	start_load(l);
	return G_SOURCE_REMOVE;
}

/* ---- set-up and report --------------------------------------------------- */

static DBusConnection *open_probe(void)
{
	const char *address = g_getenv("DBUS_SESSION_BUS_ADDRESS");
	DBusError err;
	DBusConnection *conn;

	dbus_error_init(&err);
	conn = address ? dbus_connection_open_private(address, &err) : NULL;
	if (conn && !dbus_bus_register(conn, &err)) {
		dbus_connection_close(conn);
		dbus_connection_unref(conn);
		conn = NULL;
	}
	if (!conn) {
		fprintf(stderr, "batload: no bus (DBUS_SESSION_BUS_ADDRESS): %s\n",
		        err.message ? err.message : "not set");
		dbus_error_free(&err);
		return NULL;
	}
	dbus_connection_set_exit_on_disconnect(conn, FALSE);
	return conn;
}

static gboolean add_member(Load *l, int i, GError **error)
{
	g_autofree char *name = g_strdup_printf("com.victronenergy.battery.bench%02d", i);
	Member *m = &l->members[i];
	struct {
		const char *path;
		Value v;
	} constants[] = {
	        {"/InstalledCapacity", value_double(100)},
	        {"/Balancing", value_int(0)},
	        {"/Info/BatteryLowVoltage", value_double(46.4)},
	        {"/Info/MaxChargeCurrent", value_double(CCL_NORMAL)},
	        {"/Info/MaxDischargeCurrent", value_double(150)},
	        {"/Info/MaxChargeVoltage", value_double(55.2)},
	        {"/Info/ChargeMode", value_text("Bulk")},
	        {"/Io/AllowToCharge", value_int(1)},
	        {"/Io/AllowToDischarge", value_int(1)},
	        {"/Io/AllowToBalance", value_int(1)},
	        {"/System/MaxTemperatureCellId", value_text("T3")},
	        {"/System/NrOfModulesOnline", value_int(1)},
	        {"/System/NrOfModulesOffline", value_int(0)},
	        {"/System/NrOfModulesBlockingCharge", value_int(0)},
	        {"/System/NrOfModulesBlockingDischarge", value_int(0)},
	};

	m->conn = dbus_glib_open(error);
	if (!m->conn)
		return FALSE;
	m->svc = bus_service_new(m->conn, name);
	/* Each kind sends what it needs, whatever the core's defaults. */
	bus_service_use_items_changed(m->svc, !l->props);
	bus_service_use_properties_changed(m->svc, l->props);
	m->ccl = CCL_NORMAL;
	for (size_t p = 0; paths[p]; p++) {
		Value zero = value_int(0);

		bus_service_add(m->svc, paths[p], &zero, UNIT_NONE, NULL, NULL);
	}
	for (size_t c = 0; c < G_N_ELEMENTS(constants); c++) {
		bus_service_set(m->svc, constants[c].path, &constants[c].v);
		value_clear(&constants[c].v);
	}
	m->current = 1;
	fill_dynamic(l, i, FALSE, NULL);
	return bus_service_register(m->svc, error);
}

static void percentiles(GArray *a, double *p50, double *p99, double *max)
{
	g_array_sort(a, by_value);
	/* Nearest rank: the smallest value with at least p of them at or
	 * below it. */
	*p50 = a->len ? g_array_index(a, double, (a->len + 1) / 2 - 1) : NAN;
	*p99 = a->len ? g_array_index(a, double, (a->len * 99 + 99) / 100 - 1) : NAN;
	*max = a->len ? g_array_index(a, double, a->len - 1) : NAN;
}

static void report(Load *l)
{
	Shared *sh = &l->sh;
	double seconds = (double)(l->t_end - l->t_window) / G_USEC_PER_SEC;
	double p50, p99, max, s50, s99, smax;

	percentiles(sh->latency, &p50, &p99, &max);
	percentiles(sh->safety_latency, &s50, &s99, &smax);
	printf("K=%d kind=%s agg=%s updates=%ld seconds=%.2f member_signals=%ld", l->k,
	       l->props ? "props" : "items", l->no_aggregate ? "no" : "yes", l->window_updates,
	       seconds, l->member_signals);
	for (guint i = 0; i < l->procs->len; i++) {
		Process *p = l->procs->pdata[i];

		if (p->ns0 >= 0 && p->ns >= 0)
			printf(" cpu_%s_ms=%.3f", p->name, (double)(p->ns - p->ns0) / 1e6);
		else
			printf(" cpu_%s_ms=nan", p->name);
	}
	printf(" ic=%ld pc=%ld ic_paths=%ld", sh->ic, sh->pc, sh->ic_paths);
	printf(" lat_n=%u lat_missed=%ld lat_p50=%.3f lat_p99=%.3f lat_max=%.3f", sh->latency->len,
	       sh->latency_missed, p50, p99, max);
	printf(" safety_n=%u safety_missed=%ld safety_p50=%.3f safety_p99=%.3f safety_max=%.3f",
	       sh->safety_latency->len, sh->safety_missed, s50, s99, smax);
	printf(" pd_kib=%ld rss_kib=%ld hwm_kib=%ld\n", l->pd_kib, l->rss_kib, l->hwm_kib);
}

static gboolean add_process(Load *l, const char *name, int pid)
{
	Process *p;

	if (pid <= 0)
		return FALSE;
	p = g_new0(Process, 1);
	p->name = g_strdup(name);
	p->pid = pid;
	p->ns0 = p->ns = -1;
	g_ptr_array_add(l->procs, p);
	return TRUE;
}

static void process_free(gpointer data)
{
	Process *p = data;

	g_free(p->name);
	g_free(p);
}

int main(int argc, char **argv)
{
	Load l = {0};
	GError *error = NULL;
	int agg_pid = 0, bus_pid = 0, consumer_pid = 0;
	gint64 updates = 0;
	double period = 1, warmup = 5;
	g_autofree char *kind = NULL;
	g_auto(GStrv) pids = NULL;
	gboolean no_aggregate = FALSE, no_latency = FALSE;
	int k = 0;
	GOptionEntry entries[] = {
	        {"members", 'k', 0, G_OPTION_ARG_INT, &k, "K battery services", "K"},
	        {"updates", 'n', 0, G_OPTION_ARG_INT64, &updates,
	         "member updates in the measured window", "N"},
	        {"kind", 0, 0, G_OPTION_ARG_STRING, &kind, "items (default) or props", "KIND"},
	        {"period", 0, 0, G_OPTION_ARG_DOUBLE, &period,
	         "seconds between two updates of a member (1)", "S"},
	        {"warmup", 0, 0, G_OPTION_ARG_DOUBLE, &warmup,
	         "seconds of load before the window (5)", "S"},
	        {"agg-pid", 0, 0, G_OPTION_ARG_INT, &agg_pid, "the aggregator's pid", "PID"},
	        {"bus-pid", 0, 0, G_OPTION_ARG_INT, &bus_pid, "the bus daemon's pid", "PID"},
	        {"consumer-pid", 0, 0, G_OPTION_ARG_INT, &consumer_pid, "the consumer's pid",
	         "PID"},
	        {"pid", 0, 0, G_OPTION_ARG_STRING_ARRAY, &pids,
	         "another process to measure (repeatable)", "NAME=PID"},
	        {"no-aggregate", 0, 0, G_OPTION_ARG_NONE, &no_aggregate,
	         "no aggregator: the same load, for the baseline", NULL},
	        {"no-latency", 0, 0, G_OPTION_ARG_NONE, &no_latency,
	         "time nothing (the aggregate's bank current and CCL are no sum or minimum of the "
	         "members')",
	         NULL},
	        {NULL, 0, 0, 0, NULL, NULL, NULL},
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- the benchmark's load");

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		fprintf(stderr, "batload: %s\n", error->message);
		return 2;
	}
	if (k < 1 || updates < 1 || period <= 0 || warmup < 0 ||
	    (kind && strcmp(kind, "items") != 0 && strcmp(kind, "props") != 0)) {
		fprintf(stderr, "usage: batload -k K -n UPDATES [--kind items|props] [--period S] "
		                "[--warmup S] [--agg-pid PID] [--bus-pid PID] [--consumer-pid PID] "
		                "[--pid NAME=PID]... [--no-aggregate] [--no-latency]\n");
		return 2;
	}
	dbus_threads_init_default();
	l.k = k;
	l.max_updates = updates;
	l.props = kind && strcmp(kind, "props") == 0;
	l.period = period;
	l.warmup = warmup;
	l.no_aggregate = no_aggregate;
	l.time_current = !no_latency && !no_aggregate;
	l.time_safety = !no_latency && !no_aggregate;
	l.agg_pid = no_aggregate ? 0 : agg_pid;
	l.procs = g_ptr_array_new_with_free_func(process_free);
	if (!no_aggregate)
		add_process(&l, "batagg", agg_pid);
	add_process(&l, "bus", bus_pid);
	add_process(&l, "consumer", consumer_pid);
	for (size_t i = 0; pids && pids[i]; i++) {
		const char *eq = strchr(pids[i], '=');
		g_autofree char *name = eq ? g_strndup(pids[i], (gsize)(eq - pids[i])) : NULL;

		if (!eq || !add_process(&l, name, atoi(eq + 1))) {
			fprintf(stderr, "batload: --pid %s: not NAME=PID\n", pids[i]);
			return 2;
		}
	}
	g_mutex_init(&l.sh.lock);
	g_queue_init(&l.sh.awaited);
	l.sh.latency = g_array_new(FALSE, FALSE, sizeof(double));
	l.sh.safety_latency = g_array_new(FALSE, FALSE, sizeof(double));
	l.loop = g_main_loop_new(NULL, FALSE);
	l.members = g_new0(Member, l.k);
	for (int i = 0; i < l.k; i++) {
		if (!add_member(&l, i, &error)) {
			fprintf(stderr, "batload: %s\n", error->message);
			return 1;
		}
	}
	l.probe = open_probe();
	if (!l.probe)
		return 1;
	if (no_aggregate)
		start_load(&l);
	else
		g_timeout_add(100, wait_for_aggregate, &l);
	g_main_loop_run(l.loop);
	if (l.thread) {
		g_atomic_int_set(&l.stop, 1);
		g_thread_join(l.thread);
	}
	if (!no_aggregate && !l.agg_owner) {
		fprintf(stderr, "batload: the aggregate never appeared\n");
		return 1;
	}
	/* What is still awaited was not answered within the drain. */
	for (GList *e = l.sh.awaited.head; e; e = e->next) {
		if (((Awaited *)e->data)->timed)
			l.sh.latency_missed++;
	}
	if (l.sh.safety == SAFETY_DROPPED && l.sh.drop_timed)
		l.sh.safety_missed++;
	report(&l);
	return 0;
}
