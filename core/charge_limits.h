/* SPDX-License-Identifier: MIT */
/*
 * Charge and discharge current limits of the bank (SPEC.md 5.4-5.6): pure
 * computation over the members' limits, Allow flags and capacities, with the
 * chain of current-ratio methods (configured method, then capacity, then
 * count).  No D-Bus, no state.
 */
#ifndef BATAGG_CHARGE_LIMITS_H
#define BATAGG_CHARGE_LIMITS_H

#include <stdbool.h>
#include <stddef.h>

#include "batagg/plugin.h"
#include "config.h"

#define RATIO_CHAIN_MAX 4

/* Ratio methods in the order they are tried for a member. */
typedef struct {
	const BataggRatioMethod *method[RATIO_CHAIN_MAX];
	void *state[RATIO_CHAIN_MAX];
	size_t n;
} RatioChain;

/* One member as the limit computation sees it. */
typedef struct {
	BataggMemberId id;
	BataggNum limit;    /* its own CCL (or DCL), A */
	BataggNum allow;    /* its /Io/AllowToCharge (or Discharge); invalid: no such path */
	BataggNum capacity; /* its /InstalledCapacity, Ah (invalid when not used) */
} LimitMember;

/* The battery part of the CCL (discharge false) or DCL: the minimum over the
 * connected members with a valid limit of limit_i * r_i; 0 when no connected
 * member has a limit but some member reports one; invalid when none reports
 * one.  ratios_out (n entries, may be NULL) receives each member's ratio,
 * invalid for members not connected. */
BataggNum limits_current(const LimitMember *members, size_t n, const RatioChain *chain,
                         bool discharge, BataggNum bank_capacity, BataggNum *ratios_out);

/* The published CCL from the battery part, per cclMode (SPEC 5.5). */
BataggNum limits_ccl_mode(CclMode mode, BataggNum battery, bool dvcc, double user_ccl);

#endif
