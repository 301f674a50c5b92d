/* SPDX-License-Identifier: MIT */
/*
 * The checks of the config's values: types, numbers, enums, names and
 * lists of services, each problem reported through the check (check.h) at
 * the line and column where the value starts.  Nothing outside the config
 * includes this header.
 */
#ifndef BATAGG_VALUES_H
#define BATAGG_VALUES_H

#include "config/check.h"

/* TRUE when n is of type t; else an error naming key and both types. */
gboolean values_type(Check *c, const JNode *n, JType t, const char *key);

gboolean values_number(Check *c, const JNode *n, const char *key, double *out);
gboolean values_integer(Check *c, const JNode *n, const char *key, int min, int *out);

/* One of allowed (NULL-terminated); *index is its position.  An unknown
 * value lists the allowed ones and suggests the nearest. */
gboolean values_one_of(Check *c, const JNode *n, const char *key, const char *const *allowed,
                       int *index);

/* A strategy's name (the strategies check later that it exists): *out
 * and *at are replaced. */
gboolean values_strategy_name(Check *c, const JNode *n, const char *key, char **out, ConfigPos *at);

/* A battery service's bus name, checked as the bus checks it. */
gboolean values_service_name(Check *c, JPos at, const char *name, const char *key);

/* A service name, "name:<custom name>", or (hooks) "class:<hook>[#suffix]". */
gboolean values_battery_name(Check *c, JPos at, const char *name, const char *key, gboolean hooks);

/* A name in a list of services to match: excluded, primary or auxiliary
 * services, a virtual battery's members (hooks: "class:" entries allowed)
 * or a string's modules.  One no battery service can have (not a bus name
 * after NAMES_BATTERY_PREFIX) matches nothing: a warning, "can never match
 * a service", and it is kept (it never equals a service's name, and
 * nothing uses it as a bus name).  any: the Python daemon's keys, which
 * took any text, so that a name without the prefix is such a name too;
 * elsewhere (a string's modules) that is an error, as is "name:" alone
 * everywhere.  FALSE on an error. */
gboolean values_match_name(Check *c, JPos at, const char *name, const char *key, gboolean hooks,
                           gboolean any);

/* Whether batagg merges path; a warning, with the nearest path it does
 * merge, when it does not. */
gboolean values_merged_path(Check *c, JPos at, const char *key, const char *path);

/* An array of strings (paths: each starts with '/', and a path batagg does
 * not merge is a warning); NULL-terminated. */
char **values_string_list(Check *c, const JNode *n, const char *key, gboolean paths);

/* An array of names to match (values_match_name()), or an object name ->
 * array of paths; hooks: "class:" entries allowed; modules: a string's,
 * where a repeat is an error and a name without the battery prefix too. */
ConfigService *values_services(Check *c, const JNode *n, const char *key, gboolean hooks,
                               gboolean modules, size_t *count);

/* Whether list (of n) has an entry written name. */
gboolean values_in_services(const ConfigService *list, size_t n, const char *name);

#endif
