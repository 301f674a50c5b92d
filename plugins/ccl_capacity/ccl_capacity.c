/* SPDX-License-Identifier: MIT */
/*
 * The "capacity" current-ratio method: a battery's share of the bank current
 * is its share of the installed capacity (internal resistance taken as
 * inversely proportional to capacity).  A battery without a capacity cannot
 * be served, and then neither can the others: the total is unknown.
 */
#include <stdio.h>
#include <stdlib.h>

#include "batagg/plugin.h"

typedef struct {
	const BataggHost *host;
	bool warned; /* about the current lack of capacities */
} Capacity;

static void *create(const BataggHost *host, const BataggOption *opts, size_t n_opts,
                    BataggError *err)
{
	Capacity *c;

	if (n_opts) {
		snprintf(err->message, sizeof(err->message), "takes no options");
		err->option = 0;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c)
		c->host = host;
	return c;
}

/* The total over the connected members when the batteries report Allow
 * flags, else the aggregate's /InstalledCapacity (all are connected). */
static BataggNum total(const BataggRatioInput *in)
{
	BataggNum sum = {.value = 0, .valid = true};

	if (!in->allow_reported)
		return in->bank_capacity;
	for (size_t i = 0; i < in->n; i++) {
		if (!in->capacity[i].valid)
			return (BataggNum){0};
		sum.value += in->capacity[i].value;
	}
	return sum;
}

static void ratios(void *state, const BataggRatioInput *in, BataggNum *out)
{
	Capacity *c = state;
	BataggNum t = total(in);

	for (size_t i = 0; i < in->n; i++) {
		double cap = in->capacity[i].value;

		out[i].valid = t.valid && t.value != 0 && in->capacity[i].valid && cap != 0;
		out[i].value = out[i].valid ? t.value / cap : 0;
	}
	/* Once per change of the situation, not on every recomputation. */
	if (!t.valid && !c->warned && c->host && c->host->log)
		c->host->log(c->host, BATAGG_LOG_WARNING,
		             "capacity ratio: a battery reports no /InstalledCapacity; set the "
		             "\"capacity\" option in the config");
	c->warned = !t.valid;
}

static const BataggRatioMethod capacity = {
        .head =
                {
                        .struct_size = sizeof(BataggRatioMethod),
                        .kind = BATAGG_KIND_RATIO,
                        .name = "capacity",
                        .summary = "shares in proportion to /InstalledCapacity",
                        .create = create,
                        .destroy = free,
                },
        .ratios = ratios,
        .fallback = "count",
};

static const BataggStrategy *const strategies[] = {&capacity.head, NULL};

BATAGG_PLUGIN_DEFINE("ccl_capacity", "2.0", "Current ratios by installed capacity", strategies);
