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

/* Strategies of a virtual battery: precedence merging only. */
Strategies *strategies_new_virtual(Registry *reg, GError **error);

/* Creates the hook a virtual battery's member entry "class:ID[#suffix]"
 * names, with its options from the config's "classes"; the state is owned
 * by st.  NULL with error set when the hook is unknown or refuses. */
const BataggMergePolicy *strategies_add_hook(Strategies *st, Registry *reg, const Config *cfg,
                                             const char *member, void **state, GError **error);

/* Creates every hook the config's virtual batteries name, as the daemon
 * will, and frees them again (--check-config): FALSE with error set, naming
 * the virtual battery, for the first one that fails. */
gboolean strategies_check_hooks(Registry *reg, const Config *cfg, GError **error);

/* The engine setup the strategies make up (owned by st). */
const EngineSetup *strategies_setup(Strategies *st);

#endif
