/* SPDX-License-Identifier: MIT */
/*
 * Host: what the daemon offers one strategy instance (BataggHost): its
 * logger, its members' values, a monotonic clock, a call again after a
 * delay (on the GLib main loop), and each member's state.
 */
#ifndef BATAGG_STRATEGIES_HOST_H
#define BATAGG_STRATEGIES_HOST_H

#include "engine/engine.h"

typedef struct Host Host;

/* The instance whose state is state asked to be called again, and its time
 * has come. */
typedef void (*HostWakeFn)(void *user_data, const void *state);

/* A host for an instance of table, logging as name. */
Host *host_new(const char *name, const BataggStrategy *table);
/* Cancels what it had pending. */
void host_free(Host *h);

/* What the plugin is given (valid until host_free()). */
BataggHost *host_public(Host *h);

/* The instance's state, once create() gave it. */
void host_set_state(Host *h, void *state);

/* The engine whose members the instance sees, and whom to wake; NULL
 * before an engine is made (--check-config): value() and member_state()
 * then find nothing, and call_again() does nothing. */
void host_set_engine(Host *h, const Engine *e, HostWakeFn wake, void *user_data);

#endif
