/* SPDX-License-Identifier: MIT */
/*
 * The daemon's wiring: the monitor's reports go to the routes (batteries),
 * the DVCC inputs and the published services' settings (reports.c); the
 * published services go on the bus when their limits are known (SPEC 4,
 * start_gate.c); what the strategies learned is kept (state_keeper.c); a
 * reload builds the whole new configuration before anything switches
 * (plan.c); losing the bus ends the process so that its supervisor starts
 * it again.
 */
#include "daemon/daemon.h"

#include <glib-unix.h>

#include "base/log.h"
#include "bus/dbus_glib.h"
#include "bus/monitor.h"
#include "daemon/dvcc.h"
#include "daemon/plan.h"
#include "daemon/reports.h"
#include "daemon/routes.h"
#include "daemon/running.h"
#include "daemon/start_gate.h"
#include "daemon/startup.h"
#include "daemon/state_keeper.h"

struct Daemon {
	Running run; /* the config and what is built from it */
	char *config_path;
	char *last_good;
	gboolean config_problem; /* run.cfg is not the file as written */
	Registry *reg;
	char *program;

	GMainLoop *loop;
	int exit_code;
	DBusConnection *conn; /* the monitor's, and the aggregate's */
	Dvcc dvcc;
	StartGate *gate;
	Reports *reports;
	StateKeeper *keeper;
	guint signal_sources[3];
};

static void fail(void *user_data)
{
	Daemon *d = user_data;

	d->exit_code = 1;
	g_main_loop_quit(d->loop);
}

static void on_settings_read(void *user_data)
{
	Daemon *d = user_data;

	start_gate_publish_ready(d->gate);
}

static void on_reset(void *user_data)
{
	Daemon *d = user_data;

	/* The user asked: the old estimates must not come back after a
	 * restart, whenever it comes. */
	state_keeper_save(d->keeper);
}

/* The running config's state file, given to the aggregate's new engine. */
static void use_state_file(Daemon *d)
{
	Published *aggregate = running_aggregate(&d->run);

	state_keeper_use(d->keeper, d->run.cfg, published_engine(aggregate));
	published_on_reset(aggregate, on_reset);
}

/* Switches to plan (consumed): published services whose name stays keep
 * their bus name and settings and hold their values until the batteries
 * are read again; the others go, new ones start.  Then a new monitor is
 * seeded with what is known, to read the bus afresh (start_gate_start()). */
static void apply(Daemon *d, Plan *plan)
{
	GHashTable *known = plan_known_values(&d->run);
	Engine *aggregate;

	if (plan_renames(plan, &d->run))
		start_gate_renamed(d->gate);
	monitor_free(d->run.monitor);
	d->run.monitor = NULL;
	routes_free(d->run.routes);
	d->run.routes = NULL;
	plan_switch(plan, &d->run, d->conn, d->program, on_settings_read, d);
	aggregate = published_engine(running_aggregate(&d->run));
	log_set_level(d->run.cfg->log_level);
	engine_set_config_problem(aggregate, d->config_problem);
	dvcc_apply(&d->dvcc, aggregate);
	d->run.routes = routes_new(d->run.cfg, d->run.published);
	d->run.monitor = reports_monitor_new(d->reports, d->conn);
	monitor_seed(d->run.monitor, known);
}

/* ---- signals and the bus ------------------------------------------------- */

static gboolean on_reload(gpointer data)
{
	Daemon *d = data;
	g_autoptr(GError) error = NULL;
	Config *cfg = config_load(d->config_path, &error);
	Plan *plan;

	if (!cfg) {
		g_warning("reload refused, keeping the running config:\n%s", error->message);
		return G_SOURCE_CONTINUE;
	}
	plan = plan_new(cfg, d->reg, d->run.published, &error);
	if (!plan) {
		g_warning("reload refused, keeping the running config: %s", error->message);
		return G_SOURCE_CONTINUE;
	}
	g_info("reload: applying %s", d->config_path);
	if (d->config_problem)
		g_info("reload: the config has no problem now");
	d->config_problem = FALSE;
	/* The new strategies start from what the old ones learned. */
	state_keeper_save(d->keeper);
	apply(d, plan);
	use_state_file(d);
	startup_keep_good(d->config_path, d->last_good);
	start_gate_start(d->gate);
	return G_SOURCE_CONTINUE;
}

static gboolean on_signal(gpointer data)
{
	Daemon *d = data;

	g_info("stopping");
	d->exit_code = 0;
	g_main_loop_quit(d->loop);
	return G_SOURCE_CONTINUE;
}

/* Without the bus batagg is deaf: end, so that the supervisor starts it
 * again once there is a bus. */
static DBusHandlerResult on_bus_message(DBusConnection *conn, DBusMessage *msg, void *data)
{
	Daemon *d = data;

	if (dbus_message_is_signal(msg, DBUS_INTERFACE_LOCAL, "Disconnected")) {
		g_critical("lost the connection to the D-Bus daemon; exiting");
		fail(d);
	}
	return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
}

Daemon *daemon_new(Config *cfg, Registry *reg, const DaemonOptions *opts, GError **error)
{
	Daemon *d = g_new0(Daemon, 1);
	Plan *plan;

	d->reg = reg;
	d->config_path = g_strdup(opts->config_path);
	d->last_good = g_strdup(opts->last_good);
	d->config_problem = opts->config_problem;
	d->program = g_strdup(opts->program);
	d->loop = g_main_loop_new(NULL, FALSE);
	dvcc_init(&d->dvcc);
	d->gate = start_gate_new(&d->run, fail, d);
	d->reports = reports_new(&d->run, &d->dvcc, d->gate);
	d->keeper = state_keeper_new(opts->config_path, opts->state_dir);
	d->conn = dbus_glib_open(error);
	if (!d->conn) {
		config_free(cfg);
		goto fail;
	}
	dbus_connection_add_filter(d->conn, on_bus_message, d, NULL);
	plan = plan_new(cfg, d->reg, d->run.published, error);
	if (!plan)
		goto fail;
	apply(d, plan);
	use_state_file(d);
	return d;
fail:
	daemon_free(d);
	return NULL;
}

int daemon_run(Daemon *d)
{
	d->signal_sources[0] = g_unix_signal_add(SIGTERM, on_signal, d);
	d->signal_sources[1] = g_unix_signal_add(SIGINT, on_signal, d);
	d->signal_sources[2] = g_unix_signal_add(SIGHUP, on_reload, d);
	start_gate_start(d->gate);
	g_main_loop_run(d->loop);
	/* Stopped, or about to be started again: keep what was learned. */
	state_keeper_save(d->keeper);
	return d->exit_code;
}

void daemon_free(Daemon *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < G_N_ELEMENTS(d->signal_sources); i++) {
		if (d->signal_sources[i])
			g_source_remove(d->signal_sources[i]);
	}
	start_gate_free(d->gate);
	monitor_free(d->run.monitor);
	routes_free(d->run.routes);
	if (d->run.published)
		g_ptr_array_free(d->run.published, TRUE);
	reports_free(d->reports);
	if (d->conn) {
		dbus_connection_remove_filter(d->conn, on_bus_message, d);
		dbus_glib_close(d->conn);
	}
	g_main_loop_unref(d->loop);
	g_free(d->program);
	g_free(d->config_path);
	g_free(d->last_good);
	state_keeper_free(d->keeper);
	config_free(d->run.cfg);
	registry_free(d->reg);
	g_free(d);
}
