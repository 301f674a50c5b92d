/* SPDX-License-Identifier: MIT */
/*
 * Strategies: the instances of the strategies one published service uses,
 * made from the names and options its config gives (or the defaults
 * table's), looked up in the registry by kind and name and created with
 * their options: the aggregate's merge policies, ratio chain, estimator and
 * CVL mode, or a virtual battery's precedence policy and hooks.  Shared by
 * the daemon and --check-config, which thus checks every option as the
 * daemon will.  Errors name the file, line, column and key concerned.
 */
#ifndef BATAGG_STRATEGIES_H
#define BATAGG_STRATEGIES_H

#include <glib.h>

#include "engine/engine.h"
#include "config/config.h"
#include "base/problems.h"
#include "strategies/host.h"
#include "strategies/registry.h"

typedef struct Strategies Strategies;

/* Returns (transfer full) the aggregate's strategies for cfg, or NULL with
 * error set (an unknown name lists the known ones; a refused option names
 * itself).  Free with strategies_free(). */
Strategies *strategies_new(const Config *cfg, Registry *reg, GError **error);

/* Strategies of virtual battery `index` of cfg: precedence merging, and the
 * hooks its member entries "class:<name>[#suffix]" name, each created with
 * its options from the config's "classes". */
Strategies *strategies_new_virtual(const Config *cfg, size_t index, Registry *reg, GError **error);

void strategies_free(Strategies *st);

/* Whether every name under "strategyOptions" names a strategy (a typo
 * there would leave options unused without a word).  With create, every
 * such strategy is also created with its options and freed again, used or
 * not, so that options it refuses are config errors too.  FALSE with error
 * set for the first that fails. */
gboolean strategies_check_options(Registry *reg, const Config *cfg, gboolean create,
                                  GError **error);

/* Every problem of cfg's strategies, each added to problems with its
 * position and top-level key: the aggregate's, every virtual battery's
 * and (with create, creating each) every strategy "strategyOptions"
 * names.  For --check-config, which lists them all, and for the daemon's
 * start, which runs each key with a problem at its default.  Returns the
 * number of errors added. */
guint strategies_report(Registry *reg, const Config *cfg, gboolean create, Problems *problems);

/* The engine setup the strategies make up (owned by st). */
const EngineSetup *strategies_setup(Strategies *st);

/* A new engine with these strategies, their hooks added; st must outlive
 * it.  An instance that asks to be called again (BataggHost.call_again())
 * is woken through wake(user_data, its state) when its time comes. */
Engine *strategies_engine(Strategies *st, HostWakeFn wake, void *user_data);

/* The engine the instances' hosts see (strategies_engine() does it; a test
 * that makes its own engine from strategies_setup() says so here). */
void strategies_bind(Strategies *st, const Engine *e, HostWakeFn wake, void *user_data);

#endif
