/* SPDX-License-Identifier: MIT */
/*
 * StateKeeper: what the aggregate's strategies learned, kept in the state
 * file (engine/state_file.h) across restarts.  It chooses the file by the
 * running config, reads it at start (or when a reload names another one),
 * gives it to the aggregate's engine, and writes it when it changed, at
 * most once a minute: flash memory wears.
 */
#ifndef BATAGG_STATE_KEEPER_H
#define BATAGG_STATE_KEEPER_H

#include <glib.h>

#include "config/config.h"
#include "engine/engine.h"

typedef struct StateKeeper StateKeeper;

/* For the config file at config_path (copied) and --state-dir state_dir
 * (copied, or NULL): where the state file is when the config does not say
 * (startup_state_path()).  Nothing is read before state_keeper_use(). */
StateKeeper *state_keeper_new(const char *config_path, const char *state_dir);

/* Stops the timer and frees what is kept; nothing is written. */
void state_keeper_free(StateKeeper *k);

/* The running config cfg's state file, given to the aggregate's new
 * engine (borrowed until the next call).  Read at the first call; a
 * reload that names another file moves what batagg knows there (written
 * at once), one that turns it off (stateFile false) drops it, one that
 * turns it on reads the file. */
void state_keeper_use(StateKeeper *k, const Config *cfg, Engine *aggregate);

/* Keeps what the aggregate's strategies learned, when it changed (or the
 * last write failed).  Called every minute by itself, and by the daemon
 * before a reload, on a reset and when it stops. */
void state_keeper_save(StateKeeper *k);

#endif
