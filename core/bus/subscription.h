/* SPDX-License-Identifier: MIT */
/*
 * Subscription: what batagg follows of one sender (step 3 of "Discovering
 * and following other services" in VICTRON-DBUS.md): the match rules that
 * bring its BusItem signals, asked for at once, and which of the paths it
 * sends count.
 */
#ifndef BATAGG_SUBSCRIPTION_H
#define BATAGG_SUBSCRIPTION_H

#include <dbus/dbus.h>
#include <glib.h>

typedef struct Subscription Subscription;

/* Returns (transfer full) a subscription to sender (a unique name) on conn
 * (referenced), its match rules added (match_rules_for()).  paths NULL
 * follows every path; otherwise a NULL-terminated array (borrowed: valid
 * while the subscription lives) of the only paths that count. */
Subscription *subscription_new(DBusConnection *conn, const char *sender, const char *const *paths);

/* Removes from items (a GArray of PathValue from items_new()) every path
 * that does not count. */
void subscription_filter(const Subscription *sub, GArray *items);

/* Removes the match rules (when the connection is still up) and frees
 * sub. */
void subscription_free(Subscription *sub);

#endif
