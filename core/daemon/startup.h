/* SPDX-License-Identifier: MIT */
/*
 * The config the daemon starts with.  An unattended GX device must never
 * lose its battery monitor to a config problem, nor run a config wrongly
 * in silence, so the start (not --check-config, not a reload) runs what it
 * can use of the file:
 *
 *  - a key with a problem keeps its default, with a WARNING naming the
 *    file:line:col, the key, the problem and what batagg does instead;
 *  - the membership keys (config_membership_keys) come, all together, from
 *    the last good config when one of them has a problem: a default there
 *    can be unsafe (a shunt aggregated as a battery raises the count
 *    method's CCL);
 *  - a file that is not a JSON object (or cannot be read) is an ERROR, and
 *    the last good config runs instead;
 *  - without a last good config where one is needed, batagg does not start.
 *
 * The last good config is the text of the last config file that loaded
 * without an error, kept beside it (startup_last_good_path()).
 */
#ifndef BATAGG_STARTUP_H
#define BATAGG_STARTUP_H

#include <glib.h>

#include "config/config.h"
#include "strategies/registry.h"

/* Loads the plugins a config names (the built-ins first); NULL with error
 * set when the built-ins fail. */
typedef Registry *(*StartupLoadFn)(const Config *cfg, GError **error);

typedef struct {
	Config *cfg;   /* what to run */
	Registry *reg; /* its plugins */
	/* What runs is not the file as written: the aggregate says so where a
	 * user looks (an alarm and a text). */
	gboolean problems;
} Startup;

/* Reads the config at path for the daemon's start, logging every problem
 * and what batagg does about it.  FALSE with error set when nothing safe
 * can run; else out holds the config and its plugins (the caller's). */
gboolean startup_read(const char *path, const char *last_good, StartupLoadFn load, Startup *out,
                      GError **error);

/* Keeps the file at path as the last good config (after a start or a
 * reload without an error).  A failure to write is logged, once per
 * process, and is no error. */
void startup_keep_good(const char *path, const char *last_good);

/* Returns (transfer full) where the last good copy of the config at path
 * lives: "<dir>/<name>.last-good", dir being state_dir, or (NULL) the
 * config's own directory. */
char *startup_last_good_path(const char *path, const char *state_dir);

/* Returns (transfer full) where the state file of the config at path lives
 * when the config does not say (stateFile): "<dir>/<name>.state", dir as
 * for the last good config. */
char *startup_state_path(const char *path, const char *state_dir);

#endif
