/* SPDX-License-Identifier: MIT */
/*
 * First read: everything a service has, read once, asynchronously, when
 * batagg starts following it (step 2 of "Discovering and following other
 * services" in VICTRON-DBUS.md).  The whole tree with one GetItems on "/",
 * falling back to GetValue on "/" for older services, or GetValue of each
 * path when only some paths count.  Knows nothing of what the values are
 * for: it hands them to its caller once, when the read is over.
 */
#ifndef BATAGG_FIRST_READ_H
#define BATAGG_FIRST_READ_H

#include <dbus/dbus.h>
#include <glib.h>

typedef struct FirstRead FirstRead;

/* Called once, when the read is over, with what it read: items (a GArray
 * of PathValue from items_new(), transfer full) is empty when the service
 * answered nothing usable. */
typedef void (*FirstReadDone)(GArray *items, void *data);

/* Returns (transfer full) a read of service on conn (referenced), not yet
 * started.  paths NULL reads the whole tree; otherwise a NULL-terminated
 * array (borrowed: valid while the read lives) of the paths to read, each
 * with its own GetValue. */
FirstRead *first_read_new(DBusConnection *conn, const char *service, const char *const *paths);

/* Sends the read's calls.  done may run before this returns (when no call
 * could be sent, or none was to be made). */
void first_read_start(FirstRead *r, FirstReadDone done, void *data);

/* Cancels the calls in flight (done is not called afterwards) and frees
 * the read. */
void first_read_free(FirstRead *r);

#endif
