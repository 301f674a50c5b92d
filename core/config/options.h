/* SPDX-License-Identifier: MIT */
/*
 * The options of strategies and hooks, read from their keys: "classes"
 * (hooks by id), "strategyOptions" (strategies by name), and the key of
 * earlier configs that holds a strategy's options (defaults.options_key).
 * Nested objects flatten into "outer/inner" options.  Nothing outside the
 * config includes this header.
 */
#ifndef BATAGG_OPTIONS_H
#define BATAGG_OPTIONS_H

#include "config/check.h"

/* The keys, each into the config (the key table, keys.c, calls them). */
void options_classes(Check *c, const char *key, const JNode *n);
void options_strategies(Check *c, const char *key, const JNode *n);
void options_legacy(Check *c, const char *key, const JNode *n);

/* The options of list (of n) named name, or NULL. */
const ConfigOptions *options_find(const ConfigOptions *list, size_t n, const char *name);

/* Frees what o holds and empties it. */
void options_clear(ConfigOptions *o);

#endif
