/* SPDX-License-Identifier: MIT */
/*
 * One published battery service: the publishing cycle (below: read it top
 * to bottom), its mandatory paths, /CustomName, /LogLevel and
 * /System/ResetEstimates, and the engine's values on the bus.
 */
#include "daemon/published.h"

#include <string.h>

#include "build_config.h"
#include "bus/bus_service.h"
#include "bus/dbus_glib.h"
#include "base/log.h"
#include "base/names.h"
#include "base/paths.h"
#include "daemon/identity.h"

struct Published {
	char *name;          /* bus name */
	int index;           /* -1: the aggregate; else the virtual battery's index */
	const char *product; /* /ProductName */
	char *program;       /* /Mgmt/ProcessName */
	DBusConnection *conn;
	PublishedReadyFn ready;
	PublishedResetFn reset;
	void *user_data;

	Identity *identity;

	Strategies *strategies;
	Engine *engine;
	BusService *svc; /* NULL until on the bus */
	gboolean hold;   /* after a reload, until the members are read again */
	guint interval_ms;
	gboolean properties_changed;
	gboolean deferred; /* published_defer() */
	gboolean changed;  /* published_changed() while deferred */
};

/* ---- the publishing cycle ------------------------------------------------
 *
 * A value goes out in one pass: the engine computes it, send() takes what
 * changed (outputs_take_changed()) and sets it in the BusService, which
 * sends it in its next ItemsChanged.  When:
 *
 *  1. At once, when an input changed (published_changed()): the limits,
 *     alarms and allow flags are computed (engine_flush_safety()); if one
 *     of them tightens (outputs_tightens(): compared with what is on the
 *     bus), everything is computed and sent now.  Else the tick is due.
 *  2. At the tick (publishInterval), and when a client reads (GetValue,
 *     GetText, GetItems): the BusService asks refresh(), which computes
 *     everything (engine_flush()) and sends it.
 *  3. While held after a reload, until the members are read again: only
 *     what is safer than what is on the bus goes out (outputs_safer()): a
 *     limit may fall, never rise.  published_release() sends the rest.
 */

/* What changed in the engine to the bus; TRUE when some of it tightens. */
static gboolean send(Published *p)
{
	gboolean tightens = FALSE;

	for (int i = outputs_take_changed(p->engine, 0); i >= 0;
	     i = outputs_take_changed(p->engine, i + 1)) {
		const Value *v = outputs_get(p->engine, i);
		const Value *now = bus_service_get(p->svc, outputs_path(i));

		if (!now)
			continue;
		if (p->hold && !outputs_safer(i, now, v))
			continue;
		tightens = tightens || p->hold || outputs_tightens(i, now, v);
		bus_service_set(p->svc, outputs_path(i), v);
	}
	return tightens;
}

/* The tick or a read: everything up to date, and what tightens sent now. */
static void refresh(BusService *svc, void *user_data)
{
	Published *p = user_data;

	engine_flush(p->engine);
	if (send(p))
		bus_service_flush(svc);
}

void published_changed(Published *p)
{
	if (p->deferred) {
		p->changed = TRUE;
		return;
	}
	if (!p->svc) {
		/* Not on the bus yet: published_register() takes it all. */
		engine_flush(p->engine);
		return;
	}
	engine_flush_safety(p->engine);
	if (send(p)) {
		/* Now, with everything else there is. */
		engine_flush(p->engine);
		send(p);
		bus_service_flush(p->svc);
	} else if (!p->hold) {
		bus_service_schedule(p->svc);
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

/* What is on the bus is the engine's now (register, release). */
static void sent_all(Published *p)
{
	for (int i = outputs_take_changed(p->engine, 0); i >= 0;
	     i = outputs_take_changed(p->engine, i + 1))
		;
}

/* ---- the service --------------------------------------------------------- */

void published_set_cadence(Published *p, double interval, gboolean properties_changed)
{
	p->interval_ms = (guint)(interval * 1000 + 0.5);
	p->properties_changed = properties_changed;
	if (p->svc) {
		bus_service_set_interval(p->svc, p->interval_ms);
		bus_service_use_properties_changed(p->svc, properties_changed);
	}
}

static void on_identity(void *user_data, gboolean first)
{
	Published *p = user_data;
	Value instance = value_int(identity_instance(p->identity));
	Value name = value_text(identity_custom_name(p->identity));

	if (p->svc) {
		bus_service_set(p->svc, PATH_DEVICE_INSTANCE, &instance);
		bus_service_set(p->svc, PATH_CUSTOM_NAME, &name);
	}
	value_clear(&name);
	if (first)
		p->ready(p->user_data);
}

Published *published_new(const char *name, int virtual_index, gboolean series, DBusConnection *conn,
                         const char *program, PublishedReadyFn ready, void *user_data)
{
	Published *p = g_new0(Published, 1);

	p->name = g_strdup(name);
	published_set_index(p, virtual_index, series);
	p->program = g_strdup(program);
	p->conn = dbus_connection_ref(conn);
	p->ready = ready;
	p->user_data = user_data;
	p->interval_ms = (guint)(CONFIG_PUBLISH_INTERVAL * 1000);
	p->identity = identity_new(conn, name, virtual_index < 0, on_identity, p);
	return p;
}

void published_on_reset(Published *p, PublishedResetFn fn)
{
	p->reset = fn;
}

/* The engine goes before its strategies: their hosts see it no more. */
static void drop_engine(Published *p)
{
	if (p->strategies)
		strategies_bind(p->strategies, NULL, NULL, NULL);
	engine_free(p->engine);
	p->engine = NULL;
}

void published_free(Published *p)
{
	if (!p)
		return;
	if (p->svc)
		bus_service_free(p->svc);
	identity_free(p->identity);
	drop_engine(p);
	strategies_free(p->strategies);
	if (p->index >= 0)
		dbus_glib_close(p->conn);
	else
		dbus_connection_unref(p->conn);
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

/* A strategy asked to be called again (SDK 3): what it takes part in is
 * computed now, as for a change of its inputs. */
static void on_wake(void *user_data, const void *state)
{
	Published *p = user_data;

	feeds_wake(p->engine, state);
	published_changed(p);
}

void published_use(Published *p, Strategies *st)
{
	drop_engine(p);
	strategies_free(p->strategies);
	p->strategies = st;
	p->engine = strategies_engine(st, on_wake, p);
	p->hold = p->svc != NULL;
}

Engine *published_engine(Published *p)
{
	return p->engine;
}

gboolean published_settings_read(const Published *p)
{
	return identity_read(p->identity);
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

static gboolean write_custom_name(BusService *svc, const char *path, const Value *v, void *ud)
{
	Published *p = ud;

	return identity_write_name(p->identity, v);
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
	learned_reset(p->engine);
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
	add_int(svc, PATH_DEVICE_INSTANCE, identity_instance(p->identity));
	add_int(svc, "/ProductId", 0);
	add_text(svc, "/ProductName", p->product, NULL, NULL);
	add_int(svc, "/FirmwareVersion", 0);
	add_int(svc, "/HardwareVersion", 0);
	add_int(svc, "/Connected", 1);
	add_text(svc, PATH_CUSTOM_NAME, identity_custom_name(p->identity), write_custom_name, p);
	if (p->index < 0) {
		Value idle = value_int(0);

		add_text(svc, "/LogLevel", log_level_name(), write_log_level, p);
		bus_service_add(svc, PUBLISHED_RESET_PATH, &idle, UNIT_NONE, write_reset, p);
	}
	if (p->index < 0)
		inputs_sort(p->engine);
	engine_flush(p->engine);
	for (int i = 0; i < N_PUBLISHED; i++) {
		if (engine_publishes(p->engine, i))
			bus_service_add(svc, outputs_path(i), outputs_get(p->engine, i),
			                outputs_unit(i), NULL, NULL);
	}
	bus_service_set_interval(svc, p->interval_ms);
	bus_service_use_properties_changed(svc, p->properties_changed);
	bus_service_on_refresh(svc, refresh, p);
	sent_all(p);
	if (!bus_service_register(svc, error)) {
		bus_service_free(svc);
		return FALSE;
	}
	p->svc = svc;
	p->hold = FALSE;
	g_info("published %s (device instance %d)", p->name, identity_instance(p->identity));
	return TRUE;
}

void published_release(Published *p)
{
	p->hold = FALSE;
	inputs_sort(p->engine);
	engine_flush(p->engine);
	for (int i = 0; i < N_PUBLISHED; i++) {
		const char *path = outputs_path(i);

		if (!engine_publishes(p->engine, i))
			continue;
		/* A path the new config brings (expectedBatteries, say). */
		if (!bus_service_get(p->svc, path))
			bus_service_add(p->svc, path, outputs_get(p->engine, i), outputs_unit(i),
			                NULL, NULL);
		else
			bus_service_set(p->svc, path, outputs_get(p->engine, i));
	}
	/* The new config's limits at once, not at the next tick. */
	bus_service_flush(p->svc);
	sent_all(p);
	g_info("reload: %s follows the new config", p->name);
}

/* ---- localsettings ------------------------------------------------------- */

Identity *published_identity(Published *p)
{
	return p->identity;
}
