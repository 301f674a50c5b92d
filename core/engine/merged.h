/* SPDX-License-Identifier: MIT */
/*
 * One path's value from the engine's inputs (merged.c).
 */
#ifndef BATAGG_ENGINE_MERGED_H
#define BATAGG_ENGINE_MERGED_H

#include "engine/internal.h"

/* Runs a merge policy over the given inputs' values of path p; *any_valid
 * says whether some input had a value.  The result is borrowed: a text is
 * in text (text_len bytes, where the policy writes one of its own) or is
 * an input's, valid until either changes; never free it. */
Value merged_run(Engine *e, const BataggMergePolicy *pol, void *state, GPtrArray *inputs, int p,
                 bool *any_valid, char *text, size_t text_len);

/* SPEC 5.1: publishes path p: a primary value replaces the aggregated one
 * (borrowed: merged_run()'s with e->text, or a number); an auxiliary value
 * fills in where aggregation has none; a refusal makes a limit 0.  Nothing
 * is copied unless the published value changes. */
void merged_publish(Engine *e, int p, const Value *aggregated, bool members_have_value);

#endif
