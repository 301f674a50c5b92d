/* SPDX-License-Identifier: MIT */
/*
 * What the config's files share: the state of one check of a file, and the
 * checks of values (config_values.c) the key table (config_keys.c) is made
 * of.  Nothing outside the config includes this header.
 */
#ifndef BATAGG_CONFIG_INTERNAL_H
#define BATAGG_CONFIG_INTERNAL_H

#include "config/config.h"
#include "base/json_tree.h"

typedef struct {
	Problems *problems;
	Config *cfg;
	const char *key;       /* the top-level key being checked */
	GPtrArray *virtual_at; /* const JNode *: where each of cfg->virtuals was written */
	GArray *excluded_at;   /* JPos: where each of cfg->excluded was written */
} Check;

static inline ConfigPos config_pos(JPos at)
{
	return (ConfigPos){at.line, at.col};
}

/* An error (warning) at what n is, about the key being checked. */
void check_error(Check *c, JPos at, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
void check_warning(Check *c, JPos at, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* TRUE when n is of type t; else an error naming key and both types. */
gboolean check_type(Check *c, const JNode *n, JType t, const char *key);

gboolean check_number(Check *c, const JNode *n, const char *key, double *out);
gboolean check_integer(Check *c, const JNode *n, const char *key, int min, int *out);

/* One of allowed (NULL-terminated); *index is its position.  An unknown
 * value lists the allowed ones and suggests the nearest. */
gboolean check_one_of(Check *c, const JNode *n, const char *key, const char *const *allowed,
                      int *index);

/* A strategy's name (the strategies check later that it exists): *out
 * and *at are replaced. */
gboolean check_strategy_name(Check *c, const JNode *n, const char *key, char **out, ConfigPos *at);

/* A battery service's bus name, checked as the bus checks it. */
gboolean check_service_name(Check *c, JPos at, const char *name, const char *key);

/* A service name, "name:<custom name>", or (hooks) "class:<hook>[#suffix]". */
gboolean check_battery_name(Check *c, JPos at, const char *name, const char *key, gboolean hooks);

/* A name in a list of services to match: excluded, primary or auxiliary
 * services, a virtual battery's members (hooks: "class:" entries allowed)
 * or a string's modules.  One no battery service can have (not a bus name
 * after NAMES_BATTERY_PREFIX) matches nothing: a warning, "can never match
 * a service", and it is kept (it never equals a service's name, and
 * nothing uses it as a bus name).  any: the Python daemon's keys, which
 * took any text, so that a name without the prefix is such a name too;
 * elsewhere (a string's modules) that is an error, as is "name:" alone
 * everywhere.  FALSE on an error. */
gboolean check_match_name(Check *c, JPos at, const char *name, const char *key, gboolean hooks,
                          gboolean any);

/* Whether batagg merges path; a warning, with the nearest path it does
 * merge, when it does not. */
gboolean check_merged_path(Check *c, JPos at, const char *key, const char *path);

/* An array of strings (paths: each starts with '/', and a path batagg does
 * not merge is a warning); NULL-terminated. */
char **check_string_list(Check *c, const JNode *n, const char *key, gboolean paths);

/* An array of names to match (check_match_name()), or an object name ->
 * array of paths; hooks: "class:" entries allowed; modules: a string's,
 * where a repeat is an error and a name without the battery prefix too. */
ConfigService *check_services(Check *c, const JNode *n, const char *key, gboolean hooks,
                              gboolean modules, size_t *count);

/* The options object n of a strategy or hook, named name; where is its key
 * path for messages ("strategyOptions.ir"). */
void check_options(Check *c, const JNode *n, const char *name, JPos at, const char *where,
                   ConfigOptions *out);

/* Frees what o holds and empties it. */
void config_options_clear(ConfigOptions *o);

/* ---- config_keys.c ---- */

/* Checks one top-level key and fills the config from it. */
void config_check_key(Check *c, const char *key, JPos key_at, const JNode *n);

/* Relations between the keys, once all are read. */
void config_check_relations(Check *c);

#endif
