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

#include "config/config.h"
#include "strategies/registry.h"

typedef struct Daemon Daemon;

typedef struct {
	const char *config_path; /* read again on SIGHUP */
	const char *last_good;   /* where a config that loads without errors is kept */
	/* --state-dir, or NULL: where the state file is when the config does
	 * not say (startup_state_path()). */
	const char *state_dir;
	const char *program; /* argv[0], for /Mgmt/ProcessName */
	/* cfg is not the file as written (startup.h): the aggregate says so
	 * until a reload without errors. */
	gboolean config_problem;
} DaemonOptions;

/* Creates the strategies the config names (looking them up in reg) and
 * connects to the bus.  Takes ownership of cfg and reg, also on failure.
 * Returns NULL with error set when a strategy is unknown or the bus cannot
 * be reached. */
Daemon *daemon_new(Config *cfg, Registry *reg, const DaemonOptions *opts, GError **error);

/* Runs until SIGTERM/SIGINT or a fatal condition; returns the exit code.
 * SIGHUP reloads the config strictly: one without errors is applied
 * without dropping the bus name (and kept as the last good config); one
 * with errors is logged and the running config kept.  What the strategies
 * learned is saved to the state file at most once a minute when it
 * changed, before a reload, on a reset, and when the loop ends. */
int daemon_run(Daemon *d);

void daemon_free(Daemon *d);

#endif
