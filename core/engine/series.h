/* SPDX-License-Identifier: MIT */
/*
 * A series battery's combiner (series.c): the modules of one string, every
 * path (the limits too) merged by its series policy.
 */
#ifndef BATAGG_ENGINE_SERIES_H
#define BATAGG_ENGINE_SERIES_H

#include "engine/internal.h"

extern const Combiner series_combiner;

#endif
