/* SPDX-License-Identifier: MIT */
/*
 * Charge and discharge current limits of the bank (SPEC.md 5.4-5.6): pure
 * computation over the members' limits, Allow flags and capacities, with the
 * chain of current-ratio methods (the configured one, then its fallbacks).
 * No D-Bus, no state.  This is the one place that makes a limit
 * safe: what it returns is finite and in range, or invalid.
 */
#ifndef BATAGG_CHARGE_LIMITS_H
#define BATAGG_CHARGE_LIMITS_H

#include <stdbool.h>
#include <stddef.h>

#include "batagg/plugin.h"
#include "base/paths.h"

#define RATIO_CHAIN_MAX 4

/* cclMode (SPEC 5.5): a fixed choice, not a strategy. */
typedef enum {
	CCL_BATTERY_DVCC = 0,
	CCL_BATTERY,
	CCL_DVCC,
} CclMode;

/* Ratio methods in the order they are tried for a member. */
typedef struct {
	const BataggRatioMethod *method[RATIO_CHAIN_MAX];
	void *state[RATIO_CHAIN_MAX];
	size_t n;
} RatioChain;

/* One member as the limit computation sees it (values already sane:
 * paths_sanitize). */
typedef struct {
	BataggMember member;
	bool bms;           /* it has reported a CVL: only BMSes share the current */
	BataggNum limit;    /* its own CCL (or DCL), A, >= 0 */
	BataggNum allow;    /* its /Io/AllowToCharge (or Discharge); invalid: no such path */
	BataggNum capacity; /* its /InstalledCapacity, Ah > 0 (invalid when not used) */
} LimitMember;

/* Whether a member takes part in the limit: a BMS whose Allow flag is not 0
 * (any other value allows; a member without the flag, or with an invalid
 * one, counts as allowing, as SPEC 5.4 says). */
bool limits_connected(const LimitMember *m);

/* What decided a current limit, for the limitation text (limitation.c). */
typedef struct {
	size_t bms;           /* members that are BMSes */
	size_t refusing;      /* BMSes whose Allow flag is 0 */
	size_t some_refusing; /* the index of one of them */
	bool binding;         /* a member's limit * ratio is the result: */
	size_t member;        /* its index, */
	double limit, ratio;  /* its limit and ratio, */
	const char *method;   /* and the ratio method that gave it (NULL: the
	                       * last resort, an equal share) */
} LimitWhy;

/* The battery part of the CCL (discharge false) or DCL: the minimum over the
 * connected members with a valid limit of limit_i * r_i, each ratio r_i
 * finite and >= 1; 0 when no connected member has a limit but some BMS
 * reports one; invalid when no BMS reports one.  The result is at most
 * LIMIT_MAX_AMPS.  ratios_out (n entries, may be NULL) receives each
 * member's ratio, invalid for members not connected; why (may be NULL)
 * what decided it. */
BataggNum limits_current(const LimitMember *members, size_t n, const RatioChain *chain,
                         bool discharge, BataggNum bank_capacity, BataggNum *ratios_out,
                         LimitWhy *why);

/* The published CCL from the battery part, per cclMode (SPEC 5.5): finite
 * and >= 0, or invalid. */
BataggNum limits_ccl_mode(CclMode mode, BataggNum battery, bool dvcc, double user_ccl);

/* A current limit as it may be published: finite, >= 0, at most
 * LIMIT_MAX_AMPS; anything else is invalid. */
BataggNum limits_sane_current(BataggNum amps);

/* A charge voltage limit as it may be published: finite, > 0, at most
 * LIMIT_MAX_VOLTS; anything else is invalid. */
BataggNum limits_sane_voltage(BataggNum volts);

#endif
