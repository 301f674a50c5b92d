/* SPDX-License-Identifier: MIT */
/*
 * The "count" current-ratio method: every connected battery takes an equal
 * share of the bank current.  The last fallback of every other method.
 */
#include "batagg/plugin.h"

static void ratios(void *state, const BataggRatioInput *in, BataggNum *out)
{
	for (size_t i = 0; i < in->n; i++)
		out[i] = (BataggNum){.value = (double)in->n, .valid = true};
}

static const BataggRatioMethod count = {
        .struct_size = sizeof(BataggRatioMethod),
        .name = "count",
        .summary = "equal shares of the bank current",
        .ratios = ratios,
};

static const BataggRatioMethod *const methods[] = {&count, NULL};

BATAGG_PLUGIN_DEFINE("ccl_count", "1.0", "Current ratios by battery count", methods, NULL, NULL);
