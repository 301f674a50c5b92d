/* SPDX-License-Identifier: MIT */
/*
 * Config: the user's config.json (SPEC.md section 3), parsed into a typed
 * structure and checked.  Every problem is reported with the file, line
 * and column of what it concerns and the key, as an error or a warning;
 * a key with an error keeps its default (config_read), or the whole file
 * is refused (config_parse, config_load).  Strategy names and options are
 * checked by the strategies themselves (strategies.c), with the positions
 * kept here.  The Config's types are in config_types.h.
 */
#ifndef BATAGG_CONFIG_H
#define BATAGG_CONFIG_H

#include <glib.h>
#include <stdbool.h>

#include "base/names.h"
#include "base/problems.h"
#include "config/config_types.h"

#define BATAGG_DEFAULT_CONFIG "/data/setupOptions/BatteryAggregator/config.json"

#define BATAGG_CONFIG_ERROR (batagg_config_error_quark())
GQuark batagg_config_error_quark(void);

typedef enum {
	BATAGG_CONFIG_ERROR_IO,
	BATAGG_CONFIG_ERROR_SYNTAX,
	BATAGG_CONFIG_ERROR_INVALID, /* one or more semantic problems */
} BataggConfigError;

/* Returns (transfer full) the defaults. */
Config *config_new_default(void);

/* The keys that decide which services are aggregated, and how virtual
 * batteries are made (their hooks' options): a default there can be unsafe,
 * so the daemon's start takes them together from the last good config
 * when one of them has a problem.  NULL-terminated. */
extern const char *const config_membership_keys[];

/* Reads len bytes of text, the file problems_origin(problems).  Returns
 * NULL when the text is not a JSON object (problems says why); else the
 * config, with every error and warning in problems.  A key with an error
 * is read as far as it can be; to run a key with a problem at its
 * default, read again skipping it. */
Config *config_read(const char *text, size_t len, Problems *problems);

/* config_read(), with the keys in skip (NULL-terminated, or NULL) taken
 * as absent: they keep their defaults. */
Config *config_read_skipping(const char *text, size_t len, Problems *problems,
                             const char *const *skip);

/* expectedBatteries of the published service name (aggregate: it is the
 * aggregate); 0 when not said. */
size_t config_expected(const Config *cfg, const char *name, gboolean aggregate);

/* Whether key is a top-level key of the config. */
gboolean config_key_known(const char *key);

/* Moves the membership keys' values (config_membership_keys) of src into
 * dst, and dst's into src. */
void config_take_membership(Config *dst, Config *src);

/* Reads a file likewise: a missing file gives the defaults; one that
 * cannot be read gives NULL. */
Config *config_read_file(const char *path, Problems *problems);

/* Strict: NULL with error set (every error, one per line, each starting
 * with "origin:") when there is any error. */
Config *config_parse(const char *text, size_t len, const char *origin, GError **error);
Config *config_load(const char *path, GError **error);

void config_free(Config *cfg);

/* The options given to the strategy name, or to the hook id; NULL for
 * none. */
const ConfigOptions *config_strategy_options(const Config *cfg, const char *name);
const ConfigOptions *config_hook_options(const Config *cfg, const char *id);

/* Returns (transfer full) a short human summary of what the daemon will do
 * (services excluded, primary, auxiliary, virtual; strategies chosen). */
char *config_summary(const Config *cfg);

#endif
