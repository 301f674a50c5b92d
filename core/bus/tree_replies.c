/* SPDX-License-Identifier: MIT */
/* The answers of a published object tree: see tree_replies.h. */
#include "bus/tree_replies.h"

#include <string.h>

#include "bus/dbus_value.h"
#include "base/names.h"

DBusMessage *tree_replies_unknown_object(DBusMessage *msg, const char *path)
{
	return dbus_value_error(msg, DBUS_ERROR_UNKNOWN_OBJECT, "no path %s", path);
}

/* A variant holding a{sv} (values) or a{ss} (texts) of the items below
 * node, keyed relative to it. */
static DBusMessage *subtree_reply(ItemTable *table, DBusMessage *msg, const char *path,
                                  gboolean texts)
{
	g_autoptr(GPtrArray) below = item_table_below(table, path);
	DBusMessage *reply;
	DBusMessageIter it;

	if (!below)
		return tree_replies_unknown_object(msg, path);
	reply = dbus_message_new_method_return(msg);
	dbus_message_iter_init_append(reply, &it);
	item_table_append_tree(&it, below, path, texts);
	return reply;
}

DBusMessage *tree_replies_get_value(ItemTable *table, DBusMessage *msg, const char *path,
                                    TableItem *item)
{
	DBusMessage *reply;
	DBusMessageIter it;

	if (!item)
		return subtree_reply(table, msg, path, FALSE);
	reply = dbus_message_new_method_return(msg);
	dbus_message_iter_init_append(reply, &it);
	dbus_value_append_variant(&it, &item->value);
	return reply;
}

DBusMessage *tree_replies_get_text(ItemTable *table, DBusMessage *msg, const char *path,
                                   TableItem *item)
{
	g_autofree char *text = NULL;
	DBusMessage *reply;
	DBusMessageIter it;

	if (!item)
		return subtree_reply(table, msg, path, TRUE);
	text = value_format(&item->value, item->unit);
	reply = dbus_message_new_method_return(msg);
	dbus_message_iter_init_append(reply, &it);
	dbus_value_append_string(&it, text);
	return reply;
}

DBusMessage *tree_replies_get_items(ItemTable *table, DBusMessage *msg, const char *path,
                                    TableItem *item)
{
	g_autoptr(GPtrArray) below = NULL;
	DBusMessage *reply;
	DBusMessageIter it;

	if (item) {
		below = g_ptr_array_new();
		g_ptr_array_add(below, item);
	} else {
		below = item_table_below(table, path);
		if (!below)
			return tree_replies_unknown_object(msg, path);
	}
	reply = dbus_message_new_method_return(msg);
	dbus_message_iter_init_append(reply, &it);
	item_table_append_items(&it, below);
	return reply;
}

static const char introspect_head[] = DBUS_INTROSPECT_1_0_XML_DOCTYPE_DECL_NODE
        "<node>\n"
        " <interface name=\"" NAMES_BUSITEM_IFACE "\">\n"
        "  <method name=\"GetValue\"><arg direction=\"out\" type=\"v\"/></method>\n"
        "  <method name=\"GetText\"><arg direction=\"out\" type=\"v\"/></method>\n"
        "  <method name=\"GetItems\"><arg direction=\"out\" type=\"a{sa{sv}}\"/></method>\n"
        "  <method name=\"SetValue\"><arg direction=\"in\" type=\"v\"/>"
        "<arg direction=\"out\" type=\"i\"/></method>\n"
        "  <signal name=\"ItemsChanged\"><arg type=\"a{sa{sv}}\"/></signal>\n"
        "  <signal name=\"PropertiesChanged\"><arg type=\"a{sv}\"/></signal>\n"
        " </interface>\n";

DBusMessage *tree_replies_introspect(ItemTable *table, DBusMessage *msg, const char *path,
                                     TableItem *item)
{
	g_autoptr(GString) xml = g_string_new(introspect_head);
	g_autoptr(GPtrArray) below = item ? NULL : item_table_below(table, path);
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	size_t skip = item_table_skip(path);
	DBusMessage *reply;
	DBusMessageIter it;

	for (guint i = 0; below && i < below->len; i++) {
		const char *rest = ((TableItem *)below->pdata[i])->path + skip;
		char *child = g_strndup(rest, strcspn(rest, "/"));

		if (g_hash_table_add(seen, child))
			g_string_append_printf(xml, " <node name=\"%s\"/>\n", child);
	}
	g_string_append(xml, "</node>\n");
	reply = dbus_message_new_method_return(msg);
	dbus_message_iter_init_append(reply, &it);
	dbus_value_append_string(&it, xml->str);
	return reply;
}
