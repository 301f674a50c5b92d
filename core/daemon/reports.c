/* SPDX-License-Identifier: MIT */
/*
 * The monitor's callbacks: which services it follows, and where each
 * report goes.
 */
#include "daemon/reports.h"

#include <string.h>

#include "base/names.h"
#include "bus/settings.h"

struct Reports {
	const Running *run;
	Dvcc *dvcc;
	StartGate *gate;
	const char **settings_paths; /* NULL-terminated: what the monitor reads in localsettings */
};

static const char *const system_paths[] = {DVCC_PATH, NULL};

Reports *reports_new(const Running *run, Dvcc *dvcc, StartGate *gate)
{
	Reports *r = g_new0(Reports, 1);

	r->run = run;
	r->dvcc = dvcc;
	r->gate = gate;
	return r;
}

void reports_free(Reports *r)
{
	if (!r)
		return;
	g_free(r->settings_paths);
	g_free(r);
}

static MonitorInterest want(void *user_data, const char *service, const char *const **paths)
{
	Reports *r = user_data;

	if (strcmp(service, SYSTEM_SERVICE) == 0) {
		*paths = system_paths;
		return MONITOR_PATHS;
	}
	if (strcmp(service, SETTINGS_SERVICE) == 0) {
		*paths = r->settings_paths;
		return MONITOR_PATHS;
	}
	/* A virtual battery is followed like any battery: the aggregate
	 * aggregates it. */
	if (g_str_has_prefix(service, NAMES_BATTERY_PREFIX) &&
	    strcmp(service, published_name(running_aggregate(r->run))) != 0)
		return MONITOR_ALL;
	return MONITOR_IGNORE;
}

/* A value of the system or settings service: DVCC, or a published
 * service's device instance or custom name. */
static void system_values(Reports *r, const PathValue *items, size_t n)
{
	GPtrArray *published = r->run->published;

	for (size_t i = 0; i < n; i++) {
		if (dvcc_set(r->dvcc, items[i].path, &items[i].value))
			continue;
		for (guint k = 0; k < published->len; k++) {
			if (identity_setting(published_identity(published->pdata[k]), items[i].path,
			                     &items[i].value))
				break;
		}
	}
	dvcc_apply(r->dvcc, published_engine(running_aggregate(r->run)));
	published_changed(running_aggregate(r->run));
}

static void on_added(void *user_data, const char *service, const PathValue *items, size_t n)
{
	Reports *r = user_data;
	GPtrArray *published = r->run->published;

	if (g_str_has_prefix(service, NAMES_BATTERY_PREFIX)) {
		routes_added(r->run->routes, service, items, n);
		return;
	}
	/* Back after a restart, or there at last: it may have lost (or never
	 * had) our settings. */
	for (guint k = 0; strcmp(service, SETTINGS_SERVICE) == 0 && k < published->len; k++)
		identity_back(published_identity(published->pdata[k]));
	system_values(r, items, n);
}

static void on_changed(void *user_data, const char *service, const PathValue *items, size_t n)
{
	Reports *r = user_data;

	if (g_str_has_prefix(service, NAMES_BATTERY_PREFIX))
		routes_changed(r->run->routes, service, items, n);
	else
		system_values(r, items, n);
}

/* A vanished system or settings service keeps its last values: a
 * restarting systemcalc must not lift the user's limits. */
static void on_removed(void *user_data, const char *service)
{
	Reports *r = user_data;
	GPtrArray *published = r->run->published;

	if (g_str_has_prefix(service, NAMES_BATTERY_PREFIX)) {
		routes_removed(r->run->routes, service);
		return;
	}
	g_info("%s vanished; keeping the last DVCC state and limits it gave", service);
	for (guint k = 0; strcmp(service, SETTINGS_SERVICE) == 0 && k < published->len; k++)
		identity_lost(published_identity(published->pdata[k]));
}

static void on_settled(void *user_data)
{
	Reports *r = user_data;

	start_gate_settled(r->gate);
}

static const MonitorCallbacks callbacks = {
        .want = want,
        .added = on_added,
        .changed = on_changed,
        .removed = on_removed,
        .settled = on_settled,
};

Monitor *reports_monitor_new(Reports *r, DBusConnection *conn)
{
	GPtrArray *published = r->run->published;
	guint k = 0;

	g_free(r->settings_paths);
	r->settings_paths = g_new0(const char *, 3 + 2 * published->len);
	r->settings_paths[k++] = USER_CCL_PATH;
	r->settings_paths[k++] = USER_CVL_PATH;
	for (guint i = 0; i < published->len; i++) {
		r->settings_paths[k++] =
		        identity_instance_path(published_identity(published->pdata[i]));
		r->settings_paths[k++] =
		        identity_name_path(published_identity(published->pdata[i]));
	}
	return monitor_new(conn, &callbacks, r);
}
