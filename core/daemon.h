/* SPDX-License-Identifier: MIT */
/*
 * Daemon: wires the pieces together.  Messages come in through the Monitor,
 * values go into the Engine, the Engine's changes go out through the
 * BusService; the Settings client supplies the device instance and name.
 * It also owns the start-up sequence (wait for batteries, read settings,
 * publish the complete tree, then take the bus name) and reconnect timers.
 */
#ifndef BATAGG_DAEMON_H
#define BATAGG_DAEMON_H

#include <glib.h>

#include "aggregate.h"
#include "config.h"
#include "registry.h"

typedef struct Daemon Daemon;

/* Creates the strategies the config names (looking them up in reg) and
 * connects to the bus.  Takes ownership of cfg and reg, also on failure.
 * config_path is read again on SIGHUP.  Returns NULL with error set when a
 * strategy is unknown or the bus cannot be reached. */
Daemon *daemon_new(Config *cfg, Registry *reg, const char *config_path, const char *program,
		   GError **error);

/* Runs until SIGTERM/SIGINT or a fatal condition; returns the exit code.
 * SIGHUP reloads the config: a valid one is applied without dropping the
 * bus name; an invalid one is logged and the running config kept. */
int daemon_run(Daemon *d);

void daemon_free(Daemon *d);

/* Instantiated strategies for an engine, created from a config (shared with
 * --check-config, which validates the names without a bus). */
typedef struct Strategies Strategies;
Strategies *strategies_new(const Config *cfg, Registry *reg, GError **error);
void strategies_free(Strategies *st);

/* Strategies of a virtual battery: precedence merging only. */
Strategies *strategies_new_virtual(Registry *reg, GError **error);

/* Creates the hook a virtual battery's member entry "class:ID[#suffix]"
 * names, with its options from the config's "classes"; the state is owned
 * by st.  NULL with error set when the hook is unknown or refuses. */
const BataggMergePolicy *strategies_add_hook(Strategies *st, Registry *reg, const Config *cfg,
					     const char *member, void **state, GError **error);

/* The engine setup the strategies make up (owned by st). */
const EngineSetup *strategies_setup(Strategies *st);

#endif
