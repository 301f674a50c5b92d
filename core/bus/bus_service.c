/* SPDX-License-Identifier: MIT */
/*
 * The BusItem publisher: one object tree per connection, served by a single
 * fallback handler at "/".  A method call is looked up once in a table per
 * interface and its handler returns the reply.  Leaves answer with their own
 * value; "/" and intermediate nodes answer with the sub-tree below them.
 * Changes collect in a pending list and leave together at the next tick
 * (an idle source, or a timer when the service has a publish interval), or
 * when the owner flushes them: one ItemsChanged on "/", and only when asked
 * for, one PropertiesChanged per leaf.  The leaves themselves are
 * item_table.c's, the replies that only read them tree_replies.c's.
 */
#include "bus/bus_service.h"

#include <string.h>

#include "bus/dbus_glib.h"
#include "bus/dbus_value.h"
#include "bus/item_table.h"
#include "bus/tree_replies.h"
#include "base/names.h"

#define INTROSPECT_IFACE "org.freedesktop.DBus.Introspectable"

struct BusService {
	DBusConnection *conn;
	char *name;
	ItemTable *table;
	guint flush_source;
	gboolean registered;
	gboolean writing;   /* inside a write callback */
	TableItem *written; /* its path, while it runs */
	gboolean stored;    /* it stored that path's value with bus_service_set() */
	gboolean no_items_changed;
	gboolean properties_changed;
	guint interval_ms;
	gint64 last_flush; /* g_get_monotonic_time() of the last signal sent */
	BusRefreshFn on_refresh;
	void *on_refresh_data;
};

/* A reply built from the table alone (tree_replies.h), or one that needs
 * the service (SetValue).  A method has exactly one of the two. */
typedef DBusMessage *(*Reader)(ItemTable *table, DBusMessage *msg, const char *path,
                               TableItem *item);
typedef DBusMessage *(*Handler)(BusService *svc, DBusMessage *msg, const char *path,
                                TableItem *item);

typedef struct {
	const char *member;
	const char *signature;
	Reader reader;
	Handler handler;
	gboolean reads; /* answers with values: the owner's on_refresh first */
} Method;

BusService *bus_service_new(DBusConnection *conn, const char *name)
{
	BusService *svc = g_new0(BusService, 1);

	svc->conn = dbus_connection_ref(conn);
	svc->name = g_strdup(name);
	svc->table = item_table_new();
	return svc;
}

/* ---- signals ------------------------------------------------------------- */

void bus_service_use_items_changed(BusService *svc, gboolean on)
{
	svc->no_items_changed = !on;
}

void bus_service_use_properties_changed(BusService *svc, gboolean on)
{
	svc->properties_changed = on;
}

void bus_service_set_interval(BusService *svc, guint ms)
{
	svc->interval_ms = ms;
}

void bus_service_on_refresh(BusService *svc, BusRefreshFn fn, void *user_data)
{
	svc->on_refresh = fn;
	svc->on_refresh_data = user_data;
}

void bus_service_flush(BusService *svc)
{
	GPtrArray *changed = item_table_changed(svc->table);
	DBusMessage *sig;
	DBusMessageIter it;

	if (svc->flush_source) {
		g_source_remove(svc->flush_source);
		svc->flush_source = 0;
	}
	if (changed->len == 0)
		return;
	if (svc->registered && !svc->no_items_changed) {
		sig = dbus_message_new_signal("/", NAMES_BUSITEM_IFACE, "ItemsChanged");
		dbus_message_iter_init_append(sig, &it);
		item_table_append_items(&it, changed);
		dbus_connection_send(svc->conn, sig, NULL);
		dbus_message_unref(sig);
	}
	if (svc->registered && svc->properties_changed) {
		for (guint i = 0; i < changed->len; i++) {
			const TableItem *item = changed->pdata[i];

			sig = dbus_message_new_signal(item->path, NAMES_BUSITEM_IFACE,
			                              "PropertiesChanged");
			dbus_message_iter_init_append(sig, &it);
			item_table_append_properties(&it, item);
			dbus_connection_send(svc->conn, sig, NULL);
			dbus_message_unref(sig);
		}
	}
	item_table_clear_changed(svc->table);
	svc->last_flush = g_get_monotonic_time();
}

static gboolean on_flush(gpointer data)
{
	BusService *svc = data;

	svc->flush_source = 0;
	if (svc->on_refresh)
		svc->on_refresh(svc, svc->on_refresh_data);
	bus_service_flush(svc);
	return G_SOURCE_REMOVE;
}

void bus_service_schedule(BusService *svc)
{
	gint64 due, now;

	if (svc->flush_source || !svc->registered)
		return;
	if (!svc->interval_ms) {
		svc->flush_source = g_idle_add(on_flush, svc);
		return;
	}
	/* At most one signal per interval; after a quiet spell, at once. */
	now = g_get_monotonic_time();
	due = svc->last_flush + (gint64)svc->interval_ms * 1000;
	svc->flush_source =
	        g_timeout_add(due > now ? (guint)((due - now + 999) / 1000) : 0, on_flush, svc);
}

/* ---- items --------------------------------------------------------------- */

void bus_service_add(BusService *svc, const char *path, const Value *initial, Unit unit,
                     BusWriteFn on_write, void *user_data)
{
	item_table_add(svc->table, path, unit, (ItemTableFn)on_write, user_data);
	bus_service_set(svc, path, initial);
}

void bus_service_set(BusService *svc, const char *path, const Value *v)
{
	TableItem *item = item_table_lookup(svc->table, path);

	if (!item) {
		g_critical("bus: %s has no path %s", svc->name, path);
		return;
	}
	/* What a write callback stores wins, even the value the path had. */
	svc->stored = svc->stored || (svc->writing && item == svc->written);
	if (item_table_store(svc->table, item, v))
		bus_service_schedule(svc);
}

const Value *bus_service_get(BusService *svc, const char *path)
{
	TableItem *item = item_table_lookup(svc->table, path);

	return item ? &item->value : NULL;
}

void bus_service_foreach(BusService *svc, void (*fn)(const char *path, const Value *v, void *ud),
                         void *ud)
{
	item_table_foreach(svc->table, fn, ud);
}

/* ---- method handlers ----------------------------------------------------- */

static DBusMessage *int_reply(DBusMessage *msg, dbus_int32_t rc)
{
	DBusMessage *reply = dbus_message_new_method_return(msg);

	dbus_message_append_args(reply, DBUS_TYPE_INT32, &rc, DBUS_TYPE_INVALID);
	return reply;
}

static DBusMessage *set_value(BusService *svc, DBusMessage *msg, const char *path, TableItem *item)
{
	DBusMessageIter it;
	Value v = VALUE_INIT;
	gboolean accepted;

	if (!item) {
		g_autoptr(GPtrArray) below = item_table_below(svc->table, path);

		return below ? int_reply(msg, 1) : tree_replies_unknown_object(msg, path);
	}
	if (!item->on_write || svc->writing)
		return int_reply(msg, 1);
	dbus_message_iter_init(msg, &it);
	dbus_value_read(&it, &v);
	svc->writing = TRUE;
	svc->written = item;
	svc->stored = FALSE;
	accepted = ((BusWriteFn)item->on_write)(svc, path, &v, item->user_data);
	svc->writing = FALSE;
	svc->written = NULL;
	/* A callback that stored something itself wins over the written value
	 * (a command path stores its idle value back). */
	if (accepted && !svc->stored)
		bus_service_set(svc, path, &v);
	value_clear(&v);
	return int_reply(msg, accepted ? 0 : 2);
}

static const Method busitem_methods[] = {
        {"GetValue", "", tree_replies_get_value, NULL, TRUE},
        {"GetText", "", tree_replies_get_text, NULL, TRUE},
        {"GetItems", "", tree_replies_get_items, NULL, TRUE},
        {"SetValue", "v", NULL, set_value, FALSE},
        {NULL, NULL, NULL, NULL, FALSE},
};

static const Method introspectable_methods[] = {
        {"Introspect", "", tree_replies_introspect, NULL, FALSE},
        {NULL, NULL, NULL, NULL, FALSE},
};

static const struct {
	const char *name;
	const Method *methods;
} interfaces[] = {
        {NAMES_BUSITEM_IFACE, busitem_methods},
        {INTROSPECT_IFACE, introspectable_methods},
};

/* Callers do not always set the interface (Victron's own settings client
 * omits it): then the member name alone decides. */
static const Method *find_method(const char *iface, const char *member)
{
	for (size_t i = 0; i < G_N_ELEMENTS(interfaces); i++) {
		if (iface && strcmp(iface, interfaces[i].name) != 0)
			continue;
		for (const Method *m = interfaces[i].methods; m->member; m++) {
			if (strcmp(m->member, member) == 0)
				return m;
		}
	}
	return NULL;
}

static DBusHandlerResult on_message(DBusConnection *conn, DBusMessage *msg, void *data)
{
	BusService *svc = data;
	const char *path = dbus_message_get_path(msg);
	const char *member = dbus_message_get_member(msg);
	const Method *m;
	TableItem *item;
	DBusMessage *reply;

	if (dbus_message_get_type(msg) != DBUS_MESSAGE_TYPE_METHOD_CALL || !path || !member)
		return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
	m = find_method(dbus_message_get_interface(msg), member);
	if (!m)
		reply = dbus_value_error(msg, DBUS_ERROR_UNKNOWN_METHOD, "no method %s on %s",
		                         member, path);
	else if (!dbus_message_has_signature(msg, m->signature))
		reply = dbus_value_error(msg, DBUS_ERROR_INVALID_ARGS, "%s takes (%s), not (%s)",
		                         member, m->signature, dbus_message_get_signature(msg));
	else {
		if (svc->on_refresh && m->reads)
			svc->on_refresh(svc, svc->on_refresh_data);
		item = item_table_lookup(svc->table, path);
		reply = m->reader ? m->reader(svc->table, msg, path, item)
		                  : m->handler(svc, msg, path, item);
	}
	if (reply && !dbus_message_get_no_reply(msg))
		dbus_connection_send(conn, reply, NULL);
	if (reply)
		dbus_message_unref(reply);
	return DBUS_HANDLER_RESULT_HANDLED;
}

static const DBusObjectPathVTable vtable = {
        .message_function = on_message,
};

gboolean bus_service_register(BusService *svc, GError **error)
{
	DBusError err;
	int rc;

	dbus_error_init(&err);
	if (!dbus_connection_try_register_fallback(svc->conn, "/", &vtable, svc, &err)) {
		g_set_error(error, BATAGG_BUS_ERROR, BATAGG_BUS_ERROR_FAILED,
		            "cannot serve the object tree of %s: %s", svc->name, err.message);
		dbus_error_free(&err);
		return FALSE;
	}
	svc->registered = TRUE;
	/* Initial values are the tree, not changes: nobody saw them before. */
	item_table_clear_changed(svc->table);
	rc = dbus_bus_request_name(svc->conn, svc->name, DBUS_NAME_FLAG_DO_NOT_QUEUE, &err);
	if (rc == DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER ||
	    rc == DBUS_REQUEST_NAME_REPLY_ALREADY_OWNER)
		return TRUE;
	if (rc < 0)
		g_set_error(error, BATAGG_BUS_ERROR, BATAGG_BUS_ERROR_FAILED,
		            "cannot own the name %s: %s", svc->name, err.message);
	else
		g_set_error(error, BATAGG_BUS_ERROR, BATAGG_BUS_ERROR_NAME_TAKEN,
		            "the name %s is already owned by another program (is another "
		            "aggregator running?)",
		            svc->name);
	dbus_error_free(&err);
	dbus_connection_unregister_object_path(svc->conn, "/");
	svc->registered = FALSE;
	return FALSE;
}

void bus_service_free(BusService *svc)
{
	if (!svc)
		return;
	if (svc->flush_source)
		g_source_remove(svc->flush_source);
	if (svc->registered) {
		dbus_bus_release_name(svc->conn, svc->name, NULL);
		dbus_connection_unregister_object_path(svc->conn, "/");
		dbus_connection_flush(svc->conn);
	}
	item_table_free(svc->table);
	dbus_connection_unref(svc->conn);
	g_free(svc->name);
	g_free(svc);
}
