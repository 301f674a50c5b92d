/* SPDX-License-Identifier: MIT */
/*
 * BusItem message bodies, both ways: lists of (path, value) read from the
 * ItemsChanged, PropertiesChanged and GetItems/GetValue answers of other
 * services, and the a{sa{sv}} entries batagg's own services send.  Single
 * values go through dbus_value.h.  Nothing here calls the bus.
 */
#ifndef BATAGG_ITEMS_H
#define BATAGG_ITEMS_H

#include <dbus/dbus.h>
#include <glib.h>

#include "base/value.h"

/* One path's value.  In a list from items_new() both are owned by the
 * list; handed to a callback, borrowed for the call. */
typedef struct {
	const char *path; /* with the leading slash: "/Dc/0/Voltage" */
	Value value;
} PathValue;

/* An empty GArray of PathValue that frees what it removes (g_array_unref,
 * g_array_remove_index and g_array_set_size clear their elements). */
GArray *items_new(void);

/* Appends a copy of path and v. */
void items_add(GArray *items, const char *path, const Value *v);

/* Appends copies of every item of src. */
void items_add_all(GArray *items, const GArray *src);

/* a{sa{sv}}, the body of ItemsChanged and of a GetItems reply: appends the
 * "Value" of each path (a path without one is left out).  FALSE, and
 * nothing appended, when msg has another signature. */
gboolean items_read_changes(DBusMessage *msg, GArray *items);

/* PropertiesChanged a{sv} on an object: appends its "Value" under the
 * object's path.  FALSE when msg has another signature or no path. */
gboolean items_read_properties(DBusMessage *msg, GArray *items);

/* The reply of GetValue on "/" from an older service, a variant of a{sv}
 * keyed by path without its leading slash: appends each.  Appends nothing
 * from an error or a reply of another shape. */
void items_read_tree(DBusMessage *reply, GArray *items);

/* The reply of GetValue on path: appends path with its value, invalid when
 * the reply is an error. */
void items_read_value(DBusMessage *reply, const char *path, GArray *items);

/* Appends "Value": v and "Text": text to an a{sv} dict open at props: the
 * body of PropertiesChanged. */
void items_append_properties(DBusMessageIter *props, const Value *v, const char *text);

/* Appends to an a{sa{sv}} array open at dict one entry
 * path -> {"Value": v, "Text": text}: ItemsChanged and GetItems. */

void items_append_entry(DBusMessageIter *dict, const char *path, const Value *v, const char *text);

#endif
