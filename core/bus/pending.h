/* SPDX-License-Identifier: MIT */
/*
 * Pending: asynchronous method calls that their owner can cancel all at
 * once.  Every call batagg makes to another service goes through here, so
 * that no reply arrives for an object that is gone and nothing blocks the
 * main loop.
 */
#ifndef BATAGG_PENDING_H
#define BATAGG_PENDING_H

#include <dbus/dbus.h>
#include <glib.h>

typedef struct Pending Pending;

/* Called once per call with its reply, or with the error reply libdbus
 * makes on a timeout.  reply is borrowed. */
typedef void (*PendingReplyFn)(DBusMessage *reply, void *data);

/* Returns (transfer full) an empty set of calls. */
Pending *pending_new(void);

/* Cancels every call in flight (no callback runs afterwards) and frees the
 * set. */
void pending_free(Pending *p);

/* Sends msg (consumed) on conn, expecting a reply within timeout_ms.  fn
 * gets it; free_data (may be NULL) frees data once the call is over,
 * answered or cancelled.  FALSE when it could not be sent: then fn is not
 * called and data is freed at once. */
gboolean pending_call(Pending *p, DBusConnection *conn, DBusMessage *msg, int timeout_ms,
                      PendingReplyFn fn, void *data, GDestroyNotify free_data);

/* Cancels every call in flight; the set stays usable. */
void pending_cancel(Pending *p);

/* How many calls are in flight. */
guint pending_count(const Pending *p);

#endif
