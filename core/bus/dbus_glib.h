/* SPDX-License-Identifier: MIT */
/*
 * The libdbus <-> GLib main loop glue: the only file that knows both.
 * Watches become GLib fd sources, timeouts GLib timeouts, and dispatching
 * happens from an idle source, never re-entrantly from inside a callback.
 */
#ifndef BATAGG_DBUS_GLIB_H
#define BATAGG_DBUS_GLIB_H

#include <dbus/dbus.h>
#include <glib.h>

/* Attaches conn to the default GMainContext.  Call once per connection. */
void dbus_glib_attach(DBusConnection *conn);

/* Detaches conn from the main loop: nothing is read or dispatched until
 * dbus_glib_attach() again (the simulator imitates a stuck service so). */
void dbus_glib_detach(DBusConnection *conn);

/* Opens a new private connection to the bus: the address in
 * DBUS_SESSION_BUS_ADDRESS when it is set, else the system bus; registers it
 * (Hello), attaches it to the main loop and makes it not exit the process on
 * disconnect.  Returns (transfer full) the connection, or NULL with error set.
 * Close with dbus_glib_close(). */
DBusConnection *dbus_glib_open(GError **error);

/* Closes and unrefs a connection from dbus_glib_open(). */
void dbus_glib_close(DBusConnection *conn);

#define BATAGG_BUS_ERROR (batagg_bus_error_quark())
GQuark batagg_bus_error_quark(void);

enum {
	BATAGG_BUS_ERROR_CONNECT,
	BATAGG_BUS_ERROR_NAME_TAKEN,
	BATAGG_BUS_ERROR_FAILED,
};

#endif
