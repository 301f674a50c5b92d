/* SPDX-License-Identifier: MIT */
/*
 * One path's value from the engine's inputs (merged.c).
 */
#ifndef BATAGG_ENGINE_MERGED_H
#define BATAGG_ENGINE_MERGED_H

#include "engine/internal.h"

/* Runs a merge policy over the given inputs' values of path p; *any_valid
 * says whether some input had a value. */
Value merged_run(Engine *e, const BataggMergePolicy *pol, void *state, GPtrArray *inputs, int p,
                 bool *any_valid);

/* SPEC 5.1: publishes path p: a primary value replaces the aggregated one
 * (consumed); an auxiliary value fills in where aggregation has none; a
 * refusal makes a limit 0. */
void merged_publish(Engine *e, int p, Value *aggregated, bool members_have_value);

#endif
