/* SPDX-License-Identifier: MIT */
/*
 * The service monitor: discovery (ListNames once, then NameOwnerChanged),
 * one asynchronous read per new service, and decoding of ItemsChanged and
 * PropertiesChanged from followed senders.  Every signal on the bus passes
 * through the filter, so it first looks the sender up and leaves at once
 * for anyone not followed.
 */
#include "bus/monitor.h"

#include <string.h>

#include "bus/dbus_value.h"
#include "bus/items.h"
#include "bus/match.h"
#include "base/names.h"
#include "bus/pending.h"

#define READ_TIMEOUT_MS 10000

typedef struct Service Service;

struct Service {
	Monitor *mon;
	char *name;  /* well-known name */
	char *owner; /* unique name */
	MonitorInterest interest;
	const char *const *paths; /* MONITOR_PATHS: borrowed from want() */
	gboolean reported;        /* added() was called */
	gboolean read;            /* its first read is over */
	gboolean seeded;          /* added() with what was known (monitor_seed()) */
	GPtrArray *rules;         /* char *: the match rules that bring its signals */
	Pending *pending;         /* the calls of the initial read */
	GArray *items;            /* PathValue being collected by the read */
	int replies_left;
};

struct Monitor {
	DBusConnection *conn;
	MonitorCallbacks cb;
	void *user_data;
	GHashTable *services; /* well-known name -> Service */
	GHashTable *owners;   /* unique name -> GPtrArray of Service * (borrowed) */
	gboolean filtering;
	const char *owner_rule; /* the NameOwnerChanged rule in use, or NULL */
	Pending *names;         /* ListNames, then GetNameOwner of each name */
	guint reading;          /* services whose first read is pending */
	gboolean settled;       /* the last settled() said so */
	GHashTable *known;      /* monitor_seed(), until monitor_start() */
};

/* Every change counts, as ItemsChanged or as PropertiesChanged: a service
 * followed for a few paths gets a rule per path. */
static void add_rules(Service *s)
{
	static const char *const none[] = {NULL};

	match_rules_for(s->rules, s->owner,
	                s->interest == MONITOR_ALL ? NULL
	                : s->paths                 ? s->paths
	                                           : none);

	for (guint i = 0; i < s->rules->len; i++)
		match_send(s->mon->conn, s->rules->pdata[i], TRUE);
}

static void remove_rules(Service *s)
{
	gboolean connected = dbus_connection_get_is_connected(s->mon->conn);

	for (guint i = 0; connected && i < s->rules->len; i++)
		match_send(s->mon->conn, s->rules->pdata[i], FALSE);
	g_ptr_array_set_size(s->rules, 0);
}

static void check_settled(Monitor *mon)
{
	gboolean now = mon->filtering && pending_count(mon->names) == 0 && mon->reading == 0;

	if (now && !mon->settled && mon->cb.settled) {
		mon->settled = TRUE;
		mon->cb.settled(mon->user_data);
	}
	mon->settled = now;
}

static void cancel_read(Service *s)
{
	pending_cancel(s->pending);
	g_array_set_size(s->items, 0);
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
	cancel_read(s);
	remove_rules(s);
	unlink_owner(s->mon, s);
	g_ptr_array_free(s->rules, TRUE);
	pending_free(s->pending);
	g_array_free(s->items, TRUE);
	g_free(s->name);
	g_free(s);
}

Monitor *monitor_new(DBusConnection *conn, const MonitorCallbacks *cb, void *user_data)
{
	Monitor *mon = g_new0(Monitor, 1);

	mon->conn = dbus_connection_ref(conn);
	mon->cb = *cb;
	mon->user_data = user_data;
	mon->owners = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	                                    (GDestroyNotify)g_ptr_array_unref);
	mon->services = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, service_free);
	mon->names = pending_new();
	return mon;
}

/* ---- the initial read ---------------------------------------------------- */

static gboolean wanted_path(const Service *s, const char *path)
{
	if (s->interest != MONITOR_PATHS)
		return TRUE;
	for (size_t i = 0; s->paths && s->paths[i]; i++) {
		if (strcmp(s->paths[i], path) == 0)
			return TRUE;
	}
	return FALSE;
}

/* Keeps only the paths a MONITOR_PATHS service is followed for. */
static void filter_items(const Service *s, GArray *items)
{
	for (guint i = items->len; i-- > 0;) {
		if (!wanted_path(s, g_array_index(items, PathValue, i).path))
			g_array_remove_index(items, i);
	}
}

/* The first read is over: its values are the service's first, or (when it
 * was seeded) its latest. */
static void report_added(Service *s)
{
	Monitor *mon = s->mon;
	g_autoptr(GArray) items = s->items;
	gboolean seeded = s->reported;

	s->items = items_new();
	s->reported = TRUE;
	s->read = TRUE;
	mon->reading--;
	filter_items(s, items);
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
	filter_items(s, items);
	s->reported = TRUE;
	s->seeded = TRUE;
	s->mon->cb.added(s->mon->user_data, s->name, (const PathValue *)(void *)items->data,
	                 items->len);
}

typedef void (*ReplyFn)(Service *s, DBusMessage *reply, const char *path);

typedef struct {
	Service *s;
	ReplyFn fn;
	char *path;
} Call;

static void call_free(void *data)
{
	Call *c = data;

	g_free(c->path);
	g_free(c);
}

static void on_call_reply(DBusMessage *reply, void *data)
{
	Call *c = data;

	c->fn(c->s, reply, c->path);
}

/* FALSE when the call could not be sent (fn is then never called). */
static gboolean call(Service *s, const char *path, const char *member, ReplyFn fn)
{
	DBusMessage *msg = dbus_message_new_method_call(s->name, path, NAMES_BUSITEM_IFACE, member);
	Call *c = g_new0(Call, 1);

	c->s = s;
	c->fn = fn;
	c->path = g_strdup(path);
	return pending_call(s->pending, s->mon->conn, msg, READ_TIMEOUT_MS, on_call_reply, c,
	                    call_free);
}

static void got_root_value(Service *s, DBusMessage *reply, const char *path)
{
	if (dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_ERROR)
		g_info("monitor: %s answers neither GetItems nor GetValue on /: %s", s->name,
		       dbus_message_get_error_name(reply));
	items_read_tree(reply, s->items);
	report_added(s);
}

static void got_items(Service *s, DBusMessage *reply, const char *path)
{
	if (dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_ERROR ||
	    !items_read_changes(reply, s->items)) {
		/* Older services: the whole tree from GetValue on "/". */
		g_array_set_size(s->items, 0);
		if (!call(s, "/", "GetValue", got_root_value))
			report_added(s);
		return;
	}
	report_added(s);
}

static void got_path(Service *s, DBusMessage *reply, const char *path)
{
	items_read_value(reply, path, s->items);
	if (--s->replies_left == 0)
		report_added(s);
}

static void start_read(Service *s)
{
	if (s->interest == MONITOR_ALL) {
		if (!call(s, "/", "GetItems", got_items))
			report_added(s);
		return;
	}
	/* One more than the calls, taken back at the end: no reply can report
	 * the service before every call is out. */
	s->replies_left = 1;
	for (size_t i = 0; s->paths && s->paths[i]; i++) {
		if (call(s, s->paths[i], "GetValue", got_path))
			s->replies_left++;
	}
	if (--s->replies_left == 0)
		report_added(s);
}

/* ---- names --------------------------------------------------------------- */

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
	const char *const *paths = NULL;
	MonitorInterest interest;
	GPtrArray *list;
	Service *s;

	service_gone(mon, name);
	interest = mon->cb.want(mon->user_data, name, &paths);
	if (interest == MONITOR_IGNORE)
		return;
	s = g_new0(Service, 1);
	s->mon = mon;
	s->name = g_strdup(name);
	s->owner = g_strdup(owner);
	s->interest = interest;
	s->paths = paths;
	s->rules = g_ptr_array_new_with_free_func(g_free);
	s->pending = pending_new();
	s->items = items_new();
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
	add_rules(s);
	if (known)
		report_known(s, known);
	start_read(s);
}

static void on_name_owner_changed(Monitor *mon, DBusMessage *msg)
{
	const char *name, *old_owner, *new_owner;

	if (!dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &name, DBUS_TYPE_STRING, &old_owner,
	                           DBUS_TYPE_STRING, &new_owner, DBUS_TYPE_INVALID))
		return;
	if (!g_str_has_prefix(name, NAMES_VICTRON_PREFIX))
		return;
	if (new_owner[0])
		service_appeared(mon, name, new_owner, NULL);
	else
		service_gone(mon, name);
}

typedef struct {
	Monitor *mon;
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

	Service *s = g_hash_table_lookup(q->mon->services, q->name);

	/* NameOwnerChanged may have got there first; a seeded service may
	 * have restarted meanwhile. */
	if (dbus_message_get_args(reply, NULL, DBUS_TYPE_STRING, &owner, DBUS_TYPE_INVALID) &&
	    (!s || (s->seeded && g_strcmp0(s->owner, owner) != 0)))
		service_appeared(q->mon, q->name, owner, NULL);
	check_settled(q->mon);
}

static void query_owner(Monitor *mon, const char *name)
{
	DBusMessage *msg = dbus_message_new_method_call(DBUS_SERVICE_DBUS, DBUS_PATH_DBUS,
	                                                DBUS_INTERFACE_DBUS, "GetNameOwner");
	OwnerQuery *q = g_new0(OwnerQuery, 1);
	DBusMessageIter it;

	dbus_message_iter_init_append(msg, &it);
	dbus_value_append_string(&it, name);
	q->mon = mon;
	q->name = g_strdup(name);
	pending_call(mon->names, mon->conn, msg, READ_TIMEOUT_MS, on_owner, q, owner_query_free);
}

static void on_list_names(DBusMessage *reply, void *data)
{
	Monitor *mon = data;
	char **names = NULL;
	int n = 0;

	if (dbus_message_get_args(reply, NULL, DBUS_TYPE_ARRAY, DBUS_TYPE_STRING, &names, &n,
	                          DBUS_TYPE_INVALID)) {
		g_autoptr(GHashTable) listed = g_hash_table_new(g_str_hash, g_str_equal);
		g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func(g_free);
		GHashTableIter it;
		gpointer value;

		for (int i = 0; i < n; i++) {
			if (g_str_has_prefix(names[i], NAMES_VICTRON_PREFIX)) {
				g_hash_table_add(listed, names[i]);
				query_owner(mon, names[i]);
			}
		}
		/* A seeded service that left before the listing. */
		g_hash_table_iter_init(&it, mon->services);
		while (g_hash_table_iter_next(&it, NULL, &value)) {
			const Service *s = value;

			if (s->seeded && !g_hash_table_contains(listed, s->name))
				g_ptr_array_add(gone, g_strdup(s->name));
		}
		for (guint i = 0; i < gone->len; i++)
			service_gone(mon, gone->pdata[i]);
		dbus_free_string_array(names);
	} else {
		g_warning("monitor: ListNames failed: %s", dbus_message_get_error_name(reply));
	}
	check_settled(mon);
}

/* ---- signals ------------------------------------------------------------- */

static void deliver(Service *s, GArray *items)
{
	filter_items(s, items);
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
	if (dbus_message_is_signal(msg, DBUS_INTERFACE_DBUS, "NameOwnerChanged")) {
		on_name_owner_changed(mon, msg);
		return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
	}
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
	DBusMessage *msg;
	DBusError err;

	dbus_connection_add_filter(mon->conn, filter, mon, NULL);
	mon->filtering = TRUE;
	/* Blocking, once: the first rule fails on a bus without arg0namespace. */
	for (size_t i = 0; !mon->owner_rule && i < match_n_owner_rules; i++) {
		dbus_error_init(&err);
		dbus_bus_add_match(mon->conn, match_owner_rules[i], &err);
		if (!dbus_error_is_set(&err))
			mon->owner_rule = match_owner_rules[i];
		dbus_error_free(&err);
	}
	add_known(mon);
	msg = dbus_message_new_method_call(DBUS_SERVICE_DBUS, DBUS_PATH_DBUS, DBUS_INTERFACE_DBUS,
	                                   "ListNames");
	pending_call(mon->names, mon->conn, msg, READ_TIMEOUT_MS, on_list_names, mon, NULL);
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
	pending_free(mon->names);
	mon->names = NULL;
	/* Services remove their own rules as they go. */

	g_hash_table_destroy(mon->services);
	g_hash_table_destroy(mon->owners);
	if (mon->known)
		g_hash_table_destroy(mon->known);
	if (mon->owner_rule && dbus_connection_get_is_connected(mon->conn))
		match_send(mon->conn, mon->owner_rule, FALSE);
	dbus_connection_unref(mon->conn);
	g_free(mon);
}
