/* SPDX-License-Identifier: MIT */
/*
 * The bank's current limits: which members are connected, how much of the
 * bank current each takes (the ratio chain), and the smallest bank current at
 * which one of them reaches its own limit.  Every number a strategy returns
 * is checked here before it can reach a limit.
 */
#include "engine/limits.h"

#include <glib.h>
#include <math.h>

/* Rounding lets a share come out a hair above the whole (r = 0.9999999). */
#define RATIO_SLACK 1e-9

static const BataggNum invalid;

bool limits_connected(const LimitMember *m)
{
	return m->bms && (!m->allow.valid || m->allow.value != 0);
}

/* A ratio is bank current / member current: finite and at least 1.  One
 * below 1 would give a member less than its own limit's worth: a method
 * that asks for it is told, once, that limiters are for that. */
static BataggNum sane_ratio(BataggNum r, const char *method)
{
	static GHashTable *told;

	if (r.valid && isfinite(r.value) && r.value < 1 - RATIO_SLACK) {
		if (!told)
			told = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		if (g_hash_table_add(told, g_strdup(method)))
			g_warning("current ratio method '%s' gave a ratio of %g, below 1: refused "
			          "(the next method serves that battery); a ratio says how much "
			          "of the bank current a battery takes, and to lower a battery's "
			          "limit, write a limiter (docs/PLUGINS.md)",
			          method, r.value);
	}
	if (!r.valid || !isfinite(r.value) || r.value < 1 - RATIO_SLACK)
		return invalid;
	return (BataggNum){.value = fmax(r.value, 1), .valid = true};
}

/* Fills ratios[] for the connected members, asking each method of the chain
 * in turn for the members the previous ones could not serve. */
static void chain_ratios(const RatioChain *chain, const BataggRatioInput *in, BataggNum *ratios,
                         const char **served)
{
	g_autofree BataggNum *step = g_new0(BataggNum, in->n ? in->n : 1);

	for (size_t i = 0; i < in->n; i++)
		ratios[i] = invalid;
	for (size_t k = 0; k < chain->n; k++) {
		bool missing = false;

		for (size_t i = 0; i < in->n; i++) {
			step[i] = invalid;
			missing = missing || !ratios[i].valid;
		}
		if (!missing)
			return;
		chain->method[k]->ratios(chain->state[k], in, step);
		for (size_t i = 0; i < in->n; i++) {
			if (!ratios[i].valid) {
				ratios[i] = sane_ratio(step[i], chain->method[k]->head.name);
				served[i] = ratios[i].valid ? chain->method[k]->head.name : NULL;
			}
		}
	}
	/* The last resort, whatever the chain: every member takes an equal share. */
	for (size_t i = 0; i < in->n; i++) {
		if (!ratios[i].valid)
			ratios[i] = (BataggNum){.value = (double)in->n, .valid = true};
	}
}

BataggNum limits_current(const LimitMember *members, size_t n, const RatioChain *chain,
                         bool discharge, BataggNum bank_capacity, BataggNum *ratios_out,
                         LimitWhy *why)
{
	g_autofree BataggMember *connected = g_new0(BataggMember, n ? n : 1);
	g_autofree BataggNum *caps = g_new0(BataggNum, n ? n : 1);
	g_autofree BataggNum *ratios = g_new0(BataggNum, n ? n : 1);
	g_autofree size_t *index = g_new0(size_t, n ? n : 1);
	g_autofree const char **served = g_new0(const char *, n ? n : 1);
	LimitWhy unused;
	BataggRatioInput in = {.members = connected,
	                       .capacity = caps,
	                       .bank_capacity = bank_capacity,
	                       .discharge = discharge};
	BataggNum result = invalid;
	bool reported = false;

	if (!why)
		why = &unused;
	*why = (LimitWhy){0};
	for (size_t i = 0; i < n; i++) {
		const LimitMember *m = &members[i];

		if (ratios_out)
			ratios_out[i] = invalid;
		if (!m->bms)
			continue;
		why->bms++;
		reported = reported || m->limit.valid;
		in.allow_reported = in.allow_reported || m->allow.valid;
		if (!limits_connected(m)) {
			why->some_refusing = i;
			why->refusing++;
			continue;
		}
		index[in.n] = i;
		connected[in.n] = m->member;
		caps[in.n] = m->capacity;
		in.n++;
	}
	if (in.n > 0)
		chain_ratios(chain, &in, ratios, served);

	for (size_t c = 0; c < in.n; c++) {
		const LimitMember *m = &members[index[c]];
		double estimate;

		if (ratios_out)
			ratios_out[index[c]] = ratios[c];
		if (!m->limit.valid || !isfinite(m->limit.value))
			continue;
		/* Both factors are finite and >= 0 (>= 1): the product is not NaN. */
		estimate = fmin(fmax(m->limit.value, 0) * ratios[c].value, LIMIT_MAX_AMPS);
		if (!result.valid || estimate < result.value) {
			result = (BataggNum){.value = estimate, .valid = true};
			why->binding = true;
			why->member = index[c];
			why->limit = fmax(m->limit.value, 0);
			why->ratio = ratios[c].value;
			why->method = served[c];
		}
	}
	if (!result.valid && reported)
		result = (BataggNum){.value = 0, .valid = true};
	return result;
}

BataggNum limits_ccl_mode(CclMode mode, BataggNum battery, bool dvcc, double user_ccl)
{
	BataggNum user = {.value = user_ccl, .valid = dvcc && isfinite(user_ccl) && user_ccl >= 0};

	battery = limits_sane_current(battery);
	switch (mode) {
	case CCL_DVCC:
		/* The user's limit alone; without one (DVCC off, or -1) none. */
		return limits_sane_current(user);
	case CCL_BATTERY:
		return battery;
	case CCL_BATTERY_DVCC:
		break;
	}
	/* A 0 from the batteries means they all refuse charge: never raise it. */
	if (battery.valid && battery.value > 0 && user.valid && user.value > 0 &&
	    user.value < battery.value)
		battery.value = user.value;
	return battery;
}

BataggNum limits_sane_current(BataggNum amps)
{
	if (!amps.valid || !isfinite(amps.value) || amps.value < 0)
		return invalid;
	amps.value = fmin(amps.value, LIMIT_MAX_AMPS);
	return amps;
}

BataggNum limits_sane_voltage(BataggNum volts)
{
	if (!volts.valid || !isfinite(volts.value) || volts.value <= 0 ||
	    volts.value > LIMIT_MAX_VOLTS)
		return invalid;
	return volts;
}
