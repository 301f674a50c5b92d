/* SPDX-License-Identifier: MIT */
/*
 * libdbus on the GLib main loop.  Each DBusWatch becomes a GLib fd source
 * (kept on the watch with dbus_watch_set_data, so libdbus owns its life),
 * each DBusTimeout a GLib timeout, and incoming messages are dispatched from
 * an idle source: never from inside a libdbus callback, which would be
 * re-entrant.
 */
#include "bus/dbus_glib.h"

#include <glib-unix.h>
#include <stdlib.h>

GQuark batagg_bus_error_quark(void)
{
	return g_quark_from_static_string("batagg-bus-error-quark");
}

typedef struct {
	DBusWatch *watch;
	guint source;
} Watch;

typedef struct {
	DBusTimeout *timeout;
	guint source;
} Timeout;

typedef struct {
	DBusConnection *conn;
	guint dispatch_source;
} Glue;

static gboolean on_fd(gint fd, GIOCondition cond, gpointer data)
{
	Watch *w = data;
	unsigned int flags = 0;

	if (cond & G_IO_IN)
		flags |= DBUS_WATCH_READABLE;
	if (cond & G_IO_OUT)
		flags |= DBUS_WATCH_WRITABLE;
	if (cond & G_IO_HUP)
		flags |= DBUS_WATCH_HANGUP;
	if (cond & G_IO_ERR)
		flags |= DBUS_WATCH_ERROR;
	dbus_watch_handle(w->watch, flags);
	return G_SOURCE_CONTINUE;
}

static void watch_stop(Watch *w)
{
	if (w->source) {
		g_source_remove(w->source);
		w->source = 0;
	}
}

static void watch_start(Watch *w)
{
	unsigned int flags = dbus_watch_get_flags(w->watch);
	GIOCondition cond = G_IO_HUP | G_IO_ERR;

	watch_stop(w);
	if (!dbus_watch_get_enabled(w->watch))
		return;
	if (flags & DBUS_WATCH_READABLE)
		cond |= G_IO_IN;
	if (flags & DBUS_WATCH_WRITABLE)
		cond |= G_IO_OUT;
	w->source = g_unix_fd_add(dbus_watch_get_unix_fd(w->watch), cond, on_fd, w);
}

static void watch_free(void *data)
{
	Watch *w = data;

	watch_stop(w);
	g_free(w);
}

static dbus_bool_t add_watch(DBusWatch *watch, void *data)
{
	Watch *w = g_new0(Watch, 1);

	w->watch = watch;
	dbus_watch_set_data(watch, w, watch_free);
	watch_start(w);
	return TRUE;
}

static void remove_watch(DBusWatch *watch, void *data)
{
	Watch *w = dbus_watch_get_data(watch);

	if (w)
		watch_stop(w);
}

static void toggle_watch(DBusWatch *watch, void *data)
{
	Watch *w = dbus_watch_get_data(watch);

	if (w)
		watch_start(w);
}

static gboolean on_timeout(gpointer data)
{
	Timeout *t = data;

	dbus_timeout_handle(t->timeout);
	return G_SOURCE_CONTINUE;
}

static void timeout_stop(Timeout *t)
{
	if (t->source) {
		g_source_remove(t->source);
		t->source = 0;
	}
}

static void timeout_start(Timeout *t)
{
	timeout_stop(t);
	if (dbus_timeout_get_enabled(t->timeout))
		t->source = g_timeout_add(dbus_timeout_get_interval(t->timeout), on_timeout, t);
}

static void timeout_free(void *data)
{
	Timeout *t = data;

	timeout_stop(t);
	g_free(t);
}

static dbus_bool_t add_timeout(DBusTimeout *timeout, void *data)
{
	Timeout *t = g_new0(Timeout, 1);

	t->timeout = timeout;
	dbus_timeout_set_data(timeout, t, timeout_free);
	timeout_start(t);
	return TRUE;
}

static void remove_timeout(DBusTimeout *timeout, void *data)
{
	Timeout *t = dbus_timeout_get_data(timeout);

	if (t)
		timeout_stop(t);
}

static void toggle_timeout(DBusTimeout *timeout, void *data)
{
	Timeout *t = dbus_timeout_get_data(timeout);

	if (t)
		timeout_start(t);
}

static gboolean on_dispatch(gpointer data)
{
	Glue *g = data;

	dbus_connection_ref(g->conn);
	/* One message per iteration keeps the loop fair to timers and other
	 * connections; the source stays while more are queued. */
	dbus_connection_dispatch(g->conn);
	if (dbus_connection_get_dispatch_status(g->conn) == DBUS_DISPATCH_DATA_REMAINS) {
		dbus_connection_unref(g->conn);
		return G_SOURCE_CONTINUE;
	}
	g->dispatch_source = 0;
	dbus_connection_unref(g->conn);
	return G_SOURCE_REMOVE;
}

static void schedule_dispatch(Glue *g)
{
	if (!g->dispatch_source &&
	    dbus_connection_get_dispatch_status(g->conn) == DBUS_DISPATCH_DATA_REMAINS)
		g->dispatch_source = g_idle_add(on_dispatch, g);
}

static void dispatch_status(DBusConnection *conn, DBusDispatchStatus status, void *data)
{
	if (status == DBUS_DISPATCH_DATA_REMAINS)
		schedule_dispatch(data);
}

static void wakeup(void *data)
{
	g_main_context_wakeup(NULL);
}

static void glue_free(void *data)
{
	Glue *g = data;

	if (g->dispatch_source)
		g_source_remove(g->dispatch_source);
	g_free(g);
}

void dbus_glib_attach(DBusConnection *conn)
{
	Glue *g = g_new0(Glue, 1);

	g->conn = conn;
	dbus_connection_set_watch_functions(conn, add_watch, remove_watch, toggle_watch, g, NULL);
	dbus_connection_set_timeout_functions(conn, add_timeout, remove_timeout, toggle_timeout, g,
	                                      NULL);
	dbus_connection_set_wakeup_main_function(conn, wakeup, g, NULL);
	dbus_connection_set_dispatch_status_function(conn, dispatch_status, g, glue_free);
	schedule_dispatch(g);
}

DBusConnection *dbus_glib_open(GError **error)
{
	const char *address = g_getenv("DBUS_SESSION_BUS_ADDRESS");
	DBusError err;
	DBusConnection *conn;

	dbus_error_init(&err);
	if (address && *address) {
		conn = dbus_connection_open_private(address, &err);
		if (conn && !dbus_bus_register(conn, &err)) {
			dbus_connection_close(conn);
			dbus_connection_unref(conn);
			conn = NULL;
		}
	} else {
		conn = dbus_bus_get_private(DBUS_BUS_SYSTEM, &err);
	}
	if (!conn) {
		g_set_error(error, BATAGG_BUS_ERROR, BATAGG_BUS_ERROR_CONNECT,
		            "cannot connect to the %s bus: %s", address ? "session" : "system",
		            err.message ? err.message : "unknown error");
		dbus_error_free(&err);
		return NULL;
	}
	dbus_connection_set_exit_on_disconnect(conn, FALSE);
	dbus_glib_attach(conn);
	return conn;
}

void dbus_glib_detach(DBusConnection *conn)
{
	dbus_connection_set_watch_functions(conn, NULL, NULL, NULL, NULL, NULL);
	dbus_connection_set_timeout_functions(conn, NULL, NULL, NULL, NULL, NULL);
	dbus_connection_set_wakeup_main_function(conn, NULL, NULL, NULL);
	dbus_connection_set_dispatch_status_function(conn, NULL, NULL, NULL);
}

void dbus_glib_close(DBusConnection *conn)
{
	dbus_connection_close(conn);
	/* Detach before the last reference goes, so no GLib source outlives it. */
	dbus_glib_detach(conn);
	dbus_connection_unref(conn);
}
