/* SPDX-License-Identifier: MIT */
/*
 * One published battery service: its identity (the Python daemon's settings
 * names, so that users keep their device instance and name), its mandatory
 * paths, /CustomName and /LogLevel, and the engine's values on the bus.
 */
#include "daemon/published.h"

#include <string.h>

#include "build_config.h"
#include "bus/bus_service.h"
#include "bus/dbus_glib.h"
#include "base/log.h"
#include "base/names.h"
#include "base/paths.h"
#include "bus/settings.h"

struct Published {
	char *name;          /* bus name */
	int index;           /* -1: the aggregate; else the virtual battery's index */
	const char *product; /* /ProductName */
	char *program;       /* /Mgmt/ProcessName */
	DBusConnection *conn;
	PublishedReadyFn ready;
	PublishedResetFn reset;
	void *user_data;

	Settings *settings;
	gboolean settings_read;
	gboolean settings_gone; /* localsettings vanished since the last round */
	int instance;           /* device instance: preferred, then as read */
	char *custom_name;      /* as read */

	Strategies *strategies;
	Engine *engine;
	BusService *svc; /* NULL until on the bus */
	gboolean hold;   /* after a reload, until the members are read again */
	guint interval_ms;
	gboolean properties_changed;
	gboolean tightened; /* a change that tightens waits to be sent */
	gboolean deferred;  /* published_defer() */
	gboolean changed;   /* published_changed() while deferred */
};

/* While the service holds its values after a reload, only what makes the
 * system safer than what is on the bus goes out (engine_safer()): a limit
 * may fall, never rise, until the members are read again. */
static void on_publish(void *user_data, int i, const Value *v, bool tightens)
{
	Published *p = user_data;
	const char *path = engine_published_path(i);

	if (!p->svc)
		return;
	if (p->hold) {
		const Value *now = bus_service_get(p->svc, path);

		if (!now || !engine_safer(i, now, v))
			return;
		tightens = true;
	}
	bus_service_set(p->svc, path, v);
	p->tightened = p->tightened || tightens;
}

/* Everything up to date, and what tightens sent at once. */
static void refresh(BusService *svc, void *user_data)
{
	Published *p = user_data;

	engine_flush(p->engine);
	if (p->tightened) {
		p->tightened = FALSE;
		bus_service_flush(svc);
	}
}

void published_defer(Published *p, gboolean on)
{
	p->deferred = on;
	if (!on && p->changed) {
		p->changed = FALSE;
		published_changed(p);
	}
}

void published_changed(Published *p)
{
	if (p->deferred) {
		p->changed = TRUE;
		return;
	}
	if (!p->svc) {
		engine_flush(p->engine);
		return;
	}
	/* The limits and alarms now; the rest at the tick, or when read (while
	 * held, only what makes the system safer: on_publish()). */
	engine_flush_safety(p->engine);
	if (p->tightened)
		refresh(p->svc, p);
	else if (!p->hold)
		bus_service_schedule(p->svc);
}

void published_set_cadence(Published *p, double interval, gboolean properties_changed)
{
	p->interval_ms = (guint)(interval * 1000 + 0.5);
	p->properties_changed = properties_changed;
	if (p->svc) {
		bus_service_set_interval(p->svc, p->interval_ms);
		bus_service_use_properties_changed(p->svc, properties_changed);
	}
}

static void publish_identity(Published *p)
{
	Value instance = value_int(p->instance);
	Value name = value_text(p->custom_name);

	if (p->svc) {
		bus_service_set(p->svc, PATH_DEVICE_INSTANCE, &instance);
		bus_service_set(p->svc, PATH_CUSTOM_NAME, &name);
	}
	value_clear(&name);
}

static void on_settings(void *user_data, int instance, const char *custom_name)
{
	Published *p = user_data;
	gboolean first = !p->settings_read;

	p->settings_read = TRUE;
	p->instance = instance;
	g_free(p->custom_name);
	p->custom_name = g_strdup(custom_name);
	publish_identity(p);
	if (first)
		p->ready(p->user_data);
}

Published *published_new(const char *name, int virtual_index, gboolean series, DBusConnection *conn,
                         const char *program, PublishedReadyFn ready, void *user_data)
{
	Published *p = g_new0(Published, 1);
	g_autofree char *name_group = names_settings_name_group(name);
	g_autofree char *device = names_settings_device(name, virtual_index < 0, &p->instance);

	p->name = g_strdup(name);
	published_set_index(p, virtual_index, series);
	p->program = g_strdup(program);
	p->conn = dbus_connection_ref(conn);
	p->ready = ready;
	p->user_data = user_data;
	p->custom_name = g_strdup("");
	p->interval_ms = (guint)(CONFIG_PUBLISH_INTERVAL * 1000);
	p->settings = settings_new(conn, device, p->instance, name_group, on_settings, p);
	return p;
}

void published_on_reset(Published *p, PublishedResetFn fn)
{
	p->reset = fn;
}

void published_free(Published *p)
{
	if (!p)
		return;
	if (p->svc)
		bus_service_free(p->svc);
	settings_free(p->settings);
	engine_free(p->engine);
	strategies_free(p->strategies);
	if (p->index >= 0)
		dbus_glib_close(p->conn);
	else
		dbus_connection_unref(p->conn);
	g_free(p->custom_name);
	g_free(p->program);
	g_free(p->name);
	g_free(p);
}

const char *published_name(const Published *p)
{
	return p->name;
}

gboolean published_is_aggregate(const Published *p)
{
	return p->index < 0;
}

void published_set_index(Published *p, int virtual_index, gboolean series)
{
	p->index = virtual_index;
	p->product = virtual_index < 0 ? "Battery Aggregator"
	             : series          ? "Series Battery"
	                               : "Virtual Battery";
}

void published_use(Published *p, Strategies *st)
{
	engine_free(p->engine);
	strategies_free(p->strategies);
	p->strategies = st;
	p->engine = strategies_engine(st, on_publish, p);
	p->hold = p->svc != NULL;
}

Engine *published_engine(Published *p)
{
	return p->engine;
}

gboolean published_settings_read(const Published *p)
{
	return p->settings_read;
}

gboolean published_on_bus(const Published *p)
{
	return p->svc != NULL;
}

gboolean published_held(const Published *p)
{
	return p->hold;
}

/* ---- the service's own paths --------------------------------------------- */

/* A name too long is refused rather than cut: the writer then reads back
 * either its own name or the old one, never one it did not write. */
static gboolean write_custom_name(BusService *svc, const char *path, const Value *v, void *ud)
{
	Published *p = ud;

	if (v->type != VALUE_TEXT)
		return FALSE;
	if (strlen(v->u.s) > SETTINGS_NAME_MAX) {
		g_warning("%s: refused a /CustomName longer than %d bytes", p->name,
		          SETTINGS_NAME_MAX);
		return FALSE;
	}
	g_free(p->custom_name);
	p->custom_name = g_strdup(v->u.s);
	settings_write_name(p->settings, v->u.s);
	return TRUE;
}

static gboolean write_log_level(BusService *svc, const char *path, const Value *v, void *ud)
{
	g_autofree char *known = NULL;

	if (v->type == VALUE_TEXT && log_set_level(v->u.s)) {
		g_info("log level is now %s", v->u.s);
		return TRUE;
	}
	known = g_strjoinv(", ", (char **)log_level_names());
	g_warning("refused /LogLevel write: not one of %s", known);
	return FALSE;
}

/* 1 resets every estimate, and the path reads 0 again. */
static gboolean write_reset(BusService *svc, const char *path, const Value *v, void *ud)
{
	Published *p = ud;
	Value idle = value_int(0);
	double x;

	if (!value_number(v, &x) || x != 1) {
		g_warning("%s: refused a write to %s: only 1 resets the estimates", p->name, path);
		return FALSE;
	}
	g_info("%s: every battery's estimates reset (a write to %s)", p->name, path);
	engine_reset_estimates(p->engine);
	bus_service_set(svc, path, &idle);
	if (p->reset)
		p->reset(p->user_data);
	published_changed(p);
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

gboolean published_register(Published *p, GError **error)
{
	BusService *svc = bus_service_new(p->conn, p->name);

	add_text(svc, "/Mgmt/ProcessName", p->program, NULL, NULL);
	add_text(svc, "/Mgmt/ProcessVersion", BATAGG_VERSION, NULL, NULL);
	add_text(svc, "/Mgmt/Connection", "dbus", NULL, NULL);
	add_int(svc, PATH_DEVICE_INSTANCE, p->instance);
	add_int(svc, "/ProductId", 0);
	add_text(svc, "/ProductName", p->product, NULL, NULL);
	add_int(svc, "/FirmwareVersion", 0);
	add_int(svc, "/HardwareVersion", 0);
	add_int(svc, "/Connected", 1);
	add_text(svc, PATH_CUSTOM_NAME, p->custom_name, write_custom_name, p);
	if (p->index < 0) {
		Value idle = value_int(0);

		add_text(svc, "/LogLevel", log_level_name(), write_log_level, p);
		bus_service_add(svc, PUBLISHED_RESET_PATH, &idle, UNIT_NONE, write_reset, p);
	}
	if (p->index < 0)
		engine_sort_members(p->engine);
	engine_flush(p->engine);
	for (int i = 0; i < N_PUBLISHED; i++) {
		if (engine_publishes(p->engine, i))
			bus_service_add(svc, engine_published_path(i),
			                engine_published(p->engine, i), engine_published_unit(i),
			                NULL, NULL);
	}
	bus_service_set_interval(svc, p->interval_ms);
	bus_service_use_properties_changed(svc, p->properties_changed);
	bus_service_on_refresh(svc, refresh, p);
	if (!bus_service_register(svc, error)) {
		bus_service_free(svc);
		return FALSE;
	}
	p->svc = svc;
	p->hold = FALSE;
	g_info("published %s (device instance %d)", p->name, p->instance);
	return TRUE;
}

void published_release(Published *p)
{
	p->hold = FALSE;
	engine_sort_members(p->engine);
	engine_flush(p->engine);
	for (int i = 0; i < N_PUBLISHED; i++) {
		const char *path = engine_published_path(i);

		if (!engine_publishes(p->engine, i))
			continue;
		/* A path the new config brings (expectedBatteries, say). */
		if (!bus_service_get(p->svc, path))
			bus_service_add(p->svc, path, engine_published(p->engine, i),
			                engine_published_unit(i), NULL, NULL);
		else
			bus_service_set(p->svc, path, engine_published(p->engine, i));
	}
	/* The new config's limits at once, not at the next tick. */
	bus_service_flush(p->svc);
	p->tightened = FALSE;
	g_info("reload: %s follows the new config", p->name);
}

/* ---- localsettings ------------------------------------------------------- */

gboolean published_setting(Published *p, const char *path, const Value *v)
{
	if (strcmp(path, settings_instance_path(p->settings)) == 0) {
		int instance = v->type == VALUE_TEXT ? settings_parse_instance(v->u.s) : -1;

		if (instance >= 0) {
			p->instance = instance;
			publish_identity(p);
		}
		return TRUE;
	}
	if (strcmp(path, settings_name_path(p->settings)) == 0) {
		if (v->type == VALUE_TEXT) {
			Value name = value_text_cut(v->u.s, SETTINGS_NAME_MAX);

			g_free(p->custom_name);
			p->custom_name = name.u.s;
			publish_identity(p);
		}
		return TRUE;
	}
	return FALSE;
}

const char *published_instance_path(const Published *p)
{
	return settings_instance_path(p->settings);
}

const char *published_name_path(const Published *p)
{
	return settings_name_path(p->settings);
}

void published_settings_lost(Published *p)
{
	p->settings_gone = TRUE;
}

void published_settings_back(Published *p)
{
	/* A first round that failed (localsettings not there at start) or a
	 * restart: localsettings may not have them.  A first round still in
	 * flight gets its answers now. */
	if (!p->settings_gone && (settings_registered(p->settings) || !p->settings_read))
		return;

	p->settings_gone = FALSE;
	g_info("%s: registering the device instance %d and name \"%s\" with %s again", p->name,
	       p->instance, p->custom_name, SETTINGS_SERVICE);
	settings_register_again(p->settings, p->instance, p->custom_name);
}
