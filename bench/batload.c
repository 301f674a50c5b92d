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
 * The limits stay constant but for one event every three seconds: a member
 * lowers its /Info/MaxChargeCurrent from 100 A to 20 A, which lowers the
 * bank's CCL, and restores it with its next update.  Each update gives the
 * bank's /Dc/0/Current (the sum of the members' currents) a value that it
 * alone explains: the sum carries the update's tag in its 4th to 6th
 * decimals.
 *
 * batload does not listen to the aggregate: a listener of its own would add
 * to the bus daemon's work that is being measured.  It writes what it sent
 * and when (--events FILE: the window, each update's time and the bank
 * current it implies, each CCL decrease and restore) for bench/latency.py,
 * which matches that with what the consumer saw arrive.
 *
 * Around the measured window (after a warm-up) it reads the CPU time of the
 * aggregator, the bus daemon, the consumer and any other process named (the
 * first field of /proc/PID/task/TID/schedstat, ns on CPU, summed over the
 * threads), its own, the whole machine's (/proc/stat: what else ran) and the
 * aggregator's memory (/proc/PID/smaps_rollup and status).
 * With --no-aggregate it sends the same load without waiting for an
 * aggregate: the baseline.
 *
 * It prints one line of key=value pairs.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus/bus_service.h"
#include "bus/dbus_glib.h"

#define AGG "com.victronenergy.battery.aggregator"
#define PATH_CCL "/Info/MaxChargeCurrent"

#define CCL_NORMAL 100.0
#define CCL_LOWERED 20.0
/* A decrease every this, restored a period later: with a publisher that
 * holds a rise back for up to a second, the aggregate is back to normal
 * before the next one. */
#define SAFETY_EVERY_US (3 * G_USEC_PER_SEC)
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
} Member;

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
	double period; /* s */
	double warmup; /* s */
	long max_updates;
	Phase phase;
	gint64 t_start, t_window, t_end;
	long sent; /* updates since t_start */
	long window_updates;
	long member_signals; /* sent by the members in the window */
	long tag;
	gint64 last_drop;
	int lowered; /* the member whose CCL is lowered, or -1 */
	GString *events;
	DBusConnection *control; /* asks the bus whether the aggregate is there */
	gboolean agg_seen;
	int agg_pid;
	GPtrArray *procs; /* Process * */
	long pd_kib, rss_kib, hwm_kib;
	gint64 machine_ns0, machine_ns;
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

/* ns the machine's CPUs were busy (all processes, the kernel's work for
 * them included), from the first line of /proc/stat; or -1. */
static gint64 machine_ns(void)
{
	g_autofree char *text = NULL;
	unsigned long long user, nice, system, idle, iowait, irq, softirq, steal = 0;

	if (!g_file_get_contents("/proc/stat", &text, NULL, NULL) ||
	    sscanf(text, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &system,
	           &idle, &iowait, &irq, &softirq, &steal) < 7)
		return -1;
	return (gint64)((user + nice + system + irq + softirq + steal) * 1000000000ULL /
	                (unsigned long long)sysconf(_SC_CLK_TCK));
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
	if (start)
		l->machine_ns0 = machine_ns();
	else
		l->machine_ns = machine_ns();
}

/* ---- the load ------------------------------------------------------------ */

static void set(Member *m, const char *path, Value v)
{
	bus_service_set(m->svc, path, &v);
	value_clear(&v);
}

/* A line of the events file, stamped now (µs, monotonic, as the consumer's
 * clock): the moment just before the signal that carries it is sent. */
static void event(Load *l, const char *what, double value)
{
	if (l->events)
		g_string_append_printf(l->events, "%s %" G_GINT64_FORMAT " %.9f\n", what,
		                       g_get_monotonic_time(), value);
}

/* Sends what is pending: one signal (counted in the window). */
static void send(Load *l, Member *m)
{
	bus_service_flush(m->svc);
	if (l->phase == PHASE_WINDOW)
		l->member_signals++;
}

/* The first DYNAMIC paths as they are at the member's step (its current is
 * set by the caller); for props members each in a signal of its own.  The
 * update's bank current is logged as the current goes out. */
static void fill_dynamic(Load *l, int i, gboolean live, double bank)
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
		if (live && l->props && p == 1)
			event(l, "update", bank);
		set(m, paths[p], v[p]);
		if (live && l->props)
			send(l, m);
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

static void update(Load *l, int i)
{
	Member *m = &l->members[i];
	gint64 now = g_get_monotonic_time();
	const char *ccl_event = NULL;

	m->step++;
	m->current = next_current(l, i);
	if (l->lowered == i) {
		ccl_event = "restore";
		l->lowered = -1;
	} else if (l->lowered < 0 && now - l->last_drop >= SAFETY_EVERY_US) {
		ccl_event = "drop";
		l->lowered = i;
		l->last_drop = now;
	}
	fill_dynamic(l, i, TRUE, bank_current(l));
	if (ccl_event) {
		set(m, PATH_CCL, value_double(l->lowered == i ? CCL_LOWERED : CCL_NORMAL));
		if (l->props) {
			event(l, ccl_event, 0);
			send(l, m);
		}
	}
	if (!l->props) {
		/* One signal: every clock starts here. */
		event(l, "update", bank_current(l));
		if (ccl_event)
			event(l, ccl_event, 0);
		send(l, m);
	}
	if (l->phase == PHASE_WINDOW)
		l->window_updates++;
}

static void start_window(Load *l)
{
	l->phase = PHASE_WINDOW;
	read_cpu(l, TRUE);
	l->t_window = g_get_monotonic_time();
	event(l, "start", 0);
}

static void end_window(Load *l)
{
	l->t_end = g_get_monotonic_time();
	event(l, "end", 0);
	read_cpu(l, FALSE);
	l->pd_kib = proc_kib(l->agg_pid, "smaps_rollup", "Private_Dirty:");
	l->rss_kib = proc_kib(l->agg_pid, "status", "VmRSS:");
	l->hwm_kib = proc_kib(l->agg_pid, "status", "VmHWM:");
	l->phase = PHASE_DRAIN;
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
			start_window(l);
		if (l->phase == PHASE_WINDOW && l->window_updates >= l->max_updates)
			end_window(l);
		update(l, (int)(l->sent % l->k));
		l->sent++;
	}
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

/* The members answer the daemon's reads meanwhile: this runs in the main
 * loop. */
static gboolean wait_for_aggregate(gpointer data)
{
	Load *l = data;

	if (dbus_bus_name_has_owner(l->control, AGG, NULL)) {
		l->agg_seen = TRUE;
		start_load(l);
		return G_SOURCE_REMOVE;
	}
	if (++l->wait_tries < 1200)
		return G_SOURCE_CONTINUE;
	g_main_loop_quit(l->loop);
	return G_SOURCE_REMOVE;
}

/* ---- set-up and report --------------------------------------------------- */

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
	for (size_t p = 0; paths[p]; p++) {
		Value zero = value_int(0);

		bus_service_add(m->svc, paths[p], &zero, UNIT_NONE, NULL, NULL);
	}
	for (size_t c = 0; c < G_N_ELEMENTS(constants); c++) {
		bus_service_set(m->svc, constants[c].path, &constants[c].v);
		value_clear(&constants[c].v);
	}
	m->current = 1;
	fill_dynamic(l, i, FALSE, 0);
	return bus_service_register(m->svc, error);
}

static void report(Load *l)
{
	double seconds = (double)(l->t_end - l->t_window) / G_USEC_PER_SEC;

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
	if (l->machine_ns0 >= 0 && l->machine_ns >= 0)
		printf(" cpu_machine_ms=%.0f", (double)(l->machine_ns - l->machine_ns0) / 1e6);
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
	g_autofree char *events = NULL;
	g_auto(GStrv) pids = NULL;
	gboolean no_aggregate = FALSE;
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
	        {"events", 0, 0, G_OPTION_ARG_FILENAME, &events,
	         "write what was sent when to FILE (for bench/latency.py)", "FILE"},
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
		                "[--pid NAME=PID]... [--no-aggregate] [--events FILE]\n");
		return 2;
	}
	l.k = k;
	l.max_updates = updates;
	l.props = kind && strcmp(kind, "props") == 0;
	l.period = period;
	l.warmup = warmup;
	l.no_aggregate = no_aggregate;
	l.lowered = -1;
	l.events = events ? g_string_new(NULL) : NULL;
	l.agg_pid = no_aggregate ? 0 : agg_pid;
	l.procs = g_ptr_array_new_with_free_func(process_free);
	if (!no_aggregate)
		add_process(&l, "batagg", agg_pid);
	add_process(&l, "bus", bus_pid);
	add_process(&l, "consumer", consumer_pid);
	add_process(&l, "batload", (int)getpid());
	for (size_t i = 0; pids && pids[i]; i++) {
		const char *eq = strchr(pids[i], '=');
		g_autofree char *name = eq ? g_strndup(pids[i], (gsize)(eq - pids[i])) : NULL;

		if (!eq || !add_process(&l, name, atoi(eq + 1))) {
			fprintf(stderr, "batload: --pid %s: not NAME=PID\n", pids[i]);
			return 2;
		}
	}
	l.loop = g_main_loop_new(NULL, FALSE);
	l.members = g_new0(Member, l.k);
	for (int i = 0; i < l.k; i++) {
		if (!add_member(&l, i, &error)) {
			fprintf(stderr, "batload: %s\n", error->message);
			return 1;
		}
	}
	if (no_aggregate) {
		start_load(&l);
	} else {
		l.control = dbus_glib_open(&error);
		if (!l.control) {
			fprintf(stderr, "batload: %s\n", error->message);
			return 1;
		}
		g_timeout_add(100, wait_for_aggregate, &l);
	}
	g_main_loop_run(l.loop);
	if (!no_aggregate && !l.agg_seen) {
		fprintf(stderr, "batload: the aggregate never appeared\n");
		return 1;
	}
	if (events && !g_file_set_contents(events, l.events->str, (gssize)l.events->len, &error)) {
		fprintf(stderr, "batload: %s\n", error->message);
		return 1;
	}
	report(&l);
	return 0;
}
