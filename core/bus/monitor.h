/* SPDX-License-Identifier: MIT */
/*
 * Monitor: follows other services on the bus (the consumer side of
 * VICTRON-DBUS.md).  It lists names once, follows NameOwnerChanged, tracks
 * each service's unique name, reads a new service's values with one
 * asynchronous GetItems on "/" (falling back to GetValue on "/"), and
 * decodes every ItemsChanged and PropertiesChanged from it (match rules per
 * followed sender).  It keeps no values:
 * it hands every decoded value to its callbacks, whose owner stores them.
 * Nothing here blocks on another service.
 */
#ifndef BATAGG_MONITOR_H
#define BATAGG_MONITOR_H

#include <dbus/dbus.h>
#include <glib.h>

#include "bus/items.h"

typedef struct Monitor Monitor;

typedef enum {
	MONITOR_IGNORE = 0, /* not interesting */
	MONITOR_ALL,        /* read and follow every path (GetItems) */
	MONITOR_PATHS,      /* read and follow only the paths given by want() */
} MonitorInterest;

typedef struct {
	/* Decides, once per well-known name that appears, whether to follow it.
	 * For MONITOR_PATHS, set *paths to a NULL-terminated array that stays
	 * valid while the monitor lives; those paths are read one by one with
	 * GetValue and only their changes are reported. */
	MonitorInterest (*want)(void *user_data, const char *service, const char *const **paths);
	/* A followed service appeared and its initial values were read (items
	 * may be empty when the read failed: the service is still reported, and
	 * later signals fill it in), or were known already (monitor_seed()). */
	void (*added)(void *user_data, const char *service, const PathValue *items, size_t n);
	/* Values of a followed service changed: one call per received signal
	 * (ItemsChanged: all its paths; PropertiesChanged: one path).  The
	 * monitor does not suppress values equal to earlier ones. */
	void (*changed)(void *user_data, const char *service, const PathValue *items, size_t n);
	/* A followed service vanished (its name lost its owner).  Called only
	 * for services added() was called for: one that vanishes while its
	 * initial read is pending is forgotten without a call. */
	void (*removed)(void *user_data, const char *service);
	/* Optional.  Every service known has been read: the names were listed,
	 * and no first read is pending.  Called each time that becomes true
	 * (after start, and again after new services were read). */
	void (*settled)(void *user_data);
} MonitorCallbacks;

/* Returns (transfer full) a monitor on conn (referenced).  Call
 * monitor_start() to begin. */
Monitor *monitor_new(DBusConnection *conn, const MonitorCallbacks *cb, void *user_data);

/* What a monitor knew of a service: its unique name and its values. */
typedef struct {
	char *owner;
	GArray *items; /* PathValue */
} MonitorKnown;

/* Adds (copies) what was known of service to known, a table that
 * monitor_seed() takes; returns the entry to fill items into.  NULL when
 * mon does not follow service (it has no owner for it). */
MonitorKnown *monitor_known(Monitor *mon, GHashTable *known, const char *service);
/* A table for monitor_known() (transfer full). */
GHashTable *monitor_known_new(void);

/* What was known before this monitor started (a reload's: what the
 * previous monitor and the engines knew), from monitor_known_new()
 * (transfer full).  monitor_start() adds those services at once with
 * their values (added(), then their signals are followed), all in one go,
 * before it returns; their reads still go out, their answers come as
 * changed(), and settled() still waits for them.  So a slow service's
 * changes count while it is read again.  A seeded service the listing does
 * not find is removed; one with a new owner is read anew. */
void monitor_seed(Monitor *mon, GHashTable *known);

/* Adds the match rules and the message filter, then lists names
 * asynchronously.  Services are reported from the main loop. */
void monitor_start(Monitor *mon);

/* Returns (transfer full) the names of the services whose first read is
 * still pending, NULL-terminated (free with g_strfreev). */
char **monitor_reading(Monitor *mon);

/* Stops following, removes the filter and every match rule it added,
 * cancels every call in flight, frees everything.  No callback runs after
 * it returns. */
void monitor_free(Monitor *mon);

#endif
