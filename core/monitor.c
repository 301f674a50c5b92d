/* SPDX-License-Identifier: MIT */
/*
 * The service monitor: discovery (ListNames once, then NameOwnerChanged),
 * one asynchronous read per new service, and decoding of ItemsChanged and
 * PropertiesChanged from followed senders.  Every signal on the bus passes
 * through the filter, so it first looks the sender up and leaves at once
 * for anyone not followed.
 */
#include "monitor.h"

#include <string.h>

#include "dbus_value.h"
#include "pending.h"

#define BUSITEM_IFACE "com.victronenergy.BusItem"
#define VICTRON_PREFIX "com.victronenergy."
#define READ_TIMEOUT_MS 10000

typedef struct Service Service;

struct Service {
	Monitor *mon;
	char *name;  /* well-known name */
	char *owner; /* unique name */
	MonitorInterest interest;
	const char *const *paths; /* MONITOR_PATHS: borrowed from want() */
	gboolean reported;        /* added() was called */
	GPtrArray *rules;         /* char *: the match rules that bring its signals */
	Pending *pending;         /* the calls of the initial read */
	GArray *items;            /* MonitorItem being collected by the read */
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
};

static const char *const owner_rules[] = {
        "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
        "member='NameOwnerChanged',arg0namespace='com.victronenergy'",
        /* A bus without arg0namespace: every owner change. */
        "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
        "member='NameOwnerChanged'",
};

/* Asynchronous (no reply wanted): a slow bus must not block the loop. */
static void send_match(Monitor *mon, const char *rule, gboolean add)
{
	DBusMessage *msg =
	        dbus_message_new_method_call(DBUS_SERVICE_DBUS, DBUS_PATH_DBUS, DBUS_INTERFACE_DBUS,
	                                     add ? "AddMatch" : "RemoveMatch");
	DBusMessageIter it;

	dbus_message_iter_init_append(msg, &it);
	dbus_value_append_string(&it, rule);
	dbus_message_set_no_reply(msg, TRUE);
	dbus_connection_send(mon->conn, msg, NULL);
	dbus_message_unref(msg);
}

static void add_rule(Service *s, char *rule)
{
	g_ptr_array_add(s->rules, rule);
	send_match(s->mon, rule, TRUE);
}

/* Every change counts, as ItemsChanged or as PropertiesChanged: publishers
 * send either, or both.  The rules name the sender, so the bus brings us the
 * signals of the services we follow and nobody else's; a service followed
 * for a few paths gets a rule per path. */
static void add_rules(Service *s)
{
	if (s->interest == MONITOR_ALL) {
		add_rule(s,
		         g_strdup_printf("type='signal',sender='%s',interface='" BUSITEM_IFACE "'",
		                         s->owner));
		return;
	}
	add_rule(s, g_strdup_printf("type='signal',sender='%s',interface='" BUSITEM_IFACE
	                            "',member='ItemsChanged',path='/'",
	                            s->owner));
	for (size_t i = 0; s->paths && s->paths[i]; i++)
		add_rule(s, g_strdup_printf("type='signal',sender='%s',interface='" BUSITEM_IFACE
		                            "',member='PropertiesChanged',path='%s'",
		                            s->owner, s->paths[i]));
}

static void remove_rules(Service *s)
{
	gboolean connected = dbus_connection_get_is_connected(s->mon->conn);

	for (guint i = 0; connected && i < s->rules->len; i++)
		send_match(s->mon, s->rules->pdata[i], FALSE);
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

static void items_clear(GArray *items)
{
	for (guint i = 0; i < items->len; i++) {
		MonitorItem *it = &g_array_index(items, MonitorItem, i);

		g_free((char *)it->path);
		value_clear(&it->value);
	}
	g_array_set_size(items, 0);
}

static void cancel_read(Service *s)
{
	pending_cancel(s->pending);
	items_clear(s->items);
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

	if (!s->reported)
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

static void add_item(GArray *items, const char *path, DBusMessageIter *value)
{
	MonitorItem it = {0};

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
			add_item(items, key, &entry);
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
				add_item(items, path, &entry);
				return;
			}
		}
		dbus_message_iter_next(props);
	}
}

/* a{sa{sv}}: ItemsChanged, and the reply of GetItems. */
static gboolean read_items(DBusMessage *msg, GArray *items)
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
		MonitorItem *it = &g_array_index(items, MonitorItem, i);

		if (!wanted_path(s, it->path)) {
			g_free((char *)it->path);
			value_clear(&it->value);
			g_array_remove_index(items, i);
		}
	}
}

static void report_added(Service *s)
{
	Monitor *mon = s->mon;
	g_autoptr(GArray) items = s->items;

	s->items = g_array_new(FALSE, FALSE, sizeof(MonitorItem));
	s->reported = TRUE;
	mon->reading--;
	filter_items(s, items);
	mon->cb.added(mon->user_data, s->name, (const MonitorItem *)(void *)items->data,
	              items->len);
	items_clear(items);
	check_settled(mon);
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
	DBusMessage *msg = dbus_message_new_method_call(s->name, path, BUSITEM_IFACE, member);
	Call *c = g_new0(Call, 1);

	c->s = s;
	c->fn = fn;
	c->path = g_strdup(path);
	return pending_call(s->pending, s->mon->conn, msg, READ_TIMEOUT_MS, on_call_reply, c,
	                    call_free);
}

static void got_root_value(Service *s, DBusMessage *reply, const char *path)
{
	DBusMessageIter it, var, dict;

	if (dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_ERROR) {
		g_info("monitor: %s answers neither GetItems nor GetValue on /: %s", s->name,
		       dbus_message_get_error_name(reply));
	} else if (dbus_message_iter_init(reply, &it)) {
		if (dbus_message_iter_get_arg_type(&it) == DBUS_TYPE_VARIANT) {
			dbus_message_iter_recurse(&it, &var);
			it = var;
		}
		if (dbus_message_iter_get_arg_type(&it) == DBUS_TYPE_ARRAY &&
		    dbus_message_iter_get_element_type(&it) == DBUS_TYPE_DICT_ENTRY) {
			dbus_message_iter_recurse(&it, &dict);
			read_sv_dict(&dict, s->items);
		}
	}
	report_added(s);
}

static void got_items(Service *s, DBusMessage *reply, const char *path)
{
	if (dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_ERROR ||
	    !read_items(reply, s->items)) {
		/* Older services: the whole tree from GetValue on "/". */
		items_clear(s->items);
		if (!call(s, "/", "GetValue", got_root_value))
			report_added(s);
		return;
	}
	report_added(s);
}

static void got_path(Service *s, DBusMessage *reply, const char *path)
{
	DBusMessageIter it;
	MonitorItem item = {0};

	item.path = g_strdup(path);
	if (dbus_message_get_type(reply) != DBUS_MESSAGE_TYPE_ERROR &&
	    dbus_message_iter_init(reply, &it))
		dbus_value_read(&it, &item.value);
	g_array_append_val(s->items, item);
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

static void service_appeared(Monitor *mon, const char *name, const char *owner)
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
	s->items = g_array_new(FALSE, FALSE, sizeof(MonitorItem));
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
	start_read(s);
}

static void on_name_owner_changed(Monitor *mon, DBusMessage *msg)
{
	const char *name, *old_owner, *new_owner;

	if (!dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &name, DBUS_TYPE_STRING, &old_owner,
	                           DBUS_TYPE_STRING, &new_owner, DBUS_TYPE_INVALID))
		return;
	if (!g_str_has_prefix(name, VICTRON_PREFIX))
		return;
	if (new_owner[0])
		service_appeared(mon, name, new_owner);
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

	/* NameOwnerChanged may have got there first. */
	if (!g_hash_table_contains(q->mon->services, q->name) &&
	    dbus_message_get_args(reply, NULL, DBUS_TYPE_STRING, &owner, DBUS_TYPE_INVALID))
		service_appeared(q->mon, q->name, owner);
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
		for (int i = 0; i < n; i++) {
			if (g_str_has_prefix(names[i], VICTRON_PREFIX))
				query_owner(mon, names[i]);
		}
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
		                   (const MonitorItem *)(void *)items->data, items->len);
	items_clear(items);
}

static void copy_items(GArray *dst, const GArray *src)
{
	for (guint k = 0; k < src->len; k++) {
		const MonitorItem *from = &g_array_index(src, MonitorItem, k);
		MonitorItem dup = {g_strdup(from->path), VALUE_INIT};

		value_copy(&dup.value, &from->value);
		g_array_append_val(dst, dup);
	}
}

static void on_busitem_signal(Monitor *mon, DBusMessage *msg, GPtrArray *services)
{
	g_autoptr(GArray) items = NULL;
	gboolean whole = dbus_message_is_signal(msg, BUSITEM_IFACE, "ItemsChanged");
	DBusMessageIter it, props;

	items = g_array_new(FALSE, FALSE, sizeof(MonitorItem));
	if (whole) {
		if (!read_items(msg, items))
			return;
	} else {
		if (!dbus_message_has_signature(msg, "a{sv}") || !dbus_message_get_path(msg))
			return;
		dbus_message_iter_init(msg, &it);
		dbus_message_iter_recurse(&it, &props);
		read_value_of(&props, dbus_message_get_path(msg), items);
	}
	/* Usually one service per sender; a sender owning several gets the
	 * values for each (callbacks do not change the monitor's tables). */
	for (guint i = 0; i < services->len; i++) {
		Service *s = services->pdata[i];
		g_autoptr(GArray) mine = NULL;

		/* A service whose read is pending gets its newer state from the
		 * reply, which follows on the same ordered connection. */
		if (!s->reported)
			continue;
		if (i + 1 == services->len) {
			deliver(s, items);
			continue;
		}
		mine = g_array_new(FALSE, FALSE, sizeof(MonitorItem));
		copy_items(mine, items);
		deliver(s, mine);
	}
	items_clear(items);
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
	if (dbus_message_is_signal(msg, BUSITEM_IFACE, "ItemsChanged") ||
	    dbus_message_is_signal(msg, BUSITEM_IFACE, "PropertiesChanged"))
		on_busitem_signal(mon, msg, services);
	return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
}

void monitor_start(Monitor *mon)
{
	DBusMessage *msg;
	DBusError err;

	dbus_connection_add_filter(mon->conn, filter, mon, NULL);
	mon->filtering = TRUE;
	/* Blocking, once: the first rule fails on a bus without arg0namespace. */
	for (size_t i = 0; !mon->owner_rule && i < G_N_ELEMENTS(owner_rules); i++) {
		dbus_error_init(&err);
		dbus_bus_add_match(mon->conn, owner_rules[i], &err);
		if (!dbus_error_is_set(&err))
			mon->owner_rule = owner_rules[i];
		dbus_error_free(&err);
	}
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

		if (!s->reported)
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
	if (mon->owner_rule && dbus_connection_get_is_connected(mon->conn))
		send_match(mon, mon->owner_rule, FALSE);
	dbus_connection_unref(mon->conn);
	g_free(mon);
}
