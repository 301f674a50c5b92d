/* SPDX-License-Identifier: MIT */
/*
 * What a strategy instance's host looks up (lookup.c).
 */
#ifndef BATAGG_ENGINE_LOOKUP_H
#define BATAGG_ENGINE_LOOKUP_H

#include "engine/internal.h"

/* Member id's value of path, a battery path or one the strategies read
 * (false for any other path, or an unknown member; the text borrowed until
 * the value changes). */
bool lookup_value(const Engine *e, BataggMemberId id, const char *path, BataggValue *out);

/* Member id's state of the instance whose state is state, or NULL. */
void *lookup_slot(const Engine *e, BataggMemberId id, const void *state);

#endif
