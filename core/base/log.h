/* SPDX-License-Identifier: MIT */
/*
 * Logging: GLib's g_log with one writer that filters by the runtime level
 * (the level names Python's logging uses, as users already write them in
 * config.json and on /LogLevel) and writes one line per message to stderr,
 * which multilog timestamps on Venus OS.
 */
#ifndef BATAGG_LOG_H
#define BATAGG_LOG_H

#include <glib.h>

#include "batagg/plugin.h"

/* Installs the writer; the level starts at INFO. */
void log_init(void);

/* Sets the level by name ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL",
 * "NOTSET"); FALSE (and no change) for any other text. */
gboolean log_set_level(const char *name);

/* The level names, NULL-terminated. */
const char *const *log_level_names(void);

/* The current level's name. */
const char *log_level_name(void);

#endif
