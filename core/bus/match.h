/* SPDX-License-Identifier: MIT */
/*
 * Match rules: the filters batagg asks the bus daemon for, so that it is
 * sent the signals of the services it follows and nobody else's.  The rule
 * texts are built here and nowhere else; match_send() is the one place
 * that adds or removes one.
 */
#ifndef BATAGG_MATCH_H
#define BATAGG_MATCH_H

#include <dbus/dbus.h>
#include <glib.h>

/* NameOwnerChanged of com.victronenergy.* names, then (for a bus without
 * arg0namespace) of every name: the first the bus accepts is used. */
extern const char *const match_owner_rules[];
extern const size_t match_n_owner_rules;

/* The rules for one followed sender (a unique name): every BusItem signal
 * it sends when paths is NULL, else its ItemsChanged on "/" and the
 * PropertiesChanged of each path (publishers send either, or both).
 * Appends newly allocated texts to rules. */
void match_rules_for(GPtrArray *rules, const char *sender, const char *const *paths);

/* Adds (or removes) rule, asynchronously: a slow bus must not block the
 * loop, and no reply is wanted. */
void match_send(DBusConnection *conn, const char *rule, gboolean add);

#endif
