/* SPDX-License-Identifier: MIT */
/*
 * batload: the benchmark's load.  K battery services, each with the ~40 paths
 * a real BMS driver publishes, each changing all of them once a second (one
 * ItemsChanged per step), the K members spread evenly over the second as
 * unsynchronised drivers are; optionally a burst where every member changes
 * as fast as the bus takes it.  It times, for each member update, how long
 * the aggregate takes to publish the new bank current (which only that
 * update explains), and reports CPU and memory of the daemon and of the bus
 * from /proc.
 */
#include <glib-unix.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "busitem.h"
#include "dbus_glib.h"
#include "dbus_value.h"

#define AGG "com.victronenergy.battery.aggregator"

static const char *const paths[] = {
        "/Dc/0/Voltage",
        "/Dc/0/Current",
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
        "/System/MinCellTemperature",
        "/System/MaxCellTemperature",
        "/System/MinCellVoltage",
        "/System/MaxCellVoltage",
        "/System/MinVoltageCellId",
        "/System/MaxVoltageCellId",
        "/System/MinTemperatureCellId",
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

typedef struct {
	DBusConnection *conn;
	BusService *svc;
	double current; /* A, what this member says now */
	long step;
} Member;

typedef struct {
	GMainLoop *loop;
	Member *members;
	int k;
	long updates; /* member updates sent in the measured phase */
	long max_updates;
	gboolean measuring;
	gboolean burst;
	double expected;   /* the bank current the last update implies */
	gint64 sent_at;    /* µs, of the update still awaited, or 0 */
	GArray *latencies; /* double, ms */
	int next;          /* member to update next */
	DBusConnection *probe;
	char *agg_owner;
	int agg_pid, bus_pid;
	double agg_cpu0, bus_cpu0;
	double warmup;
	guint tick;
} Load;

static double cpu_seconds(int pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/stat", pid);
	g_autofree char *text = NULL;
	unsigned long utime = 0, stime = 0;
	const char *p;

	if (!g_file_get_contents(path, &text, NULL, NULL) || !(p = strrchr(text, ')')))
		return 0;
	/* Fields after the command name: state is 3, utime 14, stime 15. */
	sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime);
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static long peak_rss_kib(int pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/status", pid);
	g_autofree char *text = NULL;
	const char *p;

	if (!g_file_get_contents(path, &text, NULL, NULL) || !(p = strstr(text, "VmHWM:")))
		return 0;
	return strtol(p + 6, NULL, 10);
}

static void set(Member *m, const char *path, Value v)
{
	bus_service_set(m->svc, path, &v);
	value_clear(&v);
}

/* Every path of the member changes, as a BMS driver's do each second. */
static void update(Load *l, int i)
{
	Member *m = &l->members[i];
	double wiggle = (double)(m->step++ % 100) / 1000.0;
	double before = m->current;

	m->current = 10.0 + i + wiggle + 0.0001 * (double)(m->step % 7);
	for (size_t p = 0; paths[p]; p++) {
		if (strstr(paths[p], "CellId"))
			set(m, paths[p], value_text(m->step % 2 ? "C1" : "C2"));
		else if (strstr(paths[p], "Alarms") || strstr(paths[p], "NrOf") ||
		         strstr(paths[p], "/Io/") || strcmp(paths[p], "/Balancing") == 0)
			set(m, paths[p], value_int(m->step % 2));
		else if (strcmp(paths[p], "/Info/ChargeMode") == 0)
			set(m, paths[p], value_text(m->step % 2 ? "Bulk" : "Absorption"));
		else if (strcmp(paths[p], "/Dc/0/Current") == 0)
			set(m, paths[p], value_double(m->current));
		else
			set(m, paths[p], value_double(50 + i + wiggle * (1 + (double)p)));
	}
	l->expected += m->current - before;
	bus_service_flush(m->svc);
	if (l->measuring) {
		l->updates++;
		if (!l->burst)
			l->sent_at = g_get_monotonic_time();
	}
}

static gboolean on_tick(gpointer data)
{
	Load *l = data;

	/* An update the aggregate has not answered by the next one is not
	 * timed (it is counted in latency_n against updates). */
	l->sent_at = 0;
	update(l, l->next);
	l->next = (l->next + 1) % l->k;
	if (l->measuring && l->updates >= l->max_updates)
		g_main_loop_quit(l->loop);
	return G_SOURCE_CONTINUE;
}

static gboolean on_burst(gpointer data)
{
	Load *l = data;

	update(l, l->next);
	l->next = (l->next + 1) % l->k;
	if (l->updates >= l->max_updates) {
		g_main_loop_quit(l->loop);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

/* The aggregate's ItemsChanged: has the bank current caught up? */
static DBusHandlerResult on_signal(DBusConnection *c, DBusMessage *msg, void *data)
{
	Load *l = data;
	DBusMessageIter it, outer, entry, props, prop;

	if (!l->sent_at ||
	    !dbus_message_is_signal(msg, "com.victronenergy.BusItem", "ItemsChanged") ||
	    g_strcmp0(dbus_message_get_sender(msg), l->agg_owner) != 0)
		return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
	dbus_message_iter_init(msg, &it);
	dbus_message_iter_recurse(&it, &outer);
	for (; dbus_message_iter_get_arg_type(&outer) == DBUS_TYPE_DICT_ENTRY;
	     dbus_message_iter_next(&outer)) {
		const char *path, *key;
		Value v = VALUE_INIT;

		dbus_message_iter_recurse(&outer, &entry);
		dbus_message_iter_get_basic(&entry, &path);
		if (strcmp(path, "/Dc/0/Current") != 0)
			continue;
		dbus_message_iter_next(&entry);
		dbus_message_iter_recurse(&entry, &props);
		dbus_message_iter_recurse(&props, &prop);
		dbus_message_iter_get_basic(&prop, &key);
		dbus_message_iter_next(&prop);
		dbus_value_read(&prop, &v);
		if (v.type == VALUE_DOUBLE && fabs(v.u.d - l->expected) < 1e-6) {
			double ms = (double)(g_get_monotonic_time() - l->sent_at) / 1000.0;

			g_array_append_val(l->latencies, ms);
			l->sent_at = 0;
		}
	}
	return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
}

static gboolean start_measuring(gpointer data)
{
	Load *l = data;

	l->measuring = TRUE;
	l->agg_cpu0 = cpu_seconds(l->agg_pid);
	l->bus_cpu0 = cpu_seconds(l->bus_pid);
	if (l->burst) {
		g_source_remove(l->tick);
		l->tick = g_idle_add(on_burst, l);
	}
	return G_SOURCE_REMOVE;
}

/* Once the aggregate is there: load, and measure after a warm-up. */
static gboolean wait_for_aggregate(gpointer data)
{
	Load *l = data;
	DBusMessage *q, *r;
	const char *agg = AGG, *owner = NULL;
	static int tries;

	if (!dbus_bus_name_has_owner(l->probe, AGG, NULL)) {
		if (++tries < 1200)
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
		g_main_loop_quit(l->loop);
		return G_SOURCE_REMOVE;
	}
	l->agg_owner = g_strdup(owner);
	dbus_message_unref(r);
	l->tick = g_timeout_add(MAX(1, 1000 / l->k), on_tick, l);
	g_timeout_add_seconds(3, start_measuring, l);
	return G_SOURCE_REMOVE;
}

static int by_value(gconstpointer a, gconstpointer b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	Load l = {0};
	GError *error = NULL;
	double agg_cpu, bus_cpu;

	if (argc < 6) {
		fprintf(stderr, "usage: batload K UPDATES AGG_PID BUS_PID steady|burst\n");
		return 2;
	}
	l.k = atoi(argv[1]);
	l.max_updates = atol(argv[2]);
	l.agg_pid = atoi(argv[3]);
	l.bus_pid = atoi(argv[4]);
	l.burst = strcmp(argv[5], "burst") == 0;
	l.loop = g_main_loop_new(NULL, FALSE);
	l.latencies = g_array_new(FALSE, FALSE, sizeof(double));
	l.members = g_new0(Member, l.k);
	for (int i = 0; i < l.k; i++) {
		g_autofree char *name = g_strdup_printf("com.victronenergy.battery.bench%02d", i);
		Member *m = &l.members[i];

		m->conn = dbus_glib_open(&error);
		if (!m->conn) {
			fprintf(stderr, "batload: %s\n", error->message);
			return 1;
		}
		m->svc = bus_service_new(m->conn, name);
		m->current = 1;
		for (size_t p = 0; paths[p]; p++) {
			Value v = value_double(1);

			bus_service_add(m->svc, paths[p], &v, UNIT_NONE, NULL, NULL);
		}
		if (!bus_service_register(m->svc, &error)) {
			fprintf(stderr, "batload: %s\n", error->message);
			return 1;
		}
		l.expected += 1;
	}
	l.probe = dbus_glib_open(&error);
	dbus_bus_add_match(l.probe,
	                   "type='signal',interface='com.victronenergy.BusItem',"
	                   "member='ItemsChanged',path='/'",
	                   NULL);
	dbus_connection_add_filter(l.probe, on_signal, &l, NULL);
	/* The members must answer the daemon while we wait for it: wait in the
	 * main loop. */
	g_timeout_add(100, wait_for_aggregate, &l);
	g_main_loop_run(l.loop);
	if (!l.agg_owner) {
		fprintf(stderr, "batload: the aggregate never appeared\n");
		return 1;
	}
	agg_cpu = cpu_seconds(l.agg_pid) - l.agg_cpu0;
	bus_cpu = cpu_seconds(l.bus_pid) - l.bus_cpu0;
	g_array_sort(l.latencies, by_value);
	{
		GArray *a = l.latencies;
		double p50 = a->len ? g_array_index(a, double, a->len / 2) : NAN;
		double p99 = a->len ? g_array_index(a, double, (a->len * 99) / 100) : NAN;
		double max = a->len ? g_array_index(a, double, a->len - 1) : NAN;

		printf("K=%d mode=%s updates=%ld batagg_cpu_s=%.3f bus_cpu_s=%.3f "
		       "batagg_ms_per_1000=%.1f ratio=%.3f rss_kib=%ld latency_n=%u "
		       "p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
		       l.k, l.burst ? "burst" : "steady", l.updates, agg_cpu, bus_cpu,
		       agg_cpu * 1000.0 * 1000.0 / (double)l.updates,
		       bus_cpu > 0 ? agg_cpu / bus_cpu : NAN, peak_rss_kib(l.agg_pid), a->len, p50,
		       p99, max);
	}
	return 0;
}
