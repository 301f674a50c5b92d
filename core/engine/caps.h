/* SPDX-License-Identifier: MIT */
/*
 * The limiters' caps (SDK 3): what they make of a member's limit, and of
 * the bank's.  A cap only ever lowers: a limit becomes min(its own, the
 * lowest cap); a cap that is not finite is none, a negative current cap
 * counts as 0, and a voltage cap at or below 0 V is none.
 */
#ifndef BATAGG_ENGINE_CAPS_H
#define BATAGG_ENGINE_CAPS_H

#include "engine/internal.h"

/* What decided a capped limit, for the limitation text. */
typedef struct {
	const char *by; /* the limiter's name, or NULL: no cap decided */
	char why[48];   /* what it said ("3.58 V") */
} CapWhy;

/* Member m's limit l (its own in *limit, read by the caller) lowered by the
 * limiters' caps.  A member without a limit of its own keeps none: a cap
 * is no limit of its own (the bank's limit is then 0 or invalid, by
 * limits.c's rules, and a cap would raise it). */
void caps_member(Engine *e, LimitId l, const EngineInput *m, BataggNum *limit, CapWhy *why);

/* The bank's limit l (*limit, as computed) lowered by the limiters' bank
 * caps and the config's (maxChargeCurrent, maxDischargeCurrent; why->by
 * is "" for those). */
void caps_bank(Engine *e, LimitId l, BataggNum *limit, CapWhy *why);

#endif
