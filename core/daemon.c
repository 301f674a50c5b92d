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
#include <math.h>
#include <string.h>

#include "aggregate.h"
#include "build_config.h"
#include "busitem.h"
#include "dbus_glib.h"
#include "log.h"
#include "monitor.h"
#include "paths.h"
#include "settings.h"
#include "strategies.h"

#define BATTERY_PREFIX "com.victronenergy.battery."
#define SYSTEM_SERVICE "com.victronenergy.system"
#define DVCC_PATH "/Control/Dvcc"
#define USER_CCL_PATH "/Settings/SystemSetup/MaxChargeCurrent"
#define USER_CVL_PATH "/Settings/SystemSetup/MaxChargeVoltage"
#define AGGREGATE_INSTANCE 1024
#define VIRTUAL_INSTANCE_BASE 1056
/* How long a battery's first read may take before the published services
 * go on without it (it joins when it answers). */
#define SETTLE_TIMEOUT_S 5

/* ---- the daemon ---------------------------------------------------------- */

/* One service batagg publishes: the aggregate, or a virtual battery. */
typedef struct {
	Daemon *d;
	int index;           /* -1: the aggregate; else the virtual battery's index */
	char *name;          /* bus name */
	const char *product; /* /ProductName */
	char *device;        /* localsettings device id */
	int instance;        /* preferred device instance */
	char *name_group;    /* last part of the bus name */
	char *instance_setting;
	char *name_setting;
	DBusConnection *conn; /* a connection of its own: one object tree each */
	Strategies *strategies;
	Engine *engine;
	Settings *settings;
	gboolean settings_read; /* read_instance and read_name hold what was read */
	int read_instance;
	char *read_name;
	BusService *svc; /* NULL until published */
	gboolean hold;   /* after a reload, until the members are read again */
} Published;

/* A battery service we follow: where its values go (one engine input per
 * published service that uses it), and while it is gone, the timer that
 * drops it for good. */
typedef struct {
	Published *pub;
	EngineInput *input;
} Link;

typedef struct {
	char *service;
	GArray *links; /* Link */
	guint drop_timer;
	char *custom_name;  /* as first read, for "name:" entries */
	uint64_t nonfinite; /* PathId bits: the paths whose last number was NaN or Inf */
	gboolean told_not_bms;
} Followed;

struct Daemon {
	Config *cfg;
	char *config_path;
	Registry *reg;
	char *program;

	GMainLoop *loop;
	int exit_code;
	DBusConnection *conn; /* the monitor's, and the aggregate's */
	Monitor *monitor;
	GPtrArray *published; /* Published *: [0] is the aggregate */

	GHashTable *followed;        /* service name -> Followed */
	const char **settings_paths; /* NULL-terminated, what we follow in localsettings */

	guint system_nonfinite; /* bits of the DVCC and user-limit paths now NaN or Inf */
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

static void followed_free(gpointer data)
{
	Followed *f = data;

	if (f->drop_timer)
		g_source_remove(f->drop_timer);
	g_array_free(f->links, TRUE);
	g_free(f->custom_name);
	g_free(f->service);
	g_free(f);
}

/* The config entry that names this service, if any: by exact name, or
 * "name:X" for a service whose /CustomName is X. */
static const ConfigService *find_entry(const ConfigService *list, size_t n, const char *service,
                                       const char *custom_name, int *rank)
{
	for (size_t i = 0; i < n; i++) {
		const char *name = list[i].name;

		if (strcmp(name, service) == 0 || (custom_name && g_str_has_prefix(name, "name:") &&
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
	/* A virtual battery is followed like any battery: the aggregate
	 * aggregates it. */
	if (g_str_has_prefix(service, BATTERY_PREFIX) && strcmp(service, AGGREGATE(d)->name) != 0)
		return MONITOR_ALL;
	return MONITOR_IGNORE;
}

static void for_each_engine_flush(Daemon *d)
{
	for (guint i = 0; i < d->published->len; i++)
		engine_flush(((Published *)d->published->pdata[i])->engine);
}

static void set_system_value(Daemon *d, const char *path, const Value *v)
{
	static const char *const paths[] = {DVCC_PATH, USER_CCL_PATH, USER_CVL_PATH};
	Engine *e = AGGREGATE(d)->engine;
	double x;
	gboolean valid = value_number(v, &x);
	guint which = 0;

	while (which < G_N_ELEMENTS(paths) && strcmp(path, paths[which]) != 0)
		which++;
	if (which == G_N_ELEMENTS(paths))
		return;
	/* As for a battery, a non-finite number is invalid: no limit from the
	 * user (the batteries' own limits still hold), DVCC off.  Said once. */
	if (valid && !isfinite(x) && !(d->system_nonfinite & (1u << which)))
		g_warning("%s is %g, not a number; taken as invalid until it is one", path, x);
	if (valid && isfinite(x) && (d->system_nonfinite & (1u << which)))
		g_warning("%s is a number again (%g)", path, x);
	if (valid && !isfinite(x)) {
		d->system_nonfinite |= 1u << which;
		valid = FALSE;
	} else if (valid) {
		d->system_nonfinite &= ~(1u << which);
	}
	if (which == 0)
		engine_set_dvcc(e, valid && x == 1);
	else if (which == 1)
		engine_set_user_ccl(e, valid ? x : -1);
	else
		engine_set_user_cvl(e, valid ? x : 0);
}

/* localsettings or the system service changed (or was read). */
static void settings_changed(Daemon *d, const char *path, const Value *v)
{
	for (guint i = 0; i < d->published->len; i++) {
		Published *p = d->published->pdata[i];

		if (strcmp(path, p->instance_setting) == 0) {
			int instance = v->type == VALUE_TEXT ? settings_parse_instance(v->u.s) : -1;
			Value n = value_int(instance);

			if (instance >= 0 && p->svc)
				bus_service_set(p->svc, "/DeviceInstance", &n);
			return;
		}
		if (strcmp(path, p->name_setting) == 0) {
			if (v->type == VALUE_TEXT && p->svc)
				bus_service_set(p->svc, "/CustomName", v);
			return;
		}
	}
	set_system_value(d, path, v);
}

static void link_input(Followed *f, Published *p, EngineInput *input)
{
	Link l = {p, input};

	g_array_append_val(f->links, l);
}

/* What a newly seen battery service is to the aggregate (SPEC 4). */
static EngineInput *aggregate_input(Daemon *d, const char *service, const char *custom_name)
{
	const Config *cfg = d->cfg;
	Engine *e = AGGREGATE(d)->engine;
	const ConfigService *entry;
	int rank;

	if (names_match(cfg->excluded, service, custom_name) ||
	    is_virtual_member(cfg, service, custom_name))
		return NULL;
	entry = find_entry(cfg->primary, cfg->n_primary, service, custom_name, &rank);
	if (entry)
		return engine_add_input(e, ROLE_PRIMARY, service, rank,
		                        (const char *const *)entry->paths);
	entry = find_entry(cfg->auxiliary, cfg->n_auxiliary, service, custom_name, &rank);
	if (entry)
		return engine_add_input(e, ROLE_AUXILIARY, service, rank,
		                        (const char *const *)entry->paths);
	g_info("member joined: %s", service);
	return engine_add_input(e, ROLE_MEMBER, service, 0, NULL);
}

static Followed *classify(Daemon *d, const char *service, const MonitorItem *items, size_t n)
{
	const char *custom_name = custom_name_of(items, n);
	Followed *f = g_new0(Followed, 1);
	EngineInput *input;

	f->service = g_strdup(service);
	f->links = g_array_new(FALSE, FALSE, sizeof(Link));
	f->custom_name = g_strdup(custom_name);
	input = aggregate_input(d, service, custom_name);
	if (input)
		link_input(f, AGGREGATE(d), input);
	for (guint i = 1; i < d->published->len; i++) {
		Published *p = d->published->pdata[i];
		const ConfigVirtual *vb = &d->cfg->virtuals[p->index];
		const ConfigService *entry;
		int rank;

		entry = find_entry(vb->members, vb->n_members, service, custom_name, &rank);
		if (!entry)
			continue;
		g_info("%s: member joined: %s", p->name, service);
		link_input(f, p,
		           engine_add_input(p->engine, ROLE_PRIMARY, service, rank,
		                            (const char *const *)entry->paths));
	}
	return f;
}

/* A non-finite number is invalid for its path (the engine stores it so);
 * say so once per service and path, and once more when it is a number
 * again, so that a flood of bad values cannot flood the log. */
static void watch_finite(Followed *f, const MonitorItem *it)
{
	int p = paths_find(it->path);
	double x;
	uint64_t bit;

	if (p < 0 || !value_number(&it->value, &x))
		return;
	bit = UINT64_C(1) << p;
	if (!isfinite(x) && !(f->nonfinite & bit)) {
		f->nonfinite |= bit;
		g_warning("%s: %s is %g, not a number; taken as invalid until it is one",
		          f->service, it->path, x);
	} else if (isfinite(x) && (f->nonfinite & bit)) {
		f->nonfinite &= ~bit;
		g_warning("%s: %s is a number again (%g)", f->service, it->path, x);
	}
}

/* A member that never reported a CVL is no BMS: it does not share the bank
 * current.  Usually a shunt or battery monitor the user forgot to exclude. */
static void tell_if_not_bms(Followed *f)
{
	for (guint k = 0; k < f->links->len; k++) {
		Link *l = &g_array_index(f->links, Link, k);

		if (l->pub->index >= 0 || engine_input_role(l->input) != ROLE_MEMBER)
			continue;
		if (engine_input_is_bms(l->input)) {
			if (f->told_not_bms)
				g_info("%s now reports /Info/MaxChargeVoltage: it shares the bank "
				       "current as a BMS",
				       f->service);
			f->told_not_bms = FALSE;
		} else if (!f->told_not_bms) {
			f->told_not_bms = TRUE;
			g_warning("%s reports no /Info/MaxChargeVoltage, so it is no BMS and takes "
			          "no share of the bank's charge and discharge limits; if it is a "
			          "shunt or battery monitor, add it to \"excludedServices\", or to "
			          "\"primaryServices\" if it measures the whole bank",
			          f->service);
		}
	}
}

static void apply_items(Daemon *d, Followed *f, const MonitorItem *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		watch_finite(f, &items[i]);
	for (guint k = 0; k < f->links->len; k++) {
		Link *l = &g_array_index(f->links, Link, k);

		for (size_t i = 0; i < n; i++)
			engine_input_set(l->pub->engine, l->input, items[i].path, &items[i].value);
		engine_flush(l->pub->engine);
	}
	tell_if_not_bms(f);
}

static void on_added(void *user_data, const char *service, const MonitorItem *items, size_t n)
{
	Daemon *d = user_data;
	Followed *f;

	if (!g_str_has_prefix(service, BATTERY_PREFIX)) {
		for (size_t i = 0; i < n; i++)
			settings_changed(d, items[i].path, &items[i].value);
		for_each_engine_flush(d);
		return;
	}
	f = g_hash_table_lookup(d->followed, service);
	if (f && f->drop_timer) {
		/* Back within reconnectTimeout: it stays a member, and its fresh
		 * values replace the kept ones at once. */
		g_source_remove(f->drop_timer);
		f->drop_timer = 0;
		g_info("member reconnected: %s", service);
		for (guint k = 0; k < f->links->len; k++) {
			Link *l = &g_array_index(f->links, Link, k);

			engine_reset_input(l->pub->engine, l->input);
		}
	} else {
		f = classify(d, service, items, n);
		if (f->links->len == 0)
			g_info("not aggregated: %s (excluded by the config)", service);
		g_hash_table_replace(d->followed, g_strdup(service), f);
	}
	apply_items(d, f, items, n);
}

static void on_changed(void *user_data, const char *service, const MonitorItem *items, size_t n)
{
	Daemon *d = user_data;
	Followed *f = g_hash_table_lookup(d->followed, service);

	if (f) {
		apply_items(d, f, items, n);
		return;
	}
	if (!g_str_has_prefix(service, BATTERY_PREFIX)) {
		for (size_t i = 0; i < n; i++)
			settings_changed(d, items[i].path, &items[i].value);
		for_each_engine_flush(d);
	}
}

static void drop(Daemon *d, const char *service)
{
	Followed *f = g_hash_table_lookup(d->followed, service);

	if (!f)
		return;
	for (guint k = 0; k < f->links->len; k++) {
		Link *l = &g_array_index(f->links, Link, k);

		g_info("%s: member left: %s", l->pub->name, service);
		engine_remove_input(l->pub->engine, l->input);
		engine_flush(l->pub->engine);
	}
	g_hash_table_remove(d->followed, service);
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

/* Only members wait for reconnectTimeout; primary and auxiliary inputs go
 * at once. */
static gboolean only_members(Followed *f)
{
	for (guint k = 0; k < f->links->len; k++) {
		Link *l = &g_array_index(f->links, Link, k);

		if (l->pub->index < 0 && engine_input_role(l->input) != ROLE_MEMBER)
			return FALSE;
	}
	return f->links->len > 0;
}

static void on_removed(void *user_data, const char *service)
{
	Daemon *d = user_data;
	Followed *f = g_hash_table_lookup(d->followed, service);
	DropLater *dl;

	if (!f) {
		if (strcmp(service, SYSTEM_SERVICE) == 0)
			engine_set_dvcc(AGGREGATE(d)->engine, FALSE);
		for_each_engine_flush(d);
		return;
	}
	if (d->cfg->reconnect_timeout <= 0 || !only_members(f)) {
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
	Published *p = user_data;

	if (p->svc && !p->hold)
		bus_service_set(p->svc, path, v);
}

/* ---- the published services' own paths ----------------------------------- */

static gboolean write_custom_name(BusService *svc, const char *path, const Value *v, void *ud)
{
	Published *p = ud;

	if (v->type != VALUE_TEXT)
		return FALSE;
	if (p->settings)
		settings_write_name(p->settings, v->u.s);
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

static void fail(Daemon *d)
{
	d->exit_code = 1;
	g_main_loop_quit(d->loop);
}

static void warn_if_unknown(Daemon *d, const char *name, GHashTable *seen)
{
	GHashTableIter it;
	gpointer value;

	if (!g_str_has_prefix(name, "name:") || g_hash_table_contains(seen, name))
		return;
	g_hash_table_add(seen, (gpointer)name);
	g_hash_table_iter_init(&it, d->followed);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		const Followed *f = value;

		if (f->custom_name && strcmp(f->custom_name, name + 5) == 0)
			return;
	}
	g_critical("no battery is named \"%s\" (config entry \"%s\"); it takes effect when "
	           "one appears",
	           name + 5, name);
}

/* SPEC 3 asks for a warning, the configuration issue for an error, naming a
 * custom name that no service has yet; logged at ERROR, not fatal: the entry
 * takes effect as soon as such a battery appears. */
static void warn_unresolved_names(Daemon *d)
{
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	const Config *cfg = d->cfg;

	for (size_t i = 0; cfg->excluded && cfg->excluded[i]; i++)
		warn_if_unknown(d, cfg->excluded[i], seen);
	for (size_t i = 0; i < cfg->n_primary; i++)
		warn_if_unknown(d, cfg->primary[i].name, seen);
	for (size_t i = 0; i < cfg->n_auxiliary; i++)
		warn_if_unknown(d, cfg->auxiliary[i].name, seen);
	for (size_t v = 0; v < cfg->n_virtuals; v++) {
		for (size_t m = 0; m < cfg->virtuals[v].n_members; m++)
			warn_if_unknown(d, cfg->virtuals[v].members[m].name, seen);
	}
}

/* Build the whole tree, then take the bus name. */
static void register_service(Published *p)
{
	g_autoptr(GError) error = NULL;
	BusService *svc = bus_service_new(p->conn, p->name);
	int instance = p->read_instance;
	const char *custom_name = p->read_name;

	add_text(svc, "/Mgmt/ProcessName", p->d->program, NULL, NULL);
	add_text(svc, "/Mgmt/ProcessVersion", BATAGG_VERSION, NULL, NULL);
	add_text(svc, "/Mgmt/Connection", "dbus", NULL, NULL);
	add_int(svc, "/DeviceInstance", instance);
	add_int(svc, "/ProductId", 0);
	add_text(svc, "/ProductName", p->product, NULL, NULL);
	add_int(svc, "/FirmwareVersion", 0);
	add_int(svc, "/HardwareVersion", 0);
	add_int(svc, "/Connected", 1);
	add_text(svc, "/CustomName", custom_name, write_custom_name, p);
	if (p->index < 0)
		add_text(svc, "/LogLevel", log_level_name(), write_log_level, p);
	engine_flush(p->engine);
	for (int i = 0; i < N_PUBLISHED; i++) {
		if (engine_publishes(p->engine, i))
			bus_service_add(svc, engine_published_path(i),
			                engine_published(p->engine, i), engine_published_unit(i),
			                NULL, NULL);
	}
	if (!bus_service_register(svc, &error)) {
		g_critical("cannot publish %s: %s", p->name, error->message);
		bus_service_free(svc);
		fail(p->d);
		return;
	}
	p->svc = svc;
	g_info("published %s (device instance %d)", p->name, instance);
	if (p->index < 0)
		warn_unresolved_names(p->d);
}

/* Every virtual battery is on the bus and has been read by the monitor:
 * the aggregate, whose members they are, knows their limits. */
static gboolean virtuals_read(Daemon *d)
{
	for (guint i = 1; i < d->published->len; i++) {
		Published *v = d->published->pdata[i];

		if (!v->svc || !g_hash_table_contains(d->followed, v->name))
			return FALSE;
	}
	return TRUE;
}

/* Limits are published only when they are known: every battery known at
 * the start (or the reload) has been read, and for the aggregate, a member
 * has a voltage and the virtual batteries are read. */
static gboolean limits_known(Published *p)
{
	Daemon *d = p->d;

	if (!d->reads_done)
		return FALSE;
	return p->index >= 0 || (d->voltage_seen && virtuals_read(d));
}

static void end_hold(Published *p)
{
	p->hold = FALSE;
	engine_sort_members(p->engine);
	engine_flush(p->engine);
	for (int i = 0; i < N_PUBLISHED; i++) {
		if (engine_publishes(p->engine, i))
			bus_service_set(p->svc, engine_published_path(i),
			                engine_published(p->engine, i));
	}
	g_info("reload: %s follows the new config", p->name);
}

/* Publishes (or, after a reload, stops holding) every service whose
 * settings are read and whose limits are known. */
static void publish_ready(Daemon *d)
{
	for (guint i = 0; i < d->published->len; i++) {
		Published *p = d->published->pdata[i];

		if (!limits_known(p))
			continue;
		if (p->svc && p->hold) {
			end_hold(p);
		} else if (!p->svc && p->settings_read) {
			if (p->index < 0)
				engine_sort_members(p->engine);
			register_service(p);
			if (!p->svc)
				return;
		}
	}
}

static void on_settings_read(void *user_data, int instance, const char *custom_name)
{
	Published *p = user_data;

	p->settings_read = TRUE;
	p->read_instance = instance;
	g_free(p->read_name);
	p->read_name = g_strdup(custom_name);
	publish_ready(p->d);
}

static void start_settings(Published *p)
{
	p->settings =
	        settings_new(p->conn, p->device, p->instance, p->name_group, on_settings_read, p);
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

	if (engine_has_voltage(AGGREGATE(d)->engine)) {
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

static gboolean on_signal(gpointer data)
{
	Daemon *d = data;

	g_info("stopping");
	d->exit_code = 0;
	g_main_loop_quit(d->loop);
	return G_SOURCE_CONTINUE;
}

static void published_free(gpointer data)
{
	Published *p = data;

	if (p->svc)
		bus_service_free(p->svc);
	settings_free(p->settings);
	g_free(p->read_name);
	engine_free(p->engine);
	strategies_free(p->strategies);
	if (p->conn && p->index >= 0)
		dbus_glib_close(p->conn);
	g_free(p->name);
	g_free(p->device);
	g_free(p->name_group);
	g_free(p->instance_setting);
	g_free(p->name_setting);
	g_free(p);
}

static Published *published_new(Daemon *d, int index, const char *name)
{
	Published *p = g_new0(Published, 1);
	const char *last = strrchr(name, '.');

	p->d = d;
	p->index = index;
	p->name = g_strdup(name);
	p->name_group = g_strdup(last ? last + 1 : name);
	if (index < 0) {
		p->product = "Battery Aggregator";
		p->device = g_strdup("BatteryAggregator");
		p->instance = AGGREGATE_INSTANCE;
	} else {
		/* The Python daemon's numbering, so users keep their instance. */
		g_autofree char *sha =
		        g_compute_checksum_for_string(G_CHECKSUM_SHA1, p->name_group, -1);
		int n = (int)g_ascii_strtoll(((char[]){sha[0], sha[1], 0}), NULL, 16);

		p->product = "Virtual Battery";
		p->device = g_strdup_printf("virtbatt_%d", n);
		p->instance = VIRTUAL_INSTANCE_BASE + n;
	}
	p->instance_setting =
	        g_strdup_printf("/Settings/Devices/%s/ClassAndVrmInstance", p->device);
	p->name_setting = g_strdup_printf("/Settings/Battery/%s/CustomName", p->name_group);
	return p;
}

static gboolean add_virtual(Daemon *d, int index, GError **error)
{
	const ConfigVirtual *vb = &d->cfg->virtuals[index];
	Published *p = published_new(d, index, vb->name);

	g_ptr_array_add(d->published, p);
	p->strategies = strategies_new_virtual(d->reg, error);
	if (!p->strategies)
		return FALSE;
	p->engine = engine_new(strategies_setup(p->strategies), on_publish, p);
	for (size_t m = 0; m < vb->n_members; m++) {
		const BataggMergePolicy *hook;
		void *state;

		if (!g_str_has_prefix(vb->members[m].name, "class:"))
			continue;
		hook = strategies_add_hook(p->strategies, d->reg, d->cfg, vb->members[m].name,
		                           &state, error);
		if (!hook) {
			g_prefix_error(error, "virtual battery %s: ", vb->name);
			return FALSE;
		}
		engine_add_hook(p->engine, (int)m, hook, state);
	}
	p->conn = dbus_glib_open(error);
	return p->conn != NULL;
}

static void build_settings_paths(Daemon *d)
{
	guint n = 2 + 2 * d->published->len;
	guint k = 0;

	d->settings_paths = g_new0(const char *, n + 1);
	d->settings_paths[k++] = USER_CCL_PATH;
	d->settings_paths[k++] = USER_CVL_PATH;
	for (guint i = 0; i < d->published->len; i++) {
		Published *p = d->published->pdata[i];

		d->settings_paths[k++] = p->instance_setting;
		d->settings_paths[k++] = p->name_setting;
	}
}

static const MonitorCallbacks callbacks = {
        .want = want,
        .added = on_added,
        .changed = on_changed,
        .removed = on_removed,
        .settled = on_monitor_settled,
};

/* Everything that follows from the config but the aggregate's bus name:
 * the virtual batteries and the monitor. */
static gboolean build(Daemon *d, GError **error)
{
	for (size_t v = 0; v < d->cfg->n_virtuals; v++) {
		if (!add_virtual(d, (int)v, error))
			return FALSE;
	}
	g_free(d->settings_paths);
	build_settings_paths(d);
	d->monitor = monitor_new(d->conn, &callbacks, d);
	return TRUE;
}

Daemon *daemon_new(Config *cfg, Registry *reg, const char *config_path, const char *program,
                   GError **error)
{
	Daemon *d = g_new0(Daemon, 1);
	Published *agg;

	d->cfg = cfg;
	d->reg = reg;
	d->config_path = g_strdup(config_path);
	d->program = g_strdup(program);
	d->loop = g_main_loop_new(NULL, FALSE);
	d->followed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, followed_free);
	d->published = g_ptr_array_new_with_free_func(published_free);
	agg = published_new(d, -1, cfg->service_name);
	g_ptr_array_add(d->published, agg);
	agg->strategies = strategies_new(cfg, reg, error);
	if (!agg->strategies)
		goto fail;
	agg->engine = engine_new(strategies_setup(agg->strategies), on_publish, agg);
	d->conn = dbus_glib_open(error);
	if (!d->conn)
		goto fail;
	agg->conn = d->conn;
	if (!build(d, error))
		goto fail;
	return d;
fail:
	daemon_free(d);
	return NULL;
}

/* Starts reading the bus and the settings.  Each published service goes on
 * the bus once its settings are read and its limits known (publish_ready);
 * the aggregate also waits for a battery with a voltage. */
static void start_all(Daemon *d)
{
	d->reads_done = FALSE;
	if (d->settle_timer)
		g_source_remove(d->settle_timer);
	d->settle_timer = g_timeout_add_seconds(SETTLE_TIMEOUT_S, on_settle_timeout, d);
	monitor_start(d->monitor);
	for (guint i = 0; i < d->published->len; i++) {
		Published *p = d->published->pdata[i];

		if (!p->settings)
			start_settings(p);
	}
	if (!AGGREGATE(d)->svc && !d->voltage_seen && !d->startup_timer) {
		d->startup_attempts = 0;
		d->startup_timer = g_timeout_add_seconds(1, on_startup_check, d);
	}
}

static void reconfigure(Daemon *d, Config *cfg, Strategies *st)
{
	Published *agg = AGGREGATE(d);
	g_autoptr(GError) error = NULL;
	gboolean renamed = strcmp(cfg->service_name, agg->name) != 0;

	monitor_free(d->monitor);
	d->monitor = NULL;
	g_hash_table_remove_all(d->followed);
	g_ptr_array_set_size(d->published, 1);
	g_clear_pointer(&agg->engine, engine_free);
	g_clear_pointer(&agg->strategies, strategies_free);
	if (renamed) {
		/* A new name is a new service: start it as at start-up. */
		published_free(g_ptr_array_steal_index(d->published, 0));
		agg = published_new(d, -1, cfg->service_name);
		agg->conn = d->conn;
		g_ptr_array_insert(d->published, 0, agg);
		d->voltage_seen = FALSE;
	} else if (agg->svc) {
		/* Until the members are read again the aggregate keeps publishing
		 * what it had, then catches up in one step (publish_ready). */
		agg->hold = TRUE;
	}
	agg->strategies = st;
	agg->engine = engine_new(strategies_setup(st), on_publish, agg);
	config_free(d->cfg);
	d->cfg = cfg;
	log_set_level(cfg->log_level);
	if (!build(d, &error)) {
		g_critical("reload: %s", error->message);
		fail(d);
		return;
	}
	start_all(d);
}

static gboolean on_reload(gpointer data)
{
	Daemon *d = data;
	g_autoptr(GError) error = NULL;
	Config *cfg = config_load(d->config_path, &error);
	Strategies *st;

	if (!cfg) {
		g_warning("reload refused, keeping the running config:\n%s", error->message);
		return G_SOURCE_CONTINUE;
	}
	st = strategies_new(cfg, d->reg, &error);
	if (!st) {
		g_warning("reload refused, keeping the running config: %s", error->message);
		config_free(cfg);
		return G_SOURCE_CONTINUE;
	}
	g_info("reload: applying %s", d->config_path);
	reconfigure(d, cfg, st);
	return G_SOURCE_CONTINUE;
}

int daemon_run(Daemon *d)
{
	d->signal_sources[0] = g_unix_signal_add(SIGTERM, on_signal, d);
	d->signal_sources[1] = g_unix_signal_add(SIGINT, on_signal, d);
	d->signal_sources[2] = g_unix_signal_add(SIGHUP, on_reload, d);
	start_all(d);
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
	if (d->settle_timer)
		g_source_remove(d->settle_timer);

	if (d->monitor)
		monitor_free(d->monitor);
	g_hash_table_destroy(d->followed);
	g_ptr_array_free(d->published, TRUE);
	if (d->conn)
		dbus_glib_close(d->conn);
	g_main_loop_unref(d->loop);
	g_free(d->settings_paths);
	g_free(d->program);
	g_free(d->config_path);
	config_free(d->cfg);
	registry_free(d->reg);
	g_free(d);
}
