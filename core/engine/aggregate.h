/* SPDX-License-Identifier: MIT */
/*
 * The aggregate's combiner (aggregate.c): each battery path merged from the
 * members by its policy (then primary and auxiliary services), the limits
 * CCL, DCL and CVL, and the bank description.
 */
#ifndef BATAGG_ENGINE_AGGREGATE_H
#define BATAGG_ENGINE_AGGREGATE_H

#include "engine/internal.h"

extern const Combiner aggregate_combiner;

#endif
