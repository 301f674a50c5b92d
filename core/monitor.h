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

#include "items.h"

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
	 * later signals fill it in). */
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
