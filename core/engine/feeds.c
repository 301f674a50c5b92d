/* SPDX-License-Identifier: MIT */
/*
 * What feeds what: the inputs each limit is computed from (feeds_table, the
 * core's), the paths the strategies read (their heads' reads) and what
 * they take part in, so that a change of any input makes due, at once,
 * what it feeds.
 */
#include "engine/feeds.h"

#include <string.h>

/* clang-format off */
const LimitInputs feeds_table[N_LIMITS] = {
	/* A member's own limit and allow flag; its CVL makes it a BMS, which
	 * alone shares the bank current; the capacity method shares by
	 * /InstalledCapacity; the limitation text names members.  The bank
	 * refusing (its allow flag 0) makes the limit 0. */
	[L_CCL] = {.member = BIT(P_CCL) | BIT(P_ALLOW_TO_CHARGE) | BIT(P_CVL) |
	                     BIT(P_INSTALLED_CAPACITY) | BIT(P_CUSTOM_NAME),
	           .bank = BIT(P_ALLOW_TO_CHARGE)},
	[L_DCL] = {.member = BIT(P_DCL) | BIT(P_ALLOW_TO_DISCHARGE) | BIT(P_CVL) |
	                     BIT(P_INSTALLED_CAPACITY) | BIT(P_CUSTOM_NAME),
	           .bank = BIT(P_ALLOW_TO_DISCHARGE)},
	/* The CVL mode reads the members' CVLs and charge modes, and the
	 * bank's /Balancing and /Info/ChargeMode. */
	[L_CVL] = {.member = BIT(P_CVL) | BIT(P_CHARGE_MODE) | BIT(P_CUSTOM_NAME),
	           .bank = BIT(P_BALANCING) | BIT(P_CHARGE_MODE)},
};
/* clang-format on */

void feeds_due(Engine *e, LimitId l)
{
	e->need[l] = true;
	/* The series and precedence combiners merge what is dirty. */
	e->dirty |= BIT(limit_path(l));
}

/* The limits (LimitId bits) and the merged paths (PathId bits) strategy
 * instance u takes part in: what a change of a path it reads, or its
 * call_again(), computes again. */
static void targets(const Engine *e, const StrategyUse *u, int *limits, uint64_t *paths)
{
	*limits = 0;
	*paths = 0;
	switch (u->table->kind) {
	case BATAGG_KIND_RATIO:
		*limits = BIT(L_CCL) | BIT(L_DCL);
		break;
	case BATAGG_KIND_LIMITER:
		*limits = BIT(L_CCL) | BIT(L_DCL) | BIT(L_CVL);
		break;
	case BATAGG_KIND_CVL:
		*limits = BIT(L_CVL);
		break;
	case BATAGG_KIND_MERGE:
		for (int p = 0; p < N_BATTERY_PATHS; p++) {
			if (e->s.policy_state[p] == u->state &&
			    (const BataggStrategy *)e->s.policy[p] == u->table)
				*paths |= BIT(p);
		}
		break;
	default:
		/* A hook: a virtual battery merges every path anew. */
		*paths = ALL_BATTERY_PATHS;
		break;
	}
}

int feeds_extra_find(const Engine *e, const char *path)
{
	for (size_t x = 0; x < e->n_extra; x++) {
		if (strcmp(e->extra[x], path) == 0)
			return (int)x;
	}
	return -1;
}

static int extra_add(Engine *e, const char *path)
{
	int x = feeds_extra_find(e, path);

	if (x >= 0)
		return x;
	if (e->n_extra == EXTRA_MAX) {
		g_warning("more than %d paths that strategies read: %s is not read", EXTRA_MAX,
		          path);
		return -1;
	}
	e->extra[e->n_extra] = g_strdup(path);
	return (int)e->n_extra++;
}

/* What the strategies' reads feed: the limits and merged paths of the
 * instances that read them. */
void feeds_init(Engine *e)
{
	for (int l = 0; l < N_LIMITS; l++)
		e->feeds[l] = feeds_table[l];
	/* Every instance in use; the limiters are among them, and listed on
	 * their own too (an engine may be given limiters alone). */
	for (size_t k = 0; k < e->s.n_used + e->s.n_limiters; k++) {
		const StrategyUse *u =
		        k < e->s.n_used ? &e->s.used[k] : &e->s.limiters[k - e->s.n_used];
		int limits;
		uint64_t paths;

		targets(e, u, &limits, &paths);
		/* A limiter is told each member's own limits and capacity. */
		for (int l = 0; l < N_LIMITS && u->table->kind == BATAGG_KIND_LIMITER; l++)
			e->feeds[l].member |=
			        BIT(P_CCL) | BIT(P_DCL) | BIT(P_CVL) | BIT(P_INSTALLED_CAPACITY);
		for (size_t r = 0; u->table->reads && u->table->reads[r]; r++) {
			int p = paths_find(u->table->reads[r]);
			int x = p < 0 ? extra_add(e, u->table->reads[r]) : -1;

			if (p < 0 && x < 0)
				continue;
			for (int l = 0; l < N_LIMITS; l++) {
				if (!(limits & BIT(l)))
					continue;
				if (p >= 0)
					e->feeds[l].member |= BIT(p);
				else
					e->extra_feeds[l] |= BIT(x);
			}
			if (p >= 0)
				e->dependents[p] |= paths;
			else
				e->extra_dependents[x] |= paths;
		}
	}
	for (int p = 0; p < N_MEMBER_PATHS; p++) {
		for (int l = 0; l < N_LIMITS; l++) {
			if (e->feeds[l].member & BIT(p))
				e->feeds_by_path[p] |= (uint8_t)BIT(l);
		}
	}
}

void feeds_wake(Engine *e, const void *state)
{
	for (size_t k = 0; k < e->s.n_used; k++) {
		int limits;
		uint64_t paths;

		if (e->s.used[k].state != state)
			continue;
		targets(e, &e->s.used[k], &limits, &paths);
		e->dirty |= paths;
		for (int l = 0; l < N_LIMITS; l++) {
			if (limits & BIT(l))
				feeds_due(e, (LimitId)l);
		}
	}
}
