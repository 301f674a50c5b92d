/* SPDX-License-Identifier: MIT */
/*
 * Instances: what the strategy names of a config become, one instance per
 * (table, id), looked up in the registry and created once with the options
 * the config gives it and its own host (whose logger prefixes the id),
 * destroyed in reverse order.  A failure names the file, line, column and
 * key concerned: it goes to the problems when there are some, and to the
 * caller's error when that has none yet.  strategies.c builds the engine
 * setup from them.
 */
#ifndef BATAGG_INSTANCES_H
#define BATAGG_INSTANCES_H

#include <glib.h>

#include "base/problems.h"
#include "config/config.h"
#include "engine/engine.h"
#include "strategies/host.h"
#include "strategies/registry.h"

/* One instance and what it was made of. */
typedef struct {
	StrategyUse use;
	char *id;   /* its name, or a hook's id with its #suffix */
	Host *host; /* owned, valid until its destroy(); NULL without create() */
} Instance;

/* The instances made for one config (borrowed; it outlives them). */
typedef struct {
	const Config *cfg;
	Registry *reg;
	Problems *problems; /* NULL, or where every failure goes */
	GArray *list;       /* Instance, in creation order */
} Instances;

/* Starts an empty set; clear it with instances_clear(). */
void instances_init(Instances *made, const Config *cfg, Registry *reg, Problems *problems);

/* Destroys every instance, the last made first. */
void instances_clear(Instances *made);

/* A failure at `at` (0:0: none) with the key path `key` (NULL: none): to
 * the problems, as an error of the key's top-level key, and to error
 * (BATAGG_PLUGIN_ERROR, code) as "FILE:LINE:COL: key 'KEY': MESSAGE" when
 * it has none yet. */
void instances_fail(Instances *made, GError **error, int code, ConfigPos at, const char *key,
                    const char *fmt, ...) G_GNUC_PRINTF(6, 7);

/* The state of the instance of table t under id (its name, or a hook's
 * id), created with the options o (NULL: none) at first use.  named_at and
 * named_by say where the config asked for it, for messages.  NULL when t
 * has no create(), or when it cannot be made (then with error set). */
void *instances_get(Instances *made, const BataggStrategy *t, const char *id,
                    const ConfigOptions *o, ConfigPos named_at, const char *named_by,
                    GError **error);

/* The strategy of kind named name, or NULL with error set: a name the
 * user wrote (at.line > 0) is named with its key, a default by itself. */
const BataggStrategy *instances_find(Instances *made, BataggKind kind, const char *name,
                                     ConfigPos at, const char *key, GError **error);

/* Looks up the strategy and gets its instance, with its strategyOptions,
 * into *state; NULL with error set when either fails. */
const BataggStrategy *instances_use(Instances *made, BataggKind kind, const char *name,
                                    ConfigPos at, const char *key, void **state, GError **error);

/* The engine the instances' hosts see, and whom they wake (host.h). */
void instances_set_engine(Instances *made, const Engine *e, HostWakeFn wake, void *user_data);

#endif
