/* SPDX-License-Identifier: MIT */
/*
 * The service monitor: which services are followed (discovery.c tells of
 * the names on the bus, want() decides), what each one's first read
 * (first_read.c) and its signals (subscription.c) bring, and what was
 * known of them before a reload (monitor_seed()).  Every signal on the bus
 * passes through the filter, so it first looks the sender up and leaves at
 * once for anyone not followed.
 */
#include "bus/monitor.h"

#include "base/names.h"
#include "bus/discovery.h"
#include "bus/first_read.h"
#include "bus/items.h"
#include "bus/subscription.h"

typedef struct Service Service;

struct Service {
	Monitor *mon;
	char *name;            /* well-known name */
	char *owner;           /* unique name */
	gboolean reported;     /* added() was called */
	gboolean read;         /* its first read is over */
	gboolean seeded;       /* added() with what was known (monitor_seed()) */
	Subscription *sub;     /* its signals, and which paths count */
	FirstRead *first_read; /* until it is freed, even when over */
};

struct Monitor {
	DBusConnection *conn;
	MonitorCallbacks cb;
	void *user_data;
	GHashTable *services; /* well-known name -> Service */
	GHashTable *owners;   /* unique name -> GPtrArray of Service * (borrowed) */
	gboolean filtering;
	Discovery *discovery;
	guint reading;     /* services whose first read is pending */
	gboolean settled;  /* the last settled() said so */
	GHashTable *known; /* monitor_seed(), until monitor_start() */
};

static void check_settled(Monitor *mon)
{
	gboolean now = mon->filtering && !discovery_busy(mon->discovery) && mon->reading == 0;

	if (now && !mon->settled && mon->cb.settled) {
		mon->settled = TRUE;
		mon->cb.settled(mon->user_data);
	}
	mon->settled = now;
}

static void unlink_owner(Monitor *mon, Service *s)
{
	GPtrArray *list;

	if (!s->owner)
		return;
	list = g_hash_table_lookup(mon->owners, s->owner);
	if (list) {
		g_ptr_array_remove(list, s);
		if (list->len == 0)
			g_hash_table_remove(mon->owners, s->owner);
	}
	g_clear_pointer(&s->owner, g_free);
}

static void service_free(gpointer data)
{
	Service *s = data;

	if (!s->read)
		s->mon->reading--;
	first_read_free(s->first_read);
	subscription_free(s->sub);
	unlink_owner(s->mon, s);
	g_free(s->name);
	g_free(s);
}

/* ---- reporting ----------------------------------------------------------- */

/* The first read is over: its values are the service's first, or (when it
 * was seeded) its latest. */
static void on_first_read(GArray *read, void *data)
{
	Service *s = data;
	Monitor *mon = s->mon;
	g_autoptr(GArray) items = read;
	gboolean seeded = s->reported;

	s->reported = TRUE;
	s->read = TRUE;
	mon->reading--;
	subscription_filter(s->sub, items);
	if (!seeded)
		mon->cb.added(mon->user_data, s->name, (const PathValue *)(void *)items->data,
		              items->len);
	else if (items->len)
		mon->cb.changed(mon->user_data, s->name, (const PathValue *)(void *)items->data,
		                items->len);
	check_settled(mon);
}

/* A service found again after a reload starts from what was known of it. */
static void report_known(Service *s, const GArray *known)
{
	g_autoptr(GArray) items = items_new();

	items_add_all(items, known);
	subscription_filter(s->sub, items);
	s->reported = TRUE;
	s->seeded = TRUE;
	s->mon->cb.added(s->mon->user_data, s->name, (const PathValue *)(void *)items->data,
	                 items->len);
}

/* ---- services ------------------------------------------------------------ */

static void service_gone(Monitor *mon, const char *name)
{
	Service *s = g_hash_table_lookup(mon->services, name);
	gboolean reported;

	if (!s)
		return;
	reported = s->reported;
	g_hash_table_steal(mon->services, name);
	if (reported)
		mon->cb.removed(mon->user_data, name);
	service_free(s);
	check_settled(mon);
}

/* known: what was known of it before (monitor_seed()), or NULL. */
static void service_appeared(Monitor *mon, const char *name, const char *owner, const GArray *known)
{
	static const char *const none[] = {NULL};
	const char *const *paths = NULL;
	MonitorInterest interest;
	GPtrArray *list;
	Service *s;

	service_gone(mon, name);
	interest = mon->cb.want(mon->user_data, name, &paths);
	if (interest == MONITOR_IGNORE)
		return;
	/* The paths read and followed: NULL for every path. */
	if (interest == MONITOR_ALL)
		paths = NULL;
	else if (!paths)
		paths = none;
	s = g_new0(Service, 1);
	s->mon = mon;
	s->name = g_strdup(name);
	s->owner = g_strdup(owner);
	g_hash_table_insert(mon->services, s->name, s);
	list = g_hash_table_lookup(mon->owners, owner);
	if (!list) {
		list = g_ptr_array_new();
		g_hash_table_insert(mon->owners, g_strdup(owner), list);
	}
	g_ptr_array_add(list, s);
	mon->reading++;
	mon->settled = FALSE;
	/* Subscribe before reading: a change sent after the reply is then
	 * never missed. */
	s->sub = subscription_new(mon->conn, owner, paths);
	if (known)
		report_known(s, known);
	s->first_read = first_read_new(mon->conn, name, paths);
	first_read_start(s->first_read, on_first_read, s);
}

/* ---- what discovery tells ----------------------------------------------- */

static void on_appeared(void *data, const char *name, const char *owner)
{
	service_appeared(data, name, owner, NULL);
}

static void on_vanished(void *data, const char *name)
{
	service_gone(data, name);
}

static void on_listed(void *data, GHashTable *listed)
{
	Monitor *mon = data;
	g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter it;
	gpointer value;

	/* A seeded service that left before the listing. */
	g_hash_table_iter_init(&it, mon->services);
	while (listed && g_hash_table_iter_next(&it, NULL, &value)) {
		const Service *s = value;

		if (s->seeded && !g_hash_table_contains(listed, s->name))
			g_ptr_array_add(gone, g_strdup(s->name));
	}
	for (guint i = 0; i < gone->len; i++)
		service_gone(mon, gone->pdata[i]);
	check_settled(mon);
}

static void on_owner(void *data, const char *name, const char *owner)
{
	Monitor *mon = data;
	const Service *s = g_hash_table_lookup(mon->services, name);

	/* NameOwnerChanged may have got there first; a seeded service may
	 * have restarted meanwhile. */
	if (owner && (!s || (s->seeded && g_strcmp0(s->owner, owner) != 0)))
		service_appeared(mon, name, owner, NULL);
	check_settled(mon);
}

static const DiscoveryCallbacks discovery_callbacks = {
        .appeared = on_appeared,
        .vanished = on_vanished,
        .listed = on_listed,
        .owner = on_owner,
};

Monitor *monitor_new(DBusConnection *conn, const MonitorCallbacks *cb, void *user_data)
{
	Monitor *mon = g_new0(Monitor, 1);

	mon->conn = dbus_connection_ref(conn);
	mon->cb = *cb;
	mon->user_data = user_data;
	mon->owners = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	                                    (GDestroyNotify)g_ptr_array_unref);
	mon->services = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, service_free);
	mon->discovery = discovery_new(conn, &discovery_callbacks, mon);
	return mon;
}

/* ---- signals ------------------------------------------------------------- */

static void deliver(Service *s, GArray *items)
{
	subscription_filter(s->sub, items);
	if (items->len)
		s->mon->cb.changed(s->mon->user_data, s->name,
		                   (const PathValue *)(void *)items->data, items->len);
	g_array_set_size(items, 0);
}

static void on_busitem_signal(Monitor *mon, DBusMessage *msg, GPtrArray *services)
{
	g_autoptr(GArray) items = items_new();
	gboolean whole = dbus_message_is_signal(msg, NAMES_BUSITEM_IFACE, "ItemsChanged");

	if (!(whole ? items_read_changes(msg, items) : items_read_properties(msg, items)))
		return;
	/* Usually one service per sender; a sender owning several gets the
	 * values for each (callbacks do not change the monitor's tables). */
	for (guint i = 0; i < services->len; i++) {
		Service *s = services->pdata[i];
		g_autoptr(GArray) mine = NULL;

		/* A service whose read is pending gets its newer state from the
		 * reply, which follows on the same ordered connection; one seeded
		 * with what was known before (monitor_seed()) counts its changes
		 * at once. */
		if (!s->reported)
			continue;
		if (i + 1 == services->len) {
			deliver(s, items);
			continue;
		}
		mine = items_new();
		items_add_all(mine, items);
		deliver(s, mine);
	}
}

static DBusHandlerResult filter(DBusConnection *conn, DBusMessage *msg, void *data)
{
	Monitor *mon = data;
	const char *sender;
	GPtrArray *services;

	if (dbus_message_get_type(msg) != DBUS_MESSAGE_TYPE_SIGNAL)
		return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
	if (discovery_handle(mon->discovery, msg))
		return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
	sender = dbus_message_get_sender(msg);
	services = sender ? g_hash_table_lookup(mon->owners, sender) : NULL;
	if (!services)
		return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
	if (dbus_message_is_signal(msg, NAMES_BUSITEM_IFACE, "ItemsChanged") ||
	    dbus_message_is_signal(msg, NAMES_BUSITEM_IFACE, "PropertiesChanged"))
		on_busitem_signal(mon, msg, services);
	return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
}

static void known_free(gpointer data)
{
	MonitorKnown *k = data;

	g_free(k->owner);
	g_array_unref(k->items);
	g_free(k);
}

GHashTable *monitor_known_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, known_free);
}

MonitorKnown *monitor_known(Monitor *mon, GHashTable *known, const char *service)
{
	const Service *s = mon ? g_hash_table_lookup(mon->services, service) : NULL;
	MonitorKnown *k;

	if (!s || !s->owner)
		return NULL;
	k = g_hash_table_lookup(known, service);
	if (!k) {
		k = g_new0(MonitorKnown, 1);
		k->owner = g_strdup(s->owner);
		k->items = items_new();
		g_hash_table_insert(known, g_strdup(service), k);
	}
	return k;
}

void monitor_seed(Monitor *mon, GHashTable *known)
{
	if (mon->known)
		g_hash_table_destroy(mon->known);
	mon->known = known;
}

/* Every seeded service at once, so that the engines never compute from a
 * part of them. */
static void add_known(Monitor *mon)
{
	g_autoptr(GHashTable) known = g_steal_pointer(&mon->known);
	GHashTableIter it;
	gpointer key, value;

	if (!known)
		return;
	g_hash_table_iter_init(&it, known);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		const MonitorKnown *k = value;

		service_appeared(mon, key, k->owner, k->items);
	}
}

void monitor_start(Monitor *mon)
{
	dbus_connection_add_filter(mon->conn, filter, mon, NULL);
	mon->filtering = TRUE;
	discovery_watch(mon->discovery);
	add_known(mon);
	discovery_list(mon->discovery);
	check_settled(mon);
}

char **monitor_reading(Monitor *mon)
{
	GPtrArray *names = g_ptr_array_new();
	GHashTableIter it;
	gpointer value;

	g_hash_table_iter_init(&it, mon->services);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		const Service *s = value;

		if (!s->read)
			g_ptr_array_add(names, g_strdup(s->name));
	}
	g_ptr_array_add(names, NULL);
	return (char **)g_ptr_array_free(names, FALSE);
}

void monitor_free(Monitor *mon)
{
	if (!mon)
		return;
	if (mon->filtering)
		dbus_connection_remove_filter(mon->conn, filter, mon);
	/* No callback from here on: not even settled() as services go. */
	mon->filtering = FALSE;
	mon->cb.settled = NULL;
	discovery_free(mon->discovery);
	mon->discovery = NULL;
	/* Services remove their own rules as they go. */
	g_hash_table_destroy(mon->services);
	g_hash_table_destroy(mon->owners);
	if (mon->known)
		g_hash_table_destroy(mon->known);
	dbus_connection_unref(mon->conn);
	g_free(mon);
}
