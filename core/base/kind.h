/* SPDX-License-Identifier: MIT */
/*
 * The kinds of strategy (BataggKind), as messages name them.
 */
#ifndef BATAGG_KIND_H
#define BATAGG_KIND_H

#include "batagg/plugin.h"

/* Kinds are BataggKind values (1 ...); this bounds them. */
#define KIND_N (BATAGG_KIND_LIMITER + 1)

/* Whether kind is one of BataggKind. */
bool kind_known(uint32_t kind);

/* "current ratio method", "CVL mode", "merge policy", "hook", "limiter"; "strategy"
 * for a kind batagg does not know. */
const char *kind_name(uint32_t kind);

#endif
