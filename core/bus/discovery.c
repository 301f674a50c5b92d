/* SPDX-License-Identifier: MIT */
/* Discovery of the services on the bus: see discovery.h. */
#include "bus/discovery.h"

#include "base/names.h"
#include "bus/dbus_value.h"
#include "bus/match.h"
#include "bus/pending.h"

#define CALL_TIMEOUT_MS 10000

struct Discovery {
	DBusConnection *conn;
	DiscoveryCallbacks cb;
	void *data;
	const char *owner_rule; /* the NameOwnerChanged rule in use, or NULL */
	Pending *calls;         /* ListNames, then GetNameOwner of each name */
};

Discovery *discovery_new(DBusConnection *conn, const DiscoveryCallbacks *cb, void *data)
{
	Discovery *d = g_new0(Discovery, 1);

	d->conn = dbus_connection_ref(conn);
	d->cb = *cb;
	d->data = data;
	d->calls = pending_new();
	return d;
}

void discovery_watch(Discovery *d)
{
	DBusError err;

	/* The first rule fails on a bus without arg0namespace. */
	for (size_t i = 0; !d->owner_rule && i < match_n_owner_rules; i++) {
		dbus_error_init(&err);
		dbus_bus_add_match(d->conn, match_owner_rules[i], &err);
		if (!dbus_error_is_set(&err))
			d->owner_rule = match_owner_rules[i];
		dbus_error_free(&err);
	}
}

gboolean discovery_handle(Discovery *d, DBusMessage *msg)
{
	const char *name, *old_owner, *new_owner;

	if (!dbus_message_is_signal(msg, DBUS_INTERFACE_DBUS, "NameOwnerChanged"))
		return FALSE;
	if (!dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &name, DBUS_TYPE_STRING, &old_owner,
	                           DBUS_TYPE_STRING, &new_owner, DBUS_TYPE_INVALID))
		return TRUE;
	if (!g_str_has_prefix(name, NAMES_VICTRON_PREFIX))
		return TRUE;
	if (new_owner[0])
		d->cb.appeared(d->data, name, new_owner);
	else
		d->cb.vanished(d->data, name);
	return TRUE;
}

typedef struct {
	Discovery *d;
	char *name;
} OwnerQuery;

static void owner_query_free(void *data)
{
	OwnerQuery *q = data;

	g_free(q->name);
	g_free(q);
}

static void on_owner(DBusMessage *reply, void *data)
{
	OwnerQuery *q = data;
	const char *owner;

	if (!dbus_message_get_args(reply, NULL, DBUS_TYPE_STRING, &owner, DBUS_TYPE_INVALID))
		owner = NULL;
	q->d->cb.owner(q->d->data, q->name, owner);
}

static void query_owner(Discovery *d, const char *name)
{
	DBusMessage *msg = dbus_message_new_method_call(DBUS_SERVICE_DBUS, DBUS_PATH_DBUS,
	                                                DBUS_INTERFACE_DBUS, "GetNameOwner");
	OwnerQuery *q = g_new0(OwnerQuery, 1);
	DBusMessageIter it;

	dbus_message_iter_init_append(msg, &it);
	dbus_value_append_string(&it, name);
	q->d = d;
	q->name = g_strdup(name);
	pending_call(d->calls, d->conn, msg, CALL_TIMEOUT_MS, on_owner, q, owner_query_free);
}

static void on_list_names(DBusMessage *reply, void *data)
{
	Discovery *d = data;
	GHashTable *listed;
	char **names = NULL;
	int n = 0;

	if (!dbus_message_get_args(reply, NULL, DBUS_TYPE_ARRAY, DBUS_TYPE_STRING, &names, &n,
	                           DBUS_TYPE_INVALID)) {
		g_warning("monitor: ListNames failed: %s", dbus_message_get_error_name(reply));
		d->cb.listed(d->data, NULL);
		return;
	}
	listed = g_hash_table_new(g_str_hash, g_str_equal);
	for (int i = 0; i < n; i++) {
		if (g_str_has_prefix(names[i], NAMES_VICTRON_PREFIX)) {
			g_hash_table_add(listed, names[i]);
			query_owner(d, names[i]);
		}
	}
	d->cb.listed(d->data, listed);
	g_hash_table_unref(listed);
	dbus_free_string_array(names);
}

void discovery_list(Discovery *d)
{
	DBusMessage *msg = dbus_message_new_method_call(DBUS_SERVICE_DBUS, DBUS_PATH_DBUS,
	                                                DBUS_INTERFACE_DBUS, "ListNames");

	pending_call(d->calls, d->conn, msg, CALL_TIMEOUT_MS, on_list_names, d, NULL);
}

gboolean discovery_busy(const Discovery *d)
{
	return pending_count(d->calls) > 0;
}

void discovery_free(Discovery *d)
{
	if (!d)
		return;
	pending_free(d->calls);
	if (d->owner_rule && dbus_connection_get_is_connected(d->conn))
		match_send(d->conn, d->owner_rule, FALSE);
	dbus_connection_unref(d->conn);
	g_free(d);
}
