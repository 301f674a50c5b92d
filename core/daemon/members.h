/* SPDX-License-Identifier: MIT */
/*
 * Members: the battery services batagg reads and where their values go.
 * When the monitor reports a battery service, Members places it by the
 * membership rules (as a member, primary or auxiliary input of the
 * aggregate, and as a member of virtual batteries), gives every value it
 * sends to those engines, and when it vanishes keeps it for
 * reconnectTimeout before it is dropped.  Non-finite numbers are logged
 * here, once per service and path.
 */
#ifndef BATAGG_MEMBERS_H
#define BATAGG_MEMBERS_H

#include <glib.h>

#include "config/config.h"
#include "bus/monitor.h"
#include "daemon/published.h"

typedef struct Members Members;

/* For cfg (borrowed) and the published services (borrowed: [0] the
 * aggregate, [1 + i] virtual battery i of cfg), which must outlive it. */
Members *members_new(const Config *cfg, GPtrArray *published);

/* Drops every member at once (no engine is told) and stops the timers. */
void members_free(Members *m);

/* The monitor's reports of a battery service. */
void members_added(Members *m, const char *service, const PathValue *items, size_t n);
void members_changed(Members *m, const char *service, const PathValue *items, size_t n);
void members_removed(Members *m, const char *service);

/* Whether the service has been read (it was placed, or found unused). */
gboolean members_known(Members *m, const char *service);

/* Logs each "name:X" entry of the config that no service read so far has
 * as its /CustomName (it takes effect when one appears). */
void members_warn_unresolved(Members *m);

#endif
