/* SPDX-License-Identifier: MIT */
/*
 * ItemTable: the leaves of one published object tree (bus_service.h), by
 * path, each with its value, its GetText unit and its write function; the
 * leaves changed since the last signal, in order of change; and the leaves
 * in path order, for the answers about a node ("/", "/Dc").  Of libdbus,
 * only the encoding of values is here (the bodies of ItemsChanged,
 * PropertiesChanged and of a node's GetValue/GetText/GetItems); messages,
 * signals and the write protocol are bus_service.c's.
 */
#ifndef BATAGG_ITEM_TABLE_H
#define BATAGG_ITEM_TABLE_H

#include <dbus/dbus.h>
#include <glib.h>

#include "base/value.h"

/* A function of any type: the owner's write function, which the table
 * keeps for its owner and never calls (bus_service.c casts its BusWriteFn
 * to and from it). */
typedef void (*ItemTableFn)(void);

/* One leaf.  on_write NULL: read-only. */
typedef struct {
	char *path;
	Value value;
	Unit unit;
	ItemTableFn on_write;
	void *user_data;
	gboolean pending; /* in the changed set */
} TableItem;

typedef struct ItemTable ItemTable;

/* Returns (transfer full) an empty table. */
ItemTable *item_table_new(void);

/* Frees the table and its items. */
void item_table_free(ItemTable *table);

/* Returns the leaf at path, made (with an invalid value) when it is new,
 * with unit and write function set; its value is the caller's to set. */
TableItem *item_table_add(ItemTable *table, const char *path, Unit unit, ItemTableFn on_write,
                          void *user_data);

/* The leaf at path, or NULL. */
TableItem *item_table_lookup(ItemTable *table, const char *path);

/* Stores a copy of v as item's value.  FALSE, and nothing changes, when
 * it equals the value there (same type and value); TRUE when it changed:
 * the item is then in the changed set (once, at its first change). */
gboolean item_table_store(ItemTable *table, TableItem *item, const Value *v);

/* The changed set (TableItem *, in order of first change), borrowed. */
GPtrArray *item_table_changed(ItemTable *table);

/* Empties the changed set. */
void item_table_clear_changed(ItemTable *table);

/* Returns (transfer full) the leaves below node ("/" for all, "/Dc" for
 * "/Dc/..."), by path, or NULL when there are none. */
GPtrArray *item_table_below(ItemTable *table, const char *node);

/* Calls fn for every leaf, in no particular order. */
void item_table_foreach(ItemTable *table, void (*fn)(const char *path, const Value *v, void *ud),
                        void *ud);

/* How much of a leaf's path below node goes before its name relative to
 * node: 1 for "/", strlen(node) + 1 for the others. */
size_t item_table_skip(const char *node);

/* Appends items (TableItem *) as a{sa{sv}}, path -> {"Value", "Text"}: the
 * body of ItemsChanged and of a GetItems reply. */
void item_table_append_items(DBusMessageIter *iter, GPtrArray *items);

/* Appends item's a{sv} {"Value", "Text"}: the body of its
 * PropertiesChanged. */
void item_table_append_properties(DBusMessageIter *iter, const TableItem *item);

/* Appends a variant holding a{sv} (values) or, with texts, a{ss} (texts)
 * of the leaves below node (from item_table_below()), keyed relative to
 * node: GetValue and GetText on a node. */
void item_table_append_tree(DBusMessageIter *iter, GPtrArray *below, const char *node,
                            gboolean texts);

#endif
