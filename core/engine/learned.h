/* SPDX-License-Identifier: MIT */
/*
 * What the aggregate's ratio methods learn, beyond the life of their
 * instances (learned.c).
 */
#ifndef BATAGG_ENGINE_LEARNED_H
#define BATAGG_ENGINE_LEARNED_H

#include "engine/internal.h"

/* What the aggregate's ratio methods learn (save_member()) is kept in sf
 * (borrowed; NULL: nothing is kept).  A member that joins this engine for
 * the first time gets what was saved for its service name and /Serial at
 * the next flush, before anything is computed with it; later joins of the
 * same service (it left, it reconnected) are the methods' own business. */
void learned_use(Engine *e, StateFile *sf);

/* Keeps what the ratio methods have learned about every member in the
 * state file (members that are not there keep their records).  Returns
 * whether the state file changed. */
bool learned_save(Engine *e);

/* Every ratio method forgets what it learned about every member (reset()),
 * and the state file forgets every record; the limits and the diagnosis
 * are computed again at the next flush. */
void learned_reset(Engine *e);

/* Gives every member whose state is due what the ratio methods saved for
 * it (from the combiner's flush, before the limits). */
void learned_restore_due(Engine *e);

#endif
