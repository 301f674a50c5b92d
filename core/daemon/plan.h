/* SPDX-License-Identifier: MIT */
/*
 * Plan: what a config needs that can fail, made before anything switches
 * (at start, and on SIGHUP): the strategies of every published service,
 * and a connection for each virtual battery that is not published yet.
 * Switching to it keeps the published services whose name stays (their
 * bus name and settings; they hold their values until the batteries are
 * read again), and what the running monitor and engines know seeds the
 * next monitor.
 */
#ifndef BATAGG_PLAN_H
#define BATAGG_PLAN_H

#include <dbus/dbus.h>
#include <glib.h>

#include "config/config.h"
#include "daemon/published.h"
#include "daemon/running.h"
#include "strategies/registry.h"

typedef struct Plan Plan;

/* Takes cfg; looks the strategies up in reg (borrowed); published: the
 * running services (NULL at start).  NULL with error set when something
 * the config needs fails. */
Plan *plan_new(Config *cfg, Registry *reg, GPtrArray *published, GError **error);

void plan_free(Plan *plan);

/* Whether the plan names the aggregate otherwise than run does (never at
 * start). */
gboolean plan_renames(const Plan *plan, const Running *run);

/* What run's monitor and engines know of every battery service, for the
 * next monitor (monitor_seed(); transfer full): while the bus is read
 * again after a reload, the new engines compute from it, and a change
 * that makes the system safer goes out at once (published.c). */
GHashTable *plan_known_values(const Running *run);

/* Switches run's published services and config to plan's (consumed):
 * published services whose name stays are kept, the others go, new ones
 * start (published_new() with program, ready and user_data) on conn (the
 * aggregate) or their own connection.  run's routes and monitor are the
 * caller's, to be made anew for the new services. */
void plan_switch(Plan *plan, Running *run, DBusConnection *conn, const char *program,
                 PublishedReadyFn ready, void *user_data);

#endif
