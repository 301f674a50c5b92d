/* SPDX-License-Identifier: MIT */
/*
 * The CVL modes of SPEC.md 5.7.  Batteries still charging decide: when some
 * members report a charge mode without "float", only their CVLs count.  The
 * mode then picks the maximum or the minimum, and the user's DVCC limit
 * caps the result.
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
MODE(dvcc, "the user's DVCC charge voltage limit");

static const BataggStrategy *const strategies[] = {&mode_max_when_balancing.head,
                                                   &mode_min_when_balancing.head,
                                                   &mode_max_always.head,
                                                   &mode_max_when_floating.head,
                                                   &mode_dvcc.head,
                                                   NULL};

BATAGG_PLUGIN_DEFINE("cvl", "2.0", "The built-in CVL modes", strategies);
