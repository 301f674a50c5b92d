/* SPDX-License-Identifier: MIT */
/*
 * BusService: one published Victron service (com.victronenergy.BusItem on
 * every leaf path, on every intermediate node and on "/"), as
 * VICTRON-DBUS.md describes.  One BusService per D-Bus connection: a
 * connection can own one object tree.
 *
 * Life cycle: bus_service_new(), bus_service_add() every path with its
 * initial value, bus_service_register() (registers the object tree, then
 * requests the bus name with "do not queue"), then bus_service_set() as
 * values change.  Changes are sent together at the next tick: from an idle
 * source (all changes of one main-loop iteration), or with a publish
 * interval at most once per interval; bus_service_flush() sends them at
 * once.  One ItemsChanged on "/" carries all changed paths and, only when
 * asked for, one PropertiesChanged per changed leaf follows.  A set to an
 * equal value (same type and value) is not a change.
 */
#ifndef BATAGG_BUSITEM_H
#define BATAGG_BUSITEM_H

#include <dbus/dbus.h>
#include <glib.h>

#include "base/value.h"

typedef struct BusService BusService;

/* Called when a client calls SetValue on a writable path, with the value it
 * sent (decoded by dbus_value_read).  Return TRUE to accept: the service then
 * stores *v (or whatever the callback stored on this path with
 * bus_service_set() during the call, which wins, even when it is the value
 * the path had: a command path goes back to its idle value) and emits the
 * change; FALSE refuses (SetValue returns non-zero and nothing changes). */
typedef gboolean (*BusWriteFn)(BusService *svc, const char *path, const Value *v, void *user_data);

/* Returns (transfer full) a service that will own bus name `name` on conn
 * (conn is referenced).  Nothing is visible on the bus yet. */
BusService *bus_service_new(DBusConnection *conn, const char *name);

/* Adds a leaf path ("/Dc/0/Voltage") with its initial value and GetText unit.
 * on_write NULL makes it read-only.  Adding an existing path replaces its
 * unit/writability and sets the value.  May be called after registration. */
void bus_service_add(BusService *svc, const char *path, const Value *initial, Unit unit,
                     BusWriteFn on_write, void *user_data);

/* Registers the object tree on the connection and requests the bus name with
 * DBUS_NAME_FLAG_DO_NOT_QUEUE.  Returns FALSE with error set
 * (BATAGG_BUS_ERROR_NAME_TAKEN when another owner has it). */
gboolean bus_service_register(BusService *svc, GError **error);

/* Sets a leaf's value (the path must have been added; an unknown path is a
 * programming error, logged and ignored).  Signals follow from an idle
 * source if the value changed. */
void bus_service_set(BusService *svc, const char *path, const Value *v);

/* Whether changes go out as one ItemsChanged (the default: on) and as a
 * PropertiesChanged per leaf (default: off; every Venus OS program reads
 * ItemsChanged, and a consumer that reads both decodes each change twice).
 * The simulator imitates drivers that send either or both. */
void bus_service_use_items_changed(BusService *svc, gboolean on);
void bus_service_use_properties_changed(BusService *svc, gboolean on);

/* Changes go out at most once per ms milliseconds (0, the default: from an
 * idle source, all changes of one main-loop iteration together).  After a
 * quiet interval, a change goes out at once. */
void bus_service_set_interval(BusService *svc, guint ms);

/* Called before each tick sends and before GetValue, GetText or GetItems is
 * answered, so that an owner that computes lazily brings the values up to
 * date (calling bus_service_set() from inside is fine). */
typedef void (*BusRefreshFn)(BusService *svc, void *user_data);
void bus_service_on_refresh(BusService *svc, BusRefreshFn fn, void *user_data);

/* Asks for a tick even though nothing changed yet: the owner's refresh may
 * have changes then. */
void bus_service_schedule(BusService *svc);

/* Sends the pending signals now (with manual flush, the owner's tick). */
void bus_service_flush(BusService *svc);

/* The current value of a leaf, or NULL when the path is unknown. */
const Value *bus_service_get(BusService *svc, const char *path);

/* Calls fn for every leaf (in no particular order; fn must not add or
 * remove paths). */
void bus_service_foreach(BusService *svc, void (*fn)(const char *path, const Value *v, void *ud),
                         void *ud);

/* Releases the name, unregisters the tree, frees everything. */
void bus_service_free(BusService *svc);

#endif
