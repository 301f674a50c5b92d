/* SPDX-License-Identifier: MIT */
/* What batagg follows of one sender: see subscription.h. */
#include "bus/subscription.h"

#include <string.h>

#include "bus/items.h"
#include "bus/match.h"

struct Subscription {
	DBusConnection *conn;
	const char *const *paths; /* NULL: every path */
	GPtrArray *rules;         /* char *: the match rules that bring its signals */
};

/* Every change counts, as ItemsChanged or as PropertiesChanged: a sender
 * followed for a few paths gets a rule per path. */
Subscription *subscription_new(DBusConnection *conn, const char *sender, const char *const *paths)
{
	Subscription *sub = g_new0(Subscription, 1);

	sub->conn = dbus_connection_ref(conn);
	sub->paths = paths;
	sub->rules = g_ptr_array_new_with_free_func(g_free);
	match_rules_for(sub->rules, sender, paths);
	for (guint i = 0; i < sub->rules->len; i++)
		match_send(conn, sub->rules->pdata[i], TRUE);
	return sub;
}

static gboolean wanted_path(const Subscription *sub, const char *path)
{
	if (!sub->paths)
		return TRUE;
	for (size_t i = 0; sub->paths[i]; i++) {
		if (strcmp(sub->paths[i], path) == 0)
			return TRUE;
	}
	return FALSE;
}

void subscription_filter(const Subscription *sub, GArray *items)
{
	for (guint i = items->len; i-- > 0;) {
		if (!wanted_path(sub, g_array_index(items, PathValue, i).path))
			g_array_remove_index(items, i);
	}
}

void subscription_free(Subscription *sub)
{
	gboolean connected;

	if (!sub)
		return;
	connected = dbus_connection_get_is_connected(sub->conn);
	for (guint i = 0; connected && i < sub->rules->len; i++)
		match_send(sub->conn, sub->rules->pdata[i], FALSE);
	g_ptr_array_free(sub->rules, TRUE);
	dbus_connection_unref(sub->conn);
	g_free(sub);
}
