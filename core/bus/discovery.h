/* SPDX-License-Identifier: MIT */
/*
 * Discovery: which Victron services are on the bus and who owns each (step
 * 1 of "Discovering and following other services" in VICTRON-DBUS.md).
 * The names are listed once (ListNames, then GetNameOwner of each
 * com.victronenergy.* name listed); after that NameOwnerChanged tells of
 * every change (its match rule is added here, its signals decoded here).
 * It keeps no list of services: it reports to its callbacks.
 */
#ifndef BATAGG_DISCOVERY_H
#define BATAGG_DISCOVERY_H

#include <dbus/dbus.h>
#include <glib.h>

typedef struct Discovery Discovery;

typedef struct {
	/* NameOwnerChanged: name (com.victronenergy.*) has a new owner. */
	void (*appeared)(void *data, const char *name, const char *owner);
	/* NameOwnerChanged: name lost its owner. */
	void (*vanished)(void *data, const char *name);
	/* The listing answered: names is the set (char * keys, borrowed for
	 * the call) of com.victronenergy.* names on the bus, whose owners
	 * are being asked for; NULL when ListNames failed. */
	void (*listed)(void *data, GHashTable *names);
	/* GetNameOwner answered for a listed name: owner is NULL when the name
	 * has none any more (NameOwnerChanged tells, or told, the rest). */
	void (*owner)(void *data, const char *name, const char *owner);
} DiscoveryCallbacks;

/* Returns (transfer full) a discovery on conn (referenced); nothing is
 * sent yet. */
Discovery *discovery_new(DBusConnection *conn, const DiscoveryCallbacks *cb, void *data);

/* Adds the NameOwnerChanged match rule: blocking, once; the first rule of
 * match_owner_rules the bus accepts. */
void discovery_watch(Discovery *d);

/* Lists the names, asynchronously: listed(), then owner() for each. */
void discovery_list(Discovery *d);

/* For the connection's filter: TRUE when msg is a NameOwnerChanged
 * signal, which is then handled (appeared() or vanished() when it is about
 * a Victron name). */
gboolean discovery_handle(Discovery *d, DBusMessage *msg);

/* TRUE while the listing or an owner's query is in flight (inside
 * listed() and owner(), their own call no longer counts). */
gboolean discovery_busy(const Discovery *d);

/* Cancels every call in flight (no callback runs afterwards), removes the
 * match rule, frees d. */
void discovery_free(Discovery *d);

#endif
