/* SPDX-License-Identifier: MIT */
/*
 * The daemon's wiring: the monitor's reports go to the routes (batteries),
 * the DVCC inputs and the published services' settings; the published
 * services go on the bus when their limits are known (SPEC 4); a reload
 * builds the whole new configuration before anything switches; losing the
 * bus ends the process so that its supervisor starts it again.
 */
#include "daemon/daemon.h"

#include <glib-unix.h>
#include <string.h>

#include "bus/dbus_glib.h"
#include "daemon/dvcc.h"
#include "base/log.h"
#include "daemon/routes.h"
#include "bus/monitor.h"
#include "base/names.h"
#include "daemon/published.h"
#include "bus/settings.h"
#include "daemon/startup.h"
#include "engine/state_file.h"
#include "strategies/strategies.h"

/* How long a battery's first read may take before the published services
 * go on without it (it joins when it answers). */
#define SETTLE_TIMEOUT_S 5
/* What the strategies learned goes to flash at most this often (and when
 * batagg stops or reloads): flash memory wears. */
#define SAVE_INTERVAL_S 60

struct Daemon {
	Config *cfg;
	char *config_path;
	char *last_good;
	gboolean config_problem; /* cfg is not the file as written */
	Registry *reg;
	char *program;
	char *state_dir;

	/* What the aggregate's strategies learned (state_file.h), and where
	 * it is kept: both NULL when nothing is kept (stateFile false). */
	StateFile *state;
	char *state_path;
	gboolean state_chosen; /* state_path is the running config's */
	guint save_timer;
	gboolean save_failed; /* said once, until a save succeeds again */

	GMainLoop *loop;
	int exit_code;
	DBusConnection *conn; /* the monitor's, and the aggregate's */
	Monitor *monitor;
	Routes *routes;
	GPtrArray *published; /* Published *: [0] the aggregate, [1 + i] virtual battery i */
	Dvcc dvcc;
	const char **settings_paths; /* NULL-terminated: what the monitor reads in localsettings */

	guint startup_timer;
	int startup_attempts;
	gboolean voltage_seen; /* a member had a voltage: the aggregate may publish */
	/* Every battery known when the monitor started has been read (or did not
	 * answer in SETTLE_TIMEOUT_S): only then are limits known. */
	gboolean reads_done;
	guint settle_timer;
	guint signal_sources[3];
};

#define AGGREGATE(d) ((Published *)(d)->published->pdata[0])

static const char *const system_paths[] = {DVCC_PATH, NULL};

static void fail(Daemon *d)
{
	d->exit_code = 1;
	g_main_loop_quit(d->loop);
}

/* ---- when limits are known ----------------------------------------------- */

/* Every virtual battery is on the bus and has been read by the monitor:
 * the aggregate, whose members they are, knows their limits. */
static gboolean virtuals_read(Daemon *d)
{
	for (guint i = 1; i < d->published->len; i++) {
		Published *v = d->published->pdata[i];

		if (!published_on_bus(v) || !routes_known(d->routes, published_name(v)))
			return FALSE;
	}
	return TRUE;
}

/* Limits are published only when they are known: every battery known at
 * the start (or the reload) has been read, and for the aggregate, a member
 * has a voltage and the virtual batteries are read. */
static gboolean limits_known(Daemon *d, Published *p)
{
	if (!d->reads_done)
		return FALSE;
	return !published_is_aggregate(p) || (d->voltage_seen && virtuals_read(d));
}

/* Publishes (or, after a reload, stops holding) every service whose
 * settings are read and whose limits are known. */
static void publish_ready(Daemon *d)
{
	for (guint i = 0; i < d->published->len; i++) {
		Published *p = d->published->pdata[i];
		g_autoptr(GError) error = NULL;

		if (!limits_known(d, p))
			continue;
		if (published_held(p)) {
			published_release(p);
		} else if (!published_on_bus(p) && published_settings_read(p)) {
			if (!published_register(p, &error)) {
				g_critical("cannot publish %s: %s", published_name(p),
				           error->message);
				fail(d);
				return;
			}
			if (published_is_aggregate(p))
				routes_warn_unresolved(d->routes);
		}
	}
}

static void on_settings_read(void *user_data)
{
	publish_ready(user_data);
}

static gboolean on_settle_timeout(gpointer data)
{
	Daemon *d = data;
	g_auto(GStrv) slow = monitor_reading(d->monitor);

	d->settle_timer = 0;
	for (size_t i = 0; slow[i]; i++)
		g_warning("%s did not answer its first read in %d s; going on without it (it "
		          "joins when it answers)",
		          slow[i], SETTLE_TIMEOUT_S);
	d->reads_done = TRUE;
	publish_ready(d);
	return G_SOURCE_REMOVE;
}

static gboolean on_startup_check(gpointer data)
{
	Daemon *d = data;

	if (engine_has_voltage(published_engine(AGGREGATE(d)))) {
		d->startup_timer = 0;
		d->voltage_seen = TRUE;
		publish_ready(d);
		return G_SOURCE_REMOVE;
	}
	if (++d->startup_attempts < d->cfg->startup_battery_wait) {
		g_info("waiting for batteries (check %d of %d)", d->startup_attempts,
		       d->cfg->startup_battery_wait);
		return G_SOURCE_CONTINUE;
	}
	g_warning("no battery with a voltage appeared after %d checks; exiting",
	          d->cfg->startup_battery_wait);
	d->startup_timer = 0;
	fail(d);
	return G_SOURCE_REMOVE;
}

/* ---- the monitor's reports ----------------------------------------------- */

static MonitorInterest want(void *user_data, const char *service, const char *const **paths)
{
	Daemon *d = user_data;

	if (strcmp(service, SYSTEM_SERVICE) == 0) {
		*paths = system_paths;
		return MONITOR_PATHS;
	}
	if (strcmp(service, SETTINGS_SERVICE) == 0) {
		*paths = d->settings_paths;
		return MONITOR_PATHS;
	}
	/* A virtual battery is followed like any battery: the aggregate
	 * aggregates it. */
	if (g_str_has_prefix(service, NAMES_BATTERY_PREFIX) &&
	    strcmp(service, published_name(AGGREGATE(d))) != 0)
		return MONITOR_ALL;
	return MONITOR_IGNORE;
}

/* A value of the system or settings service: DVCC, or a published
 * service's device instance or custom name. */
static void system_values(Daemon *d, const PathValue *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (dvcc_set(&d->dvcc, items[i].path, &items[i].value))
			continue;
		for (guint k = 0; k < d->published->len; k++) {
			if (published_setting(d->published->pdata[k], items[i].path,
			                      &items[i].value))
				break;
		}
	}
	dvcc_apply(&d->dvcc, published_engine(AGGREGATE(d)));
	published_changed(AGGREGATE(d));
}

static void on_added(void *user_data, const char *service, const PathValue *items, size_t n)
{
	Daemon *d = user_data;

	if (g_str_has_prefix(service, NAMES_BATTERY_PREFIX)) {
		routes_added(d->routes, service, items, n);
		return;
	}
	/* Back after a restart, or there at last: it may have lost (or never
	 * had) our settings. */
	for (guint k = 0; strcmp(service, SETTINGS_SERVICE) == 0 && k < d->published->len; k++)
		published_settings_back(d->published->pdata[k]);
	system_values(d, items, n);
}

static void on_changed(void *user_data, const char *service, const PathValue *items, size_t n)
{
	Daemon *d = user_data;

	if (g_str_has_prefix(service, NAMES_BATTERY_PREFIX))
		routes_changed(d->routes, service, items, n);
	else
		system_values(d, items, n);
}

/* A vanished system or settings service keeps its last values: a
 * restarting systemcalc must not lift the user's limits. */
static void on_removed(void *user_data, const char *service)
{
	Daemon *d = user_data;

	if (g_str_has_prefix(service, NAMES_BATTERY_PREFIX)) {
		routes_removed(d->routes, service);
		return;
	}
	g_info("%s vanished; keeping the last DVCC state and limits it gave", service);
	for (guint k = 0; strcmp(service, SETTINGS_SERVICE) == 0 && k < d->published->len; k++)
		published_settings_lost(d->published->pdata[k]);
}

static void on_monitor_settled(void *user_data)
{
	Daemon *d = user_data;

	d->reads_done = TRUE;
	if (d->settle_timer) {
		g_source_remove(d->settle_timer);
		d->settle_timer = 0;
	}
	publish_ready(d);
}

static const MonitorCallbacks callbacks = {
        .want = want,
        .added = on_added,
        .changed = on_changed,
        .removed = on_removed,
        .settled = on_monitor_settled,
};

/* ---- what the strategies learned ----------------------------------------- */

/* Writes the state file; a failure is said once, until a write works. */
static void write_state(Daemon *d)
{
	g_autoptr(GError) error = NULL;

	if (!state_file_write(d->state, d->state_path, &error)) {
		if (!d->save_failed)
			g_warning(
			        "cannot keep what batagg learned about the batteries: %s (it tries "
			        "again every %d s)",
			        error->message, SAVE_INTERVAL_S);
		d->save_failed = TRUE;
		return;
	}
	if (d->save_failed)
		g_info("state file %s written again", d->state_path);
	else
		g_debug("state file %s written", d->state_path);
	d->save_failed = FALSE;
}

/* Keeps what the aggregate's strategies learned, when it changed. */
static void save_state(Daemon *d)
{
	if (!d->state)
		return;
	engine_save_state(published_engine(AGGREGATE(d)));
	if (state_file_dirty(d->state) || d->save_failed)
		write_state(d);
}

static gboolean on_save_timer(gpointer data)
{
	save_state(data);
	return G_SOURCE_CONTINUE;
}

static void on_reset(void *user_data)
{
	/* The user asked: the old estimates must not come back after a
	 * restart, whenever it comes. */
	save_state(user_data);
}

/* Where the running config keeps the state file, or NULL. */
static char *state_path_of(const Daemon *d)
{
	if (d->cfg->state_file_off)
		return NULL;
	if (d->cfg->state_file)
		return g_strdup(d->cfg->state_file);
	return startup_state_path(d->config_path, d->state_dir);
}

/* The state file at path, or (said once: it is read at start, or when a
 * reload names another file) an empty state when it cannot be used; the
 * next save replaces it. */
static StateFile *read_state(const char *path)
{
	g_autoptr(GError) error = NULL;
	StateFile *sf = state_file_load(path, &error);

	if (!sf) {
		g_warning("%s: ignored (the batteries' resistances are learned afresh, and the "
		          "file is replaced at the next save)",
		          error->message);
		return state_file_new();
	}
	g_info("state file %s: saved state of %u batteries", path, state_file_len(sf));
	return sf;
}

/* The running config's state file, given to the aggregate's new engine.
 * Read at start; a reload that names another file moves what batagg knows
 * there (written at once), one that turns it off (stateFile false) drops
 * it, one that turns it on reads the file. */
static void use_state_file(Daemon *d)
{
	g_autofree char *path = state_path_of(d);

	if (!d->state_chosen || g_strcmp0(path, d->state_path) != 0) {
		gboolean moving = d->state && path;

		d->state_chosen = TRUE;
		g_free(d->state_path);
		d->state_path = g_steal_pointer(&path);
		if (d->save_timer)
			g_source_remove(d->save_timer);
		d->save_timer = 0;
		d->save_failed = FALSE;
		if (!d->state_path) {
			state_file_free(d->state);
			d->state = NULL;
			g_info("stateFile is false: what batagg learns about the batteries is not "
			       "kept");
		} else if (moving) {
			/* Said once it is there (a test waits for the line). */
			write_state(d);
			g_info("state file: now %s", d->state_path);
		} else {
			d->state = read_state(d->state_path);
		}
		if (d->state_path)
			d->save_timer = g_timeout_add_seconds(SAVE_INTERVAL_S, on_save_timer, d);
	}
	engine_use_state(published_engine(AGGREGATE(d)), d->state);
	published_on_reset(AGGREGATE(d), on_reset);
}

/* ---- building a configuration -------------------------------------------- */

/* Everything a config needs that can fail, made before anything switches:
 * the strategies of every published service, and a connection for each
 * virtual battery that is not published yet. */
typedef struct {
	Config *cfg;
	size_t n;                /* 1 + cfg->n_virtuals */
	Strategies **strategies; /* [0] the aggregate's, [1 + i] virtual battery i's */
	DBusConnection **conns;  /* [1 + i]: a new connection, or NULL */
} Plan;

static void plan_free(Plan *plan)
{
	for (size_t i = 0; i < plan->n; i++) {
		strategies_free(plan->strategies[i]);
		if (plan->conns[i])
			dbus_glib_close(plan->conns[i]);
	}
	g_free(plan->strategies);
	g_free(plan->conns);
	config_free(plan->cfg);
	g_free(plan);
}

/* The published service of that name and kind, or NULL. */
static Published *find_published(Daemon *d, const char *name, gboolean aggregate)
{
	for (guint i = 0; d->published && i < d->published->len; i++) {
		Published *p = d->published->pdata[i];

		if (published_is_aggregate(p) == aggregate && strcmp(published_name(p), name) == 0)
			return p;
	}
	return NULL;
}

/* Takes cfg; NULL with error set when something the config needs fails. */
static Plan *plan_new(Daemon *d, Config *cfg, GError **error)
{
	Plan *plan = g_new0(Plan, 1);

	plan->cfg = cfg;
	plan->n = 1 + cfg->n_virtuals;
	plan->strategies = g_new0(Strategies *, plan->n);
	plan->conns = g_new0(DBusConnection *, plan->n);
	plan->strategies[0] = strategies_new(cfg, d->reg, error);
	if (!plan->strategies[0] || !strategies_check_options(d->reg, cfg, FALSE, error))
		goto fail;
	for (size_t v = 0; v < cfg->n_virtuals; v++) {
		plan->strategies[1 + v] = strategies_new_virtual(cfg, v, d->reg, error);
		if (!plan->strategies[1 + v])
			goto fail;
		/* One object tree per connection: a virtual battery has its own. */
		if (!find_published(d, cfg->virtuals[v].name, FALSE)) {
			plan->conns[1 + v] = dbus_glib_open(error);
			if (!plan->conns[1 + v])
				goto fail;
		}
	}
	return plan;
fail:
	plan_free(plan);
	return NULL;
}

static void build_settings_paths(Daemon *d)
{
	guint k = 0;

	g_free(d->settings_paths);
	d->settings_paths = g_new0(const char *, 3 + 2 * d->published->len);
	d->settings_paths[k++] = USER_CCL_PATH;
	d->settings_paths[k++] = USER_CVL_PATH;
	for (guint i = 0; i < d->published->len; i++) {
		d->settings_paths[k++] = published_instance_path(d->published->pdata[i]);
		d->settings_paths[k++] = published_name_path(d->published->pdata[i]);
	}
}

/* Takes the published service of that name and kind out of old, or makes
 * a new one. */
static Published *reuse(Daemon *d, GPtrArray *old, const char *name, int index, gboolean series,
                        DBusConnection *conn)
{
	for (guint i = 0; old && i < old->len; i++) {
		Published *p = old->pdata[i];

		if (published_is_aggregate(p) == (index < 0) &&
		    strcmp(published_name(p), name) == 0) {
			g_ptr_array_steal_index(old, i);
			published_set_index(p, index, series);
			return p;
		}
	}
	return published_new(name, index, series, conn, d->program, on_settings_read, d);
}

typedef struct {
	Monitor *mon;
	GHashTable *known;
} Known;

static void keep_value(void *user_data, const char *service, const char *path, const Value *v)
{
	Known *k = user_data;
	MonitorKnown *mk = monitor_known(k->mon, k->known, service);

	if (mk)
		items_add(mk->items, path, v);
}

/* What the running monitor and engines know of every battery service, for
 * the next monitor (monitor_seed()): while the bus is read again after a
 * reload, the new engines compute from it, and a change that makes the
 * system safer goes out at once (published.c). */
static GHashTable *known_values(Daemon *d)
{
	Known k = {.mon = d->monitor, .known = monitor_known_new()};

	for (guint i = 0; d->published && i < d->published->len; i++)
		engine_each_value(published_engine(d->published->pdata[i]), keep_value, &k);
	return k.known;
}

/* Switches to plan (consumed): published services whose name stays keep
 * their bus name and settings and hold their values until the members are
 * read again; the others go, new ones start.  Then the monitor reads the
 * bus afresh (start()). */
static void apply(Daemon *d, Plan *plan)
{
	GPtrArray *old = d->published;
	const Config *cfg = plan->cfg;
	GHashTable *known = known_values(d);

	/* A new name is a new service: it waits for a voltage as at start-up. */
	if (old && strcmp(published_name(old->pdata[0]), cfg->service_name) != 0)
		d->voltage_seen = FALSE;
	monitor_free(d->monitor);
	routes_free(d->routes);
	d->published = g_ptr_array_new_with_free_func((GDestroyNotify)published_free);
	for (size_t i = 0; i < plan->n; i++) {
		const char *name = i == 0 ? cfg->service_name : cfg->virtuals[i - 1].name;
		DBusConnection *conn = i == 0 ? d->conn : plan->conns[i];
		Published *p =
		        reuse(d, old, name, (int)i - 1, i > 0 && cfg->virtuals[i - 1].series, conn);

		published_use(p, plan->strategies[i]);
		published_set_cadence(p, cfg->publish_interval, cfg->properties_changed);
		plan->strategies[i] = NULL;
		/* The published service holds its own reference now. */
		if (plan->conns[i])
			dbus_connection_unref(plan->conns[i]);
		plan->conns[i] = NULL;
		g_ptr_array_add(d->published, p);
	}
	if (old)
		g_ptr_array_free(old, TRUE);
	config_free(d->cfg);
	d->cfg = plan->cfg;
	plan->cfg = NULL;
	plan_free(plan);
	log_set_level(d->cfg->log_level);
	engine_set_config_problem(published_engine(AGGREGATE(d)), d->config_problem);
	dvcc_apply(&d->dvcc, published_engine(AGGREGATE(d)));
	build_settings_paths(d);
	d->routes = routes_new(d->cfg, d->published);
	d->monitor = monitor_new(d->conn, &callbacks, d);
	monitor_seed(d->monitor, known);
}

/* Reads the bus afresh; each published service goes on the bus once its
 * settings are read and its limits known (publish_ready). */
static void start(Daemon *d)
{
	d->reads_done = FALSE;
	if (d->settle_timer)
		g_source_remove(d->settle_timer);
	d->settle_timer = g_timeout_add_seconds(SETTLE_TIMEOUT_S, on_settle_timeout, d);
	/* The services known from before a reload join at once (monitor_seed()):
	 * the engines compute from all of them or none. */
	for (guint i = 0; i < d->published->len; i++)
		published_defer(d->published->pdata[i], TRUE);
	monitor_start(d->monitor);
	for (guint i = 0; i < d->published->len; i++)
		published_defer(d->published->pdata[i], FALSE);
	if (!published_on_bus(AGGREGATE(d)) && !d->voltage_seen && !d->startup_timer) {
		d->startup_attempts = 0;
		d->startup_timer = g_timeout_add_seconds(1, on_startup_check, d);
	}
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
	plan = plan_new(d, cfg, &error);
	if (!plan) {
		g_warning("reload refused, keeping the running config: %s", error->message);
		return G_SOURCE_CONTINUE;
	}
	g_info("reload: applying %s", d->config_path);
	if (d->config_problem)
		g_info("reload: the config has no problem now");
	d->config_problem = FALSE;
	/* The new strategies start from what the old ones learned. */
	save_state(d);
	apply(d, plan);
	use_state_file(d);
	startup_keep_good(d->config_path, d->last_good);
	start(d);
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
	d->state_dir = g_strdup(opts->state_dir);
	d->loop = g_main_loop_new(NULL, FALSE);
	dvcc_init(&d->dvcc);
	d->conn = dbus_glib_open(error);
	if (!d->conn) {
		config_free(cfg);
		goto fail;
	}
	dbus_connection_add_filter(d->conn, on_bus_message, d, NULL);
	plan = plan_new(d, cfg, error);
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
	start(d);
	g_main_loop_run(d->loop);
	/* Stopped, or about to be started again: keep what was learned. */
	save_state(d);
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
	if (d->startup_timer)
		g_source_remove(d->startup_timer);
	if (d->settle_timer)
		g_source_remove(d->settle_timer);
	if (d->save_timer)
		g_source_remove(d->save_timer);
	monitor_free(d->monitor);
	routes_free(d->routes);
	if (d->published)
		g_ptr_array_free(d->published, TRUE);
	if (d->conn) {
		dbus_connection_remove_filter(d->conn, on_bus_message, d);
		dbus_glib_close(d->conn);
	}
	g_main_loop_unref(d->loop);
	g_free(d->settings_paths);
	g_free(d->program);
	g_free(d->config_path);
	g_free(d->last_good);
	g_free(d->state_dir);
	g_free(d->state_path);
	state_file_free(d->state);
	config_free(d->cfg);
	registry_free(d->reg);
	g_free(d);
}
