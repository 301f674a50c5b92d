/* SPDX-License-Identifier: MIT */
/*
 * What feeds what (feeds.c): which inputs each limit and merged path is
 * computed from.
 */
#ifndef BATAGG_ENGINE_FEEDS_H
#define BATAGG_ENGINE_FEEDS_H

#include "engine/internal.h"

/* What each limit is computed from: a change of any of them computes the
 * limit, and its limitation text, again at once (engine_flush_safety()).
 * Besides these, the ratio methods hear every voltage and current
 * (sample(), current()) and say themselves when the limits must be
 * computed again (BATAGG_RECOMPUTE_*).  The limits read their inputs only
 * through inputs_read_*() and outputs_read(), which note what they read
 * (Engine.reads), so that a test can hold the computation to this table. */
extern const LimitInputs feeds_table[N_LIMITS];

/* Limit l must be computed again at the next flush (of either kind). */
void feeds_due(Engine *e, LimitId l);

/* The paths e's strategies read (their heads' reads): the battery paths
 * among them added to e->feeds, the others to e->extra, and what reads
 * them to e->feeds, e->extra_feeds and the dependents. */
void feeds_init(Engine *e);

/* The index of path in e->extra, or -1. */
int feeds_extra_find(const Engine *e, const char *path);

/* The strategy instance whose state is state asked to be called again:
 * what it takes part in is due. */
void feeds_wake(Engine *e, const void *state);

#endif
