/* SPDX-License-Identifier: MIT */
/* The leaves of a published object tree: see item_table.h. */
#include "bus/item_table.h"

#include <string.h>

#include "bus/dbus_value.h"
#include "bus/items.h"

struct ItemTable {
	GHashTable *items;  /* path -> TableItem */
	GPtrArray *sorted;  /* TableItem *, by path; NULL when it must be rebuilt */
	GPtrArray *changed; /* TableItem *, in order of change */
};

static void item_free(gpointer data)
{
	TableItem *item = data;

	value_clear(&item->value);
	g_free(item->path);
	g_free(item);
}

ItemTable *item_table_new(void)
{
	ItemTable *table = g_new0(ItemTable, 1);

	table->items = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, item_free);
	table->changed = g_ptr_array_new();
	return table;
}

void item_table_free(ItemTable *table)
{
	g_ptr_array_free(table->changed, TRUE);
	if (table->sorted)
		g_ptr_array_unref(table->sorted);
	g_hash_table_destroy(table->items);
	g_free(table);
}

TableItem *item_table_add(ItemTable *table, const char *path, Unit unit, ItemTableFn on_write,
                          void *user_data)
{
	TableItem *item = g_hash_table_lookup(table->items, path);

	if (!item) {
		item = g_new0(TableItem, 1);
		item->path = g_strdup(path);
		g_hash_table_insert(table->items, item->path, item);
		g_clear_pointer(&table->sorted, g_ptr_array_unref);
	}
	item->unit = unit;
	item->on_write = on_write;
	item->user_data = user_data;
	return item;
}

TableItem *item_table_lookup(ItemTable *table, const char *path)
{
	return g_hash_table_lookup(table->items, path);
}

gboolean item_table_store(ItemTable *table, TableItem *item, const Value *v)
{
	if (value_equal(&item->value, v))
		return FALSE;
	value_copy(&item->value, v);
	if (!item->pending) {
		item->pending = TRUE;
		g_ptr_array_add(table->changed, item);
	}
	return TRUE;
}

GPtrArray *item_table_changed(ItemTable *table)
{
	return table->changed;
}

void item_table_clear_changed(ItemTable *table)
{
	for (guint i = 0; i < table->changed->len; i++)
		((TableItem *)table->changed->pdata[i])->pending = FALSE;
	g_ptr_array_set_size(table->changed, 0);
}

static gint by_path(gconstpointer a, gconstpointer b)
{
	return strcmp((*(TableItem *const *)a)->path, (*(TableItem *const *)b)->path);
}

static GPtrArray *sorted_items(ItemTable *table)
{
	GHashTableIter it;
	gpointer value;

	if (table->sorted)
		return table->sorted;
	table->sorted = g_ptr_array_sized_new(g_hash_table_size(table->items));
	g_hash_table_iter_init(&it, table->items);
	while (g_hash_table_iter_next(&it, NULL, &value))
		g_ptr_array_add(table->sorted, value);
	g_ptr_array_sort(table->sorted, by_path);
	return table->sorted;
}

GPtrArray *item_table_below(ItemTable *table, const char *node)
{
	GPtrArray *all = sorted_items(table);
	GPtrArray *below = g_ptr_array_new();
	size_t len = strcmp(node, "/") == 0 ? 0 : strlen(node);

	for (guint i = 0; i < all->len; i++) {
		const TableItem *item = all->pdata[i];

		if (len == 0 || (strncmp(item->path, node, len) == 0 && item->path[len] == '/'))
			g_ptr_array_add(below, all->pdata[i]);
	}
	if (below->len == 0) {
		g_ptr_array_unref(below);
		return NULL;
	}
	return below;
}

void item_table_foreach(ItemTable *table, void (*fn)(const char *path, const Value *v, void *ud),
                        void *ud)
{
	GHashTableIter it;
	gpointer value;

	g_hash_table_iter_init(&it, table->items);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		const TableItem *item = value;

		fn(item->path, &item->value, ud);
	}
}

size_t item_table_skip(const char *node)
{
	return strcmp(node, "/") == 0 ? 1 : strlen(node) + 1;
}

/* ---- encoding ------------------------------------------------------------ */

void item_table_append_items(DBusMessageIter *iter, GPtrArray *items)
{
	DBusMessageIter outer;

	dbus_message_iter_open_container(iter, DBUS_TYPE_ARRAY, "{sa{sv}}", &outer);
	for (guint i = 0; i < items->len; i++) {
		const TableItem *item = items->pdata[i];
		g_autofree char *text = value_format(&item->value, item->unit);

		items_append_entry(&outer, item->path, &item->value, text);
	}
	dbus_message_iter_close_container(iter, &outer);
}

void item_table_append_properties(DBusMessageIter *iter, const TableItem *item)
{
	g_autofree char *text = value_format(&item->value, item->unit);
	DBusMessageIter dict;

	dbus_message_iter_open_container(iter, DBUS_TYPE_ARRAY, "{sv}", &dict);
	items_append_properties(&dict, &item->value, text);
	dbus_message_iter_close_container(iter, &dict);
}

void item_table_append_tree(DBusMessageIter *iter, GPtrArray *below, const char *node,
                            gboolean texts)
{
	size_t skip = item_table_skip(node);
	DBusMessageIter var, dict, entry;

	dbus_message_iter_open_container(iter, DBUS_TYPE_VARIANT, texts ? "a{ss}" : "a{sv}", &var);
	dbus_message_iter_open_container(&var, DBUS_TYPE_ARRAY, texts ? "{ss}" : "{sv}", &dict);
	for (guint i = 0; i < below->len; i++) {
		const TableItem *item = below->pdata[i];

		dbus_message_iter_open_container(&dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
		dbus_value_append_string(&entry, item->path + skip);
		if (texts) {
			g_autofree char *text = value_format(&item->value, item->unit);

			dbus_value_append_string(&entry, text);
		} else {
			dbus_value_append_variant(&entry, &item->value);
		}
		dbus_message_iter_close_container(&dict, &entry);
	}
	dbus_message_iter_close_container(&var, &dict);
	dbus_message_iter_close_container(iter, &var);
}
