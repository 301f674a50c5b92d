/* SPDX-License-Identifier: MIT */
/*
 * The CVL modes of SPEC.md 5.7.  Batteries still charging decide: when some
 * members report a charge mode without "float", only their CVLs count.  The
 * mode then picks the maximum or the minimum, and the user's DVCC limit
 * caps the result.  bulk_until_all_float (not in SPEC.md) keeps the bank
 * at the charging members' lowest CVL until every member floats.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "batagg/plugin.h"

static bool says_float(const char *mode)
{
	for (const char *p = mode; *p; p++) {
		if (strncasecmp(p, "float", 5) == 0)
			return true;
	}
	return false;
}

static bool charging(const BataggCvlInput *in, size_t i)
{
	return in->charge_mode[i] && !says_float(in->charge_mode[i]);
}

static BataggNum pick(const BataggCvlInput *in, bool use_max)
{
	BataggNum r = {0};
	bool only_charging = false;

	for (size_t i = 0; i < in->n; i++)
		only_charging = only_charging || (in->cvl[i].valid && charging(in, i));
	for (size_t i = 0; i < in->n; i++) {
		double v = in->cvl[i].value;

		if (!in->cvl[i].valid || (only_charging && !charging(in, i)))
			continue;
		if (!r.valid || (use_max ? v > r.value : v < r.value))
			r = (BataggNum){.value = v, .valid = true};
	}
	if (r.valid && in->user_cap > 0 && in->user_cap < r.value)
		r.value = in->user_cap;
	return r;
}

static bool balancing(const BataggCvlInput *in)
{
	return in->balancing.valid && in->balancing.value == 1;
}

static BataggNum max_when_balancing(void *state, const BataggCvlInput *in)
{
	return pick(in, balancing(in));
}

static BataggNum min_when_balancing(void *state, const BataggCvlInput *in)
{
	return pick(in, false);
}

static BataggNum max_always(void *state, const BataggCvlInput *in)
{
	return pick(in, true);
}

static BataggNum max_when_floating(void *state, const BataggCvlInput *in)
{
	return pick(in, in->bank_charge_mode && strcmp(in->bank_charge_mode, "Float") == 0);
}

/* bulk_until_all_float: the bank absorbs until every member floats.  A
 * member charges (bulk or absorption) when its charge mode does not say
 * float; a member without a charge mode charges when its CVL is above the
 * float voltage, the lowest CVL of the members whose charge mode says
 * float; when none says float there is no float voltage to compare with,
 * and it counts as charging (its CVL counts: the bank is not above it).
 * While any member charges, the lowest of the charging members' CVLs;
 * once all float, the lowest CVL of all (the float voltage). */
static BataggNum bulk_until_all_float(void *state, const BataggCvlInput *in)
{
	BataggNum float_v = {0}, charging_v = {0}, lowest = {0};

	for (size_t i = 0; i < in->n; i++) {
		if (in->cvl[i].valid && in->charge_mode[i] && says_float(in->charge_mode[i]) &&
		    (!float_v.valid || in->cvl[i].value < float_v.value))
			float_v = in->cvl[i];
	}
	for (size_t i = 0; i < in->n; i++) {
		double v = in->cvl[i].value;
		bool bulk;

		if (!in->cvl[i].valid)
			continue;
		bulk = in->charge_mode[i] ? !says_float(in->charge_mode[i])
		                          : !float_v.valid || v > float_v.value;
		if (!lowest.valid || v < lowest.value)
			lowest = in->cvl[i];
		if (bulk && (!charging_v.valid || v < charging_v.value))
			charging_v = in->cvl[i];
	}
	if (charging_v.valid)
		lowest = charging_v;
	if (lowest.valid && in->user_cap > 0 && in->user_cap < lowest.value)
		lowest.value = in->user_cap;
	return lowest;
}

static BataggNum dvcc(void *state, const BataggCvlInput *in)
{
	return (BataggNum){.value = in->user_cap, .valid = true};
}

#define MODE(n, s)                                                                                 \
	static const BataggCvlMode mode_##n = {                                                    \
	        .head = {.struct_size = sizeof(BataggCvlMode),                                     \
	                 .kind = BATAGG_KIND_CVL,                                                  \
	                 .name = #n,                                                               \
	                 .summary = s},                                                            \
	        .cvl = n,                                                                          \
	}

MODE(max_when_balancing, "the highest member CVL while balancing, else the lowest");
MODE(min_when_balancing, "always the lowest member CVL");
MODE(max_always, "always the highest member CVL");
MODE(max_when_floating, "the highest member CVL while the bank floats, else the lowest");
MODE(bulk_until_all_float,
     "the lowest CVL of the members in bulk or absorption until every member floats");
MODE(dvcc, "the user's DVCC charge voltage limit");

static const BataggStrategy *const strategies[] = {&mode_max_when_balancing.head,
                                                   &mode_min_when_balancing.head,
                                                   &mode_max_always.head,
                                                   &mode_max_when_floating.head,
                                                   &mode_bulk_until_all_float.head,
                                                   &mode_dvcc.head,
                                                   NULL};

BATAGG_PLUGIN_DEFINE("cvl", "2.0", "The built-in CVL modes", strategies);
