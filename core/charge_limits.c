/* SPDX-License-Identifier: MIT */
/*
 * The bank's current limits: which members are connected, how much of the
 * bank current each takes (the ratio chain), and the smallest bank current at
 * which one of them reaches its own limit.
 */
#include "charge_limits.h"

#include <glib.h>

static bool connected(const LimitMember *m)
{
	return !m->allow.valid || m->allow.value != 0;
}

/* Fills ratios[] for the connected members, asking each method of the chain
 * in turn for the members the previous ones could not serve. */
static void chain_ratios(const RatioChain *chain, const BataggRatioInput *in, BataggNum *ratios)
{
	g_autofree BataggNum *step = g_new0(BataggNum, in->n ? in->n : 1);

	for (size_t i = 0; i < in->n; i++)
		ratios[i].valid = false;
	for (size_t k = 0; k < chain->n; k++) {
		bool missing = false;

		for (size_t i = 0; i < in->n; i++) {
			step[i].valid = false;
			missing = missing || !ratios[i].valid;
		}
		if (!missing)
			return;
		chain->method[k]->ratios(chain->state[k], in, step);
		for (size_t i = 0; i < in->n; i++) {
			if (!ratios[i].valid && step[i].valid)
				ratios[i] = step[i];
		}
	}
	/* The last resort, whatever the chain: every member takes an equal share. */
	for (size_t i = 0; i < in->n; i++) {
		if (!ratios[i].valid)
			ratios[i] = (BataggNum){.value = (double)in->n, .valid = true};
	}
}

BataggNum limits_current(const LimitMember *members, size_t n, const RatioChain *chain,
                         bool discharge, BataggNum bank_capacity, BataggNum *ratios_out)
{
	g_autofree BataggMemberId *ids = g_new0(BataggMemberId, n ? n : 1);
	g_autofree BataggNum *caps = g_new0(BataggNum, n ? n : 1);
	g_autofree BataggNum *ratios = g_new0(BataggNum, n ? n : 1);
	g_autofree size_t *index = g_new0(size_t, n ? n : 1);
	BataggRatioInput in = {.ids = ids,
	                       .capacity = caps,
	                       .bank_capacity = bank_capacity,
	                       .discharge = discharge};
	BataggNum result = {0};
	bool reported = false;

	for (size_t i = 0; i < n; i++) {
		reported = reported || members[i].limit.valid;
		in.allow_reported = in.allow_reported || members[i].allow.valid;
		if (ratios_out)
			ratios_out[i].valid = false;
		if (!connected(&members[i]))
			continue;
		index[in.n] = i;
		ids[in.n] = members[i].id;
		caps[in.n] = members[i].capacity;
		in.n++;
	}
	if (in.n > 0)
		chain_ratios(chain, &in, ratios);

	for (size_t c = 0; c < in.n; c++) {
		const LimitMember *m = &members[index[c]];
		double estimate;

		if (ratios_out)
			ratios_out[index[c]] = ratios[c];
		if (!m->limit.valid)
			continue;
		estimate = m->limit.value * ratios[c].value;
		if (!result.valid || estimate < result.value)
			result = (BataggNum){.value = estimate, .valid = true};
	}
	if (!result.valid && reported)
		result = (BataggNum){.value = 0, .valid = true};
	return result;
}

BataggNum limits_ccl_mode(CclMode mode, BataggNum battery, bool dvcc, double user_ccl)
{
	switch (mode) {
	case CCL_DVCC:
		return (BataggNum){.value = dvcc ? user_ccl : -1, .valid = true};
	case CCL_BATTERY:
		return battery;
	case CCL_BATTERY_DVCC:
		break;
	}
	/* A 0 from the batteries means they all refuse charge: never raise it. */
	if (battery.valid && battery.value > 0 && dvcc && user_ccl > 0 && user_ccl < battery.value)
		battery.value = user_ccl;
	return battery;
}
