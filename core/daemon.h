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

#endif
