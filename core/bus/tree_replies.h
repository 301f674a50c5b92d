/* SPDX-License-Identifier: MIT */
/*
 * The answers of a published object tree (bus_service.h) that read it:
 * GetValue, GetText and GetItems on a leaf (its own value) or on a node
 * ("/", "/Dc": the leaves below it), and Introspect.  Each builds the reply
 * to msg, a call on path, from the table alone; item is the leaf at path,
 * NULL on a node.  A path that is neither gets UnknownObject.  Returns
 * (transfer full) the reply.  Sending it, and SetValue, are bus_service.c's.
 */
#ifndef BATAGG_TREE_REPLIES_H
#define BATAGG_TREE_REPLIES_H

#include <dbus/dbus.h>

#include "bus/item_table.h"

/* org.freedesktop.DBus.Error.UnknownObject: no leaf and no node at path. */
DBusMessage *tree_replies_unknown_object(DBusMessage *msg, const char *path);

/* The value of the leaf; of a node, a variant of a{sv}: the values below it
 * keyed relative to it. */
DBusMessage *tree_replies_get_value(ItemTable *table, DBusMessage *msg, const char *path,
                                    TableItem *item);

/* The text of the leaf (its value formatted with its unit); of a node, a
 * variant of a{ss}, like GetValue. */
DBusMessage *tree_replies_get_text(ItemTable *table, DBusMessage *msg, const char *path,
                                   TableItem *item);

/* a{sa{sv}}: full path -> {"Value", "Text"} of the leaf, or of every leaf
 * below the node. */
DBusMessage *tree_replies_get_items(ItemTable *table, DBusMessage *msg, const char *path,
                                    TableItem *item);

/* The BusItem interface, and a <node> for each child of a node; on a leaf
 * or an unknown path, no children. */
DBusMessage *tree_replies_introspect(ItemTable *table, DBusMessage *msg, const char *path,
                                     TableItem *item);

#endif
