/* SPDX-License-Identifier: MIT */
/*
 * Routes: the battery services batagg reads and where their values go.
 * When the monitor reports a battery service, its route is placed by the
 * config's roles (as a member, primary or auxiliary input of the
 * aggregate, and as a member of virtual batteries), gives every value it
 * sends to those engines, and when it vanishes keeps it for
 * reconnectTimeout before it is dropped.  Non-finite numbers are logged
 * here, once per service and path.
 */
#ifndef BATAGG_ROUTES_H
#define BATAGG_ROUTES_H

#include <glib.h>

#include "config/config.h"
#include "bus/monitor.h"
#include "daemon/published.h"

typedef struct Routes Routes;

/* For cfg (borrowed) and the published services (borrowed: [0] the
 * aggregate, [1 + i] virtual battery i of cfg), which must outlive it. */
Routes *routes_new(const Config *cfg, GPtrArray *published);

/* Drops every route at once (no engine is told) and stops the timers. */
void routes_free(Routes *rs);

/* The monitor's reports of a battery service. */
void routes_added(Routes *rs, const char *service, const PathValue *items, size_t n);
void routes_changed(Routes *rs, const char *service, const PathValue *items, size_t n);
void routes_removed(Routes *rs, const char *service);

/* Whether the service has been read (it was placed, or found unused). */
gboolean routes_known(Routes *rs, const char *service);

/* Logs each "name:X" entry of the config that no service read so far has
 * as its /CustomName (it takes effect when one appears). */
void routes_warn_unresolved(Routes *rs);

#endif
