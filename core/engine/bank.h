/* SPDX-License-Identifier: MIT */
/*
 * The bank description paths (bank.c).
 */
#ifndef BATAGG_ENGINE_BANK_H
#define BATAGG_ENGINE_BANK_H

#include "engine/internal.h"

/* /System/Batteries (the inputs named, hooks left out) and, for the
 * aggregate, the member counts. */
void bank_publish_members(Engine *e, GPtrArray *inputs, bool counts);

/* The diagnosis of every member, as JSON lists (IR, EMF, correction). */
void bank_publish_estimates(Engine *e);

/* Each member's CCL (DCL) ratio, as a JSON list. */
void bank_publish_ratios(Engine *e, bool discharge);

#endif
