/* SPDX-License-Identifier: MIT */
/* BusItem message bodies: see items.h. */
#include "bus/items.h"

#include <string.h>

#include "bus/dbus_value.h"

static void clear_item(gpointer data)
{
	PathValue *it = data;

	g_free((char *)it->path);
	value_clear(&it->value);
}

GArray *items_new(void)
{
	GArray *items = g_array_new(FALSE, FALSE, sizeof(PathValue));

	g_array_set_clear_func(items, clear_item);
	return items;
}

void items_add(GArray *items, const char *path, const Value *v)
{
	PathValue it = {g_strdup(path), VALUE_INIT};

	value_copy(&it.value, v);
	g_array_append_val(items, it);
}

void items_add_all(GArray *items, const GArray *src)
{
	for (guint k = 0; k < src->len; k++) {
		const PathValue *from = &g_array_index(src, PathValue, k);

		items_add(items, from->path, &from->value);
	}
}

/* The value at iter (a variant), under path, given a leading slash. */
static void add_read(GArray *items, const char *path, DBusMessageIter *value)
{
	PathValue it = {0};

	it.path = path[0] == '/' ? g_strdup(path) : g_strconcat("/", path, NULL);
	dbus_value_read(value, &it.value);
	g_array_append_val(items, it);
}

/* Entries of an a{sv} dict: key -> value. */
static void read_sv_dict(DBusMessageIter *dict, GArray *items)
{
	DBusMessageIter entry;

	while (dbus_message_iter_get_arg_type(dict) == DBUS_TYPE_DICT_ENTRY) {
		const char *key;

		dbus_message_iter_recurse(dict, &entry);
		if (dbus_message_iter_get_arg_type(&entry) == DBUS_TYPE_STRING) {
			dbus_message_iter_get_basic(&entry, &key);
			dbus_message_iter_next(&entry);
			add_read(items, key, &entry);
		}
		dbus_message_iter_next(dict);
	}
}

/* The "Value" of an {"Value": v, "Text": v} dict, appended under path. */
static void read_value_of(DBusMessageIter *props, const char *path, GArray *items)
{
	DBusMessageIter entry;

	while (dbus_message_iter_get_arg_type(props) == DBUS_TYPE_DICT_ENTRY) {
		const char *key;

		dbus_message_iter_recurse(props, &entry);
		if (dbus_message_iter_get_arg_type(&entry) == DBUS_TYPE_STRING) {
			dbus_message_iter_get_basic(&entry, &key);
			if (strcmp(key, "Value") == 0) {
				dbus_message_iter_next(&entry);
				add_read(items, path, &entry);
				return;
			}
		}
		dbus_message_iter_next(props);
	}
}

gboolean items_read_changes(DBusMessage *msg, GArray *items)
{
	DBusMessageIter it, outer, entry, props;

	if (!dbus_message_has_signature(msg, "a{sa{sv}}"))
		return FALSE;
	dbus_message_iter_init(msg, &it);
	dbus_message_iter_recurse(&it, &outer);
	while (dbus_message_iter_get_arg_type(&outer) == DBUS_TYPE_DICT_ENTRY) {
		const char *path;

		dbus_message_iter_recurse(&outer, &entry);
		dbus_message_iter_get_basic(&entry, &path);
		dbus_message_iter_next(&entry);
		dbus_message_iter_recurse(&entry, &props);
		read_value_of(&props, path, items);
		dbus_message_iter_next(&outer);
	}
	return TRUE;
}

gboolean items_read_properties(DBusMessage *msg, GArray *items)
{
	DBusMessageIter it, props;

	if (!dbus_message_has_signature(msg, "a{sv}") || !dbus_message_get_path(msg))
		return FALSE;
	dbus_message_iter_init(msg, &it);
	dbus_message_iter_recurse(&it, &props);
	read_value_of(&props, dbus_message_get_path(msg), items);
	return TRUE;
}

void items_read_tree(DBusMessage *reply, GArray *items)
{
	DBusMessageIter it, var, dict;

	if (dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_ERROR ||
	    !dbus_message_iter_init(reply, &it))
		return;
	if (dbus_message_iter_get_arg_type(&it) == DBUS_TYPE_VARIANT) {
		dbus_message_iter_recurse(&it, &var);
		it = var;
	}
	if (dbus_message_iter_get_arg_type(&it) == DBUS_TYPE_ARRAY &&
	    dbus_message_iter_get_element_type(&it) == DBUS_TYPE_DICT_ENTRY) {
		dbus_message_iter_recurse(&it, &dict);
		read_sv_dict(&dict, items);
	}
}

void items_read_value(DBusMessage *reply, const char *path, GArray *items)
{
	DBusMessageIter it;
	PathValue item = {g_strdup(path), VALUE_INIT};

	if (dbus_message_get_type(reply) != DBUS_MESSAGE_TYPE_ERROR &&
	    dbus_message_iter_init(reply, &it))
		dbus_value_read(&it, &item.value);
	g_array_append_val(items, item);
}

void items_append_properties(DBusMessageIter *props, const Value *v, const char *text)
{
	DBusMessageIter prop;
	Value t = value_text(text);

	dbus_message_iter_open_container(props, DBUS_TYPE_DICT_ENTRY, NULL, &prop);
	dbus_value_append_string(&prop, "Value");
	dbus_value_append_variant(&prop, v);
	dbus_message_iter_close_container(props, &prop);
	dbus_message_iter_open_container(props, DBUS_TYPE_DICT_ENTRY, NULL, &prop);
	dbus_value_append_string(&prop, "Text");
	dbus_value_append_variant(&prop, &t);
	dbus_message_iter_close_container(props, &prop);
	value_clear(&t);
}

void items_append_entry(DBusMessageIter *dict, const char *path, const Value *v, const char *text)
{
	DBusMessageIter entry, props;

	dbus_message_iter_open_container(dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
	dbus_value_append_string(&entry, path);
	dbus_message_iter_open_container(&entry, DBUS_TYPE_ARRAY, "{sv}", &props);
	items_append_properties(&props, v, text);
	dbus_message_iter_close_container(&entry, &props);
	dbus_message_iter_close_container(dict, &entry);
}
