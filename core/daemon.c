/* SPDX-License-Identifier: MIT */
/*
 * The daemon's wiring: which services are members, primary or auxiliary
 * inputs (SPEC 4), the start-up sequence, reconnect timers, DVCC and the
 * user's limits, and the published service's own paths (mandatory paths,
 * /CustomName, /LogLevel).  Computation is the Engine's; D-Bus in is the
 * Monitor's and D-Bus out the BusService's.
 */
#include "daemon.h"

#include <glib-unix.h>
#include <string.h>

#include "aggregate.h"
#include "build_config.h"
#include "busitem.h"
#include "dbus_glib.h"
#include "log.h"
#include "monitor.h"
#include "paths.h"
#include "settings.h"

#define BATTERY_PREFIX "com.victronenergy.battery."
#define SYSTEM_SERVICE "com.victronenergy.system"
#define DVCC_PATH "/Control/Dvcc"
#define USER_CCL_PATH "/Settings/SystemSetup/MaxChargeCurrent"
#define USER_CVL_PATH "/Settings/SystemSetup/MaxChargeVoltage"
#define AGGREGATE_INSTANCE 1024

/* ---- strategies ---------------------------------------------------------- */

typedef struct {
	void (*destroy)(void *state);
	void *state;
} Owned;

struct Strategies {
	EngineSetup setup;
	GArray *owned; /* Owned: states to destroy */
};

typedef void *(*CreateFn)(const BataggHost *host, const BataggOption *opts, size_t n_opts,
			  char *err, size_t err_len);

/* Creates one strategy's state; FALSE with error set when create() fails. */
static gboolean create_state(Strategies *st, const char *kind, const char *name, CreateFn create,
			     void (*destroy)(void *), const BataggOption *opts, size_t n_opts,
			     void **state, GError **error)
{
	char err[256] = "";

	*state = NULL;
	if (!create)
		return TRUE;
	*state = create(log_plugin_host(), opts, n_opts, err, sizeof(err));
	if (!*state) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_INVALID,
			    "%s '%s' could not start: %s", kind, name, err[0] ? err : "no reason given");
		return FALSE;
	}
	if (destroy) {
		Owned o = { destroy, *state };

		g_array_append_val(st->owned, o);
	}
	return TRUE;
}

static const BataggMergePolicy *merge_policy(Strategies *st, Registry *reg, const char *name,
					     void **state, GError **error)
{
	const BataggMergePolicy *p = registry_lookup(reg, REGISTRY_MERGE, name, error);

	if (!p || !create_state(st, "merge policy", name, p->create, p->destroy, NULL, 0, state,
				error))
		return NULL;
	return p;
}

static const char *policy_name(const Config *cfg, int p)
{
	for (size_t i = 0; i < cfg->n_merge_policies; i++) {
		if (strcmp(cfg->merge_policies[i].path, battery_paths[p].path) == 0)
			return cfg->merge_policies[i].policy;
	}
	return battery_paths[p].policy;
}

static gboolean check_policy_paths(const Config *cfg, GError **error)
{
	for (size_t i = 0; i < cfg->n_merge_policies; i++) {
		int p = paths_find(cfg->merge_policies[i].path);

		if (p < 0 || p >= N_BATTERY_PATHS || !battery_paths[p].policy) {
			g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_UNKNOWN_NAME,
				    "mergePolicies: '%s' is not a path merged by a policy (the "
				    "limits have rules of their own)",
				    cfg->merge_policies[i].path);
			return FALSE;
		}
	}
	return TRUE;
}

static void chain_add(RatioChain *chain, const BataggRatioMethod *m, void *state)
{
	for (size_t i = 0; i < chain->n; i++) {
		if (chain->method[i] == m)
			return;
	}
	chain->method[chain->n] = m;
	chain->state[chain->n++] = state;
}

/* The configured method first, then the built-in fallbacks of SPEC 5.4. */
static gboolean setup_ratios(Strategies *st, const Config *cfg, Registry *reg, GError **error)
{
	EngineSetup *s = &st->setup;
	g_autofree char *mpe = g_strdup_printf("%.17g", cfg->ir_max_percentage_error);
	g_autofree char *mvc = g_strdup_printf("%.17g", cfg->ir_min_voltage_change);
	const BataggOption ir_opts[] = { { "maxPercentageError", mpe },
					 { "minVoltageChange", mvc } };
	const BataggRatioMethod *ir = registry_find(reg, REGISTRY_RATIO, "ir");
	const BataggRatioMethod *m;
	void *state = NULL;
	static const char *const fallbacks[] = { "capacity", "count" };

	m = registry_lookup(reg, REGISTRY_RATIO, cfg->current_ratio_method, error);
	if (!m)
		return FALSE;
	if (ir && !create_state(st, "current ratio method", "ir", ir->create, ir->destroy,
				ir_opts, G_N_ELEMENTS(ir_opts), &s->estimator_state, error))
		return FALSE;
	s->estimator = ir;
	if (m == ir) {
		state = s->estimator_state;
	} else if (!create_state(st, "current ratio method", m->name, m->create, m->destroy, NULL,
				 0, &state, error)) {
		return FALSE;
	}
	s->configured = m;
	s->configured_state = state;
	chain_add(&s->ratios, m, state);
	for (size_t i = 0; i < G_N_ELEMENTS(fallbacks); i++) {
		const BataggRatioMethod *f = registry_find(reg, REGISTRY_RATIO, fallbacks[i]);
		gboolean seen = FALSE;

		for (size_t k = 0; k < s->ratios.n; k++)
			seen = seen || s->ratios.method[k] == f;
		if (!f || seen)
			continue;
		if (!create_state(st, "current ratio method", f->name, f->create, f->destroy, NULL,
				  0, &state, error))
			return FALSE;
		chain_add(&s->ratios, f, state);
	}
	return TRUE;
}

Strategies *strategies_new(const Config *cfg, Registry *reg, GError **error)
{
	Strategies *st = g_new0(Strategies, 1);
	EngineSetup *s = &st->setup;
	const BataggCvlMode *cvl;

	st->owned = g_array_new(FALSE, FALSE, sizeof(Owned));
	s->ccl_mode = cfg->ccl_mode;
	s->has_capacity = cfg->has_capacity;
	s->capacity = cfg->capacity;
	if (!check_policy_paths(cfg, error))
		goto fail;
	for (int p = 0; p < N_BATTERY_PATHS; p++) {
		const char *name = policy_name(cfg, p);

		if (!name)
			continue;
		s->policy[p] = merge_policy(st, reg, name, &s->policy_state[p], error);
		if (!s->policy[p])
			goto fail;
	}
	s->first = merge_policy(st, reg, "first", &s->first_state, error);
	if (!s->first || !setup_ratios(st, cfg, reg, error))
		goto fail;
	cvl = registry_lookup(reg, REGISTRY_CVL, cfg->cvl_mode, error);
	if (!cvl || !create_state(st, "CVL mode", cvl->name, cvl->create, cvl->destroy, NULL, 0,
				  &s->cvl_state, error))
		goto fail;
	s->cvl = cvl;
	return st;
fail:
	strategies_free(st);
	return NULL;
}

const EngineSetup *strategies_setup(Strategies *st)
{
	return &st->setup;
}

void strategies_free(Strategies *st)
{
	if (!st)
		return;
	for (guint i = st->owned->len; i-- > 0;) {
		Owned *o = &g_array_index(st->owned, Owned, i);

		o->destroy(o->state);
	}
	g_array_free(st->owned, TRUE);
	g_free(st);
}

/* ---- the daemon ---------------------------------------------------------- */

/* A battery service we follow: its engine input, and while it is gone, the
 * timer that drops it for good. */
typedef struct {
	EngineInput *input;
	guint drop_timer;
} Followed;

struct Daemon {
	Config *cfg;
	Registry *reg;
	Strategies *strategies;
	char *program;

	GMainLoop *loop;
	int exit_code;
	DBusConnection *conn;
	Monitor *monitor;
	Engine *engine;
	Settings *settings;
	BusService *svc; /* NULL until published */

	GHashTable *followed; /* service name -> Followed */
	const char *settings_paths[5];
	char *name_group;

	guint startup_timer;
	int startup_attempts;
	guint signal_sources[2];
};

static const char *const system_paths[] = { DVCC_PATH, NULL };

static void followed_free(gpointer data)
{
	Followed *f = data;

	if (f->drop_timer)
		g_source_remove(f->drop_timer);
	g_free(f);
}

/* The config entry (primary or auxiliary) that names this service, if any:
 * by exact name, or "name:X" for a service whose /CustomName is X. */
static const ConfigService *find_entry(const ConfigService *list, size_t n, const char *service,
				       const char *custom_name, int *rank)
{
	for (size_t i = 0; i < n; i++) {
		const char *name = list[i].name;

		if (strcmp(name, service) == 0 ||
		    (custom_name && g_str_has_prefix(name, "name:") &&
		     strcmp(name + 5, custom_name) == 0)) {
			*rank = (int)i;
			return &list[i];
		}
	}
	return NULL;
}

static gboolean names_match(char **names, const char *service, const char *custom_name)
{
	for (size_t i = 0; names && names[i]; i++) {
		if (strcmp(names[i], service) == 0 ||
		    (custom_name && g_str_has_prefix(names[i], "name:") &&
		     strcmp(names[i] + 5, custom_name) == 0))
			return TRUE;
	}
	return FALSE;
}

static gboolean is_virtual_member(const Config *cfg, const char *service, const char *custom_name)
{
	for (size_t v = 0; v < cfg->n_virtuals; v++) {
		const ConfigVirtual *vb = &cfg->virtuals[v];
		int rank;

		if (find_entry(vb->members, vb->n_members, service, custom_name, &rank))
			return TRUE;
	}
	return FALSE;
}

static const char *custom_name_of(const MonitorItem *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(items[i].path, "/CustomName") == 0 && items[i].value.type == VALUE_TEXT)
			return items[i].value.u.s;
	}
	return NULL;
}

static MonitorInterest want(void *user_data, const char *service, const char *const **paths)
{
	Daemon *d = user_data;

	if (strcmp(service, SYSTEM_SERVICE) == 0) {
		*paths = system_paths;
		return MONITOR_PATHS;
	}
	if (strcmp(service, SETTINGS_SERVICE) == 0) {
		*paths = (const char *const *)d->settings_paths;
		return MONITOR_PATHS;
	}
	if (g_str_has_prefix(service, BATTERY_PREFIX) &&
	    strcmp(service, d->cfg->service_name) != 0)
		return MONITOR_ALL;
	return MONITOR_IGNORE;
}

static void set_number_setting(Daemon *d, const char *path, const Value *v)
{
	double x;
	gboolean valid = value_number(v, &x);

	if (strcmp(path, DVCC_PATH) == 0)
		engine_set_dvcc(d->engine, valid && x == 1);
	else if (strcmp(path, USER_CCL_PATH) == 0)
		engine_set_user_ccl(d->engine, valid ? x : -1);
	else if (strcmp(path, USER_CVL_PATH) == 0)
		engine_set_user_cvl(d->engine, valid ? x : 0);
}

static void settings_changed(Daemon *d, const char *path, const Value *v)
{
	if (d->settings && strcmp(path, settings_instance_path(d->settings)) == 0) {
		int instance = v->type == VALUE_TEXT ? settings_parse_instance(v->u.s) : -1;

		if (instance >= 0 && d->svc) {
			Value n = value_int(instance);

			bus_service_set(d->svc, "/DeviceInstance", &n);
		}
	} else if (d->settings && strcmp(path, settings_name_path(d->settings)) == 0) {
		if (v->type == VALUE_TEXT && d->svc)
			bus_service_set(d->svc, "/CustomName", v);
	} else {
		set_number_setting(d, path, v);
	}
}

/* Decides what a newly seen battery service is to the aggregate. */
static EngineInput *classify(Daemon *d, const char *service, const MonitorItem *items, size_t n)
{
	const Config *cfg = d->cfg;
	const char *custom_name = custom_name_of(items, n);
	const ConfigService *entry;
	int rank;

	if (names_match(cfg->excluded, service, custom_name) ||
	    is_virtual_member(cfg, service, custom_name))
		return NULL;
	entry = find_entry(cfg->primary, cfg->n_primary, service, custom_name, &rank);
	if (entry)
		return engine_add_input(d->engine, ROLE_PRIMARY, service, rank,
					(const char *const *)entry->paths);
	entry = find_entry(cfg->auxiliary, cfg->n_auxiliary, service, custom_name, &rank);
	if (entry)
		return engine_add_input(d->engine, ROLE_AUXILIARY, service, rank,
					(const char *const *)entry->paths);
	g_info("member joined: %s", service);
	return engine_add_input(d->engine, ROLE_MEMBER, service, 0, NULL);
}

static void apply_items(Daemon *d, EngineInput *input, const MonitorItem *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		engine_input_set(d->engine, input, items[i].path, &items[i].value);
	engine_flush(d->engine);
}

static void on_added(void *user_data, const char *service, const MonitorItem *items, size_t n)
{
	Daemon *d = user_data;
	Followed *f;

	if (!g_str_has_prefix(service, BATTERY_PREFIX)) {
		for (size_t i = 0; i < n; i++)
			settings_changed(d, items[i].path, &items[i].value);
		engine_flush(d->engine);
		return;
	}
	f = g_hash_table_lookup(d->followed, service);
	if (f && f->drop_timer) {
		/* Back within reconnectTimeout: it stays a member, and its fresh
		 * values replace the kept ones at once. */
		g_source_remove(f->drop_timer);
		f->drop_timer = 0;
		g_info("member reconnected: %s", service);
		engine_reset_input(d->engine, f->input);
	} else {
		EngineInput *input = classify(d, service, items, n);

		if (!input) {
			g_info("not aggregated: %s (excluded by the config)", service);
			return;
		}
		f = g_new0(Followed, 1);
		f->input = input;
		g_hash_table_replace(d->followed, g_strdup(service), f);
	}
	apply_items(d, f->input, items, n);
}

static void on_changed(void *user_data, const char *service, const MonitorItem *items, size_t n)
{
	Daemon *d = user_data;
	Followed *f = g_hash_table_lookup(d->followed, service);

	if (f) {
		apply_items(d, f->input, items, n);
		return;
	}
	if (!g_str_has_prefix(service, BATTERY_PREFIX)) {
		for (size_t i = 0; i < n; i++)
			settings_changed(d, items[i].path, &items[i].value);
		engine_flush(d->engine);
	}
}

static void drop(Daemon *d, const char *service)
{
	Followed *f = g_hash_table_lookup(d->followed, service);

	if (!f)
		return;
	g_info("member left: %s", service);
	engine_remove_input(d->engine, f->input);
	g_hash_table_remove(d->followed, service);
	engine_flush(d->engine);
}

typedef struct {
	Daemon *d;
	char *service;
} DropLater;

static void drop_later_free(gpointer data)
{
	DropLater *dl = data;

	g_free(dl->service);
	g_free(dl);
}

static gboolean on_drop_timer(gpointer data)
{
	DropLater *dl = data;
	Followed *f = g_hash_table_lookup(dl->d->followed, dl->service);

	if (f)
		f->drop_timer = 0;
	drop(dl->d, dl->service);
	return G_SOURCE_REMOVE;
}

static void on_removed(void *user_data, const char *service)
{
	Daemon *d = user_data;
	Followed *f = g_hash_table_lookup(d->followed, service);
	DropLater *dl;

	if (!f) {
		if (strcmp(service, SYSTEM_SERVICE) == 0)
			engine_set_dvcc(d->engine, FALSE);
		engine_flush(d->engine);
		return;
	}
	if (engine_input_role(f->input) != ROLE_MEMBER || d->cfg->reconnect_timeout <= 0) {
		drop(d, service);
		return;
	}
	g_info("member vanished: %s; keeping its values for %d s", service,
	       d->cfg->reconnect_timeout);
	dl = g_new0(DropLater, 1);
	dl->d = d;
	dl->service = g_strdup(service);
	f->drop_timer = g_timeout_add_seconds_full(G_PRIORITY_DEFAULT, d->cfg->reconnect_timeout,
						   on_drop_timer, dl, drop_later_free);
}

static void on_publish(void *user_data, const char *path, const Value *v)
{
	Daemon *d = user_data;

	if (d->svc)
		bus_service_set(d->svc, path, v);
}

/* ---- the published service's own paths ----------------------------------- */

static gboolean write_custom_name(BusService *svc, const char *path, const Value *v, void *ud)
{
	Daemon *d = ud;

	if (v->type != VALUE_TEXT)
		return FALSE;
	if (d->settings)
		settings_write_name(d->settings, v->u.s);
	return TRUE;
}

static gboolean write_log_level(BusService *svc, const char *path, const Value *v, void *ud)
{
	if (v->type != VALUE_TEXT || !log_set_level(v->u.s)) {
		g_warning("refused /LogLevel write: not one of DEBUG, INFO, WARNING, ERROR, "
			  "CRITICAL, NOTSET");
		return FALSE;
	}
	g_info("log level is now %s", v->u.s);
	return TRUE;
}

static void add_text(BusService *svc, const char *path, const char *text, BusWriteFn fn, void *ud)
{
	Value v = value_text(text);

	bus_service_add(svc, path, &v, UNIT_NONE, fn, ud);
	value_clear(&v);
}

static void add_int(BusService *svc, const char *path, int64_t i)
{
	Value v = value_int(i);

	bus_service_add(svc, path, &v, UNIT_NONE, NULL, NULL);
}

static void publish_service(void *user_data, int instance, const char *custom_name)
{
	Daemon *d = user_data;
	g_autoptr(GError) error = NULL;
	BusService *svc = bus_service_new(d->conn, d->cfg->service_name);

	add_text(svc, "/Mgmt/ProcessName", d->program, NULL, NULL);
	add_text(svc, "/Mgmt/ProcessVersion", BATAGG_VERSION, NULL, NULL);
	add_text(svc, "/Mgmt/Connection", "dbus", NULL, NULL);
	add_int(svc, "/DeviceInstance", instance);
	add_int(svc, "/ProductId", 0);
	add_text(svc, "/ProductName", "Battery Aggregator", NULL, NULL);
	add_int(svc, "/FirmwareVersion", 0);
	add_int(svc, "/HardwareVersion", 0);
	add_int(svc, "/Connected", 1);
	add_text(svc, "/CustomName", custom_name, write_custom_name, d);
	add_text(svc, "/LogLevel", log_level_name(), write_log_level, d);
	engine_flush(d->engine);
	for (int i = 0; i < N_PUBLISHED; i++)
		bus_service_add(svc, engine_published_path(i), engine_published(d->engine, i),
				engine_published_unit(i), NULL, NULL);
	if (!bus_service_register(svc, &error)) {
		g_critical("cannot publish %s: %s", d->cfg->service_name, error->message);
		bus_service_free(svc);
		d->exit_code = 1;
		g_main_loop_quit(d->loop);
		return;
	}
	d->svc = svc;
	g_info("published %s (device instance %d) with %zu batteries", d->cfg->service_name,
	       instance, engine_member_count(d->engine));
}

static gboolean on_startup_check(gpointer data)
{
	Daemon *d = data;

	if (engine_has_voltage(d->engine)) {
		d->startup_timer = 0;
		engine_sort_members(d->engine);
		d->settings = settings_new(d->conn, "BatteryAggregator", AGGREGATE_INSTANCE,
					   d->name_group, publish_service, d);
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
	d->exit_code = 1;
	g_main_loop_quit(d->loop);
	return G_SOURCE_REMOVE;
}

static gboolean on_signal(gpointer data)
{
	Daemon *d = data;

	g_info("stopping");
	d->exit_code = 0;
	g_main_loop_quit(d->loop);
	return G_SOURCE_CONTINUE;
}

Daemon *daemon_new(Config *cfg, Registry *reg, const char *program, GError **error)
{
	Daemon *d = g_new0(Daemon, 1);
	static const MonitorCallbacks callbacks = {
		.want = want,
		.added = on_added,
		.changed = on_changed,
		.removed = on_removed,
	};
	const char *last;

	d->cfg = cfg;
	d->reg = reg;
	d->program = g_strdup(program);
	d->followed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, followed_free);
	d->strategies = strategies_new(cfg, reg, error);
	if (!d->strategies)
		goto fail;
	last = strrchr(cfg->service_name, '.');
	d->name_group = g_strdup(last ? last + 1 : cfg->service_name);
	d->settings_paths[0] = USER_CCL_PATH;
	d->settings_paths[1] = USER_CVL_PATH;
	d->settings_paths[2] = "/Settings/Devices/BatteryAggregator/ClassAndVrmInstance";
	d->settings_paths[3] = g_strdup_printf("/Settings/Battery/%s/CustomName", d->name_group);
	d->conn = dbus_glib_open(error);
	if (!d->conn)
		goto fail;
	d->engine = engine_new(strategies_setup(d->strategies), on_publish, d);
	d->loop = g_main_loop_new(NULL, FALSE);
	d->monitor = monitor_new(d->conn, &callbacks, d);
	return d;
fail:
	daemon_free(d);
	return NULL;
}

int daemon_run(Daemon *d)
{
	d->signal_sources[0] = g_unix_signal_add(SIGTERM, on_signal, d);
	d->signal_sources[1] = g_unix_signal_add(SIGINT, on_signal, d);
	monitor_start(d->monitor);
	d->startup_timer = g_timeout_add_seconds(1, on_startup_check, d);
	g_main_loop_run(d->loop);
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
	if (d->svc)
		bus_service_free(d->svc);
	settings_free(d->settings);
	if (d->monitor)
		monitor_free(d->monitor);
	g_hash_table_destroy(d->followed);
	engine_free(d->engine);
	strategies_free(d->strategies);
	if (d->conn)
		dbus_glib_close(d->conn);
	if (d->loop)
		g_main_loop_unref(d->loop);
	g_free((char *)d->settings_paths[3]);
	g_free(d->name_group);
	g_free(d->program);
	config_free(d->cfg);
	registry_free(d->reg);
	g_free(d);
}
