/* SPDX-License-Identifier: MIT */
/*
 * A virtual battery's combiner (precedence.c): every battery path is the
 * first valid value of its inputs in config order, hooks among them.
 */
#ifndef BATAGG_ENGINE_PRECEDENCE_H
#define BATAGG_ENGINE_PRECEDENCE_H

#include "engine/internal.h"

extern const Combiner precedence_combiner;

#endif
