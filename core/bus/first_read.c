/* SPDX-License-Identifier: MIT */
/*
 * A service's first read: see first_read.h.  Its calls are one Pending set,
 * so that freeing the read cancels whatever is still in flight.
 */
#include "bus/first_read.h"

#include "base/names.h"
#include "bus/items.h"
#include "bus/pending.h"

#define READ_TIMEOUT_MS 10000

struct FirstRead {
	DBusConnection *conn;
	char *service;
	const char *const *paths; /* NULL: the whole tree */
	Pending *pending;
	GArray *items; /* PathValue being collected */
	int replies_left;
	FirstReadDone done;
	void *data;
};

FirstRead *first_read_new(DBusConnection *conn, const char *service, const char *const *paths)
{
	FirstRead *r = g_new0(FirstRead, 1);

	r->conn = dbus_connection_ref(conn);
	r->service = g_strdup(service);
	r->paths = paths;
	r->pending = pending_new();
	r->items = items_new();
	return r;
}

void first_read_free(FirstRead *r)
{
	if (!r)
		return;
	pending_free(r->pending);
	g_array_unref(r->items);
	g_free(r->service);
	dbus_connection_unref(r->conn);
	g_free(r);
}

/* The read is over: its caller takes what it collected. */
static void finish(FirstRead *r)
{
	GArray *items = r->items;

	r->items = items_new();
	r->done(items, r->data);
}

typedef void (*ReplyFn)(FirstRead *r, DBusMessage *reply, const char *path);

typedef struct {
	FirstRead *r;
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

	c->fn(c->r, reply, c->path);
}

/* FALSE when the call could not be sent (fn is then never called). */
static gboolean call(FirstRead *r, const char *path, const char *member, ReplyFn fn)
{
	DBusMessage *msg =
	        dbus_message_new_method_call(r->service, path, NAMES_BUSITEM_IFACE, member);
	Call *c = g_new0(Call, 1);

	c->r = r;
	c->fn = fn;
	c->path = g_strdup(path);
	return pending_call(r->pending, r->conn, msg, READ_TIMEOUT_MS, on_call_reply, c, call_free);
}

static void got_root_value(FirstRead *r, DBusMessage *reply, const char *path)
{
	if (dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_ERROR)
		g_info("monitor: %s answers neither GetItems nor GetValue on /: %s", r->service,
		       dbus_message_get_error_name(reply));
	items_read_tree(reply, r->items);
	finish(r);
}

static void got_items(FirstRead *r, DBusMessage *reply, const char *path)
{
	if (dbus_message_get_type(reply) == DBUS_MESSAGE_TYPE_ERROR ||
	    !items_read_changes(reply, r->items)) {
		/* Older services: the whole tree from GetValue on "/". */
		g_array_set_size(r->items, 0);
		if (!call(r, "/", "GetValue", got_root_value))
			finish(r);
		return;
	}
	finish(r);
}

static void got_path(FirstRead *r, DBusMessage *reply, const char *path)
{
	items_read_value(reply, path, r->items);
	if (--r->replies_left == 0)
		finish(r);
}

void first_read_start(FirstRead *r, FirstReadDone done, void *data)
{
	r->done = done;
	r->data = data;
	if (!r->paths) {
		if (!call(r, "/", "GetItems", got_items))
			finish(r);
		return;
	}
	/* One more than the calls, taken back at the end: no reply can finish
	 * the read before every call is out. */
	r->replies_left = 1;
	for (size_t i = 0; r->paths[i]; i++) {
		if (call(r, r->paths[i], "GetValue", got_path))
			r->replies_left++;
	}
	if (--r->replies_left == 0)
		finish(r);
}
