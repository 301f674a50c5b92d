/* SPDX-License-Identifier: MIT */
/*
 * Strategies: what a config's strategy names become, looked up in the
 * registry and created with their options, ready for an Engine.  Shared by
 * the daemon and --check-config (which validates the names without a bus).
 */
#ifndef BATAGG_STRATEGIES_H
#define BATAGG_STRATEGIES_H

#include <glib.h>

#include "aggregate.h"
#include "config.h"
#include "registry.h"

/* Returns (transfer full) the aggregate's strategies for cfg, or NULL with
 * error set (an unknown name lists the known ones; a plugin's create()
 * refusal says why).  Free with strategies_free(). */
typedef struct Strategies Strategies;
Strategies *strategies_new(const Config *cfg, Registry *reg, GError **error);
void strategies_free(Strategies *st);

/* Strategies of virtual battery `index` of cfg: precedence merging, and the
 * hooks its member entries "class:ID[#suffix]" name, each created with its
 * options from the config's "classes".  NULL with error set (naming the
 * virtual battery) when a hook is unknown or refuses its options. */
Strategies *strategies_new_virtual(const Config *cfg, size_t index, Registry *reg, GError **error);

/* Creates every virtual battery's strategies, as the daemon will, and frees
 * them again (--check-config): FALSE with error set for the first that
 * fails. */
gboolean strategies_check_virtuals(Registry *reg, const Config *cfg, GError **error);

/* The engine setup the strategies make up (owned by st). */
const EngineSetup *strategies_setup(Strategies *st);

/* A hook of a virtual battery, at its precedence rank (its position among
 * the members). */
typedef struct {
	int rank;
	const BataggMergePolicy *policy;
	void *state; /* owned by the Strategies */
} StrategyHook;

/* The hooks of a virtual battery's strategies (n set; none for the
 * aggregate's). */
const StrategyHook *strategies_hooks(Strategies *st, size_t *n);

/* A new engine with these strategies, their hooks added; st must outlive
 * it. */
Engine *strategies_engine(Strategies *st, EnginePublishFn publish, void *user_data);

#endif
