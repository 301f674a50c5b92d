/* SPDX-License-Identifier: MIT */
/*
 * The "count" current-ratio method: every connected battery takes an equal
 * share of the bank current.  The end of the built-in methods' fallbacks
 * (ir, then capacity, then count).
 */
#include "batagg/plugin.h"

static void ratios(void *state, const BataggRatioInput *in, BataggNum *out)
{
	for (size_t i = 0; i < in->n; i++)
		out[i] = (BataggNum){.value = (double)in->n, .valid = true};
}

static const BataggRatioMethod count = {
        .head =
                {
                        .struct_size = sizeof(BataggRatioMethod),
                        .kind = BATAGG_KIND_RATIO,
                        .name = "count",
                        .summary = "equal shares of the bank current",
                },
        .ratios = ratios,
};

static const BataggStrategy *const strategies[] = {&count.head, NULL};

BATAGG_PLUGIN_DEFINE("ccl_count", "2.0", "Current ratios by battery count", strategies);
