/* SPDX-License-Identifier: MIT */
/*
 * The calls in flight of one owner.  A call leaves the set when its reply
 * is handled or when it is cancelled; libdbus keeps the call (and its data)
 * alive until the notify has returned.
 */
#include "bus/pending.h"

struct Pending {
	GPtrArray *calls; /* DBusPendingCall * */
};

typedef struct {
	Pending *set;
	PendingReplyFn fn;
	void *data;
	GDestroyNotify free_data;
} Call;

static void call_free(void *p)
{
	Call *c = p;

	if (c->free_data)
		c->free_data(c->data);
	g_free(c);
}

Pending *pending_new(void)
{
	Pending *p = g_new0(Pending, 1);

	p->calls = g_ptr_array_new();
	return p;
}

void pending_cancel(Pending *p)
{
	for (guint i = 0; i < p->calls->len; i++) {
		dbus_pending_call_cancel(p->calls->pdata[i]);
		dbus_pending_call_unref(p->calls->pdata[i]);
	}
	g_ptr_array_set_size(p->calls, 0);
}

void pending_free(Pending *p)
{
	if (!p)
		return;
	pending_cancel(p);
	g_ptr_array_free(p->calls, TRUE);
	g_free(p);
}

static void on_reply(DBusPendingCall *call, void *data)
{
	Call *c = data;
	DBusMessage *reply = dbus_pending_call_steal_reply(call);

	/* No longer in flight: nobody must cancel it any more. */
	g_ptr_array_remove(c->set->calls, call);
	if (reply) {
		c->fn(reply, c->data);
		dbus_message_unref(reply);
	}
	dbus_pending_call_unref(call);
}

gboolean pending_call(Pending *p, DBusConnection *conn, DBusMessage *msg, int timeout_ms,
                      PendingReplyFn fn, void *data, GDestroyNotify free_data)
{
	DBusPendingCall *call = NULL;
	Call *c;

	if (!dbus_connection_send_with_reply(conn, msg, &call, timeout_ms) || !call) {
		dbus_message_unref(msg);
		if (free_data)
			free_data(data);
		return FALSE;
	}
	dbus_message_unref(msg);
	c = g_new0(Call, 1);
	c->set = p;
	c->fn = fn;
	c->data = data;
	c->free_data = free_data;
	g_ptr_array_add(p->calls, call);
	/* Set last: a reply that is already there calls the notify at once. */
	dbus_pending_call_set_notify(call, on_reply, c, call_free);
	return TRUE;
}

guint pending_count(const Pending *p)
{
	return p->calls->len;
}
