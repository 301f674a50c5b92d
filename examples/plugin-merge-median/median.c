/* SPDX-License-Identifier: MIT */
/*
 * An example merge policy, "median": the middle of the members' valid
 * values (the mean of the two middle ones for an even count).  One battery
 * whose state of charge is far off moves a mean; it moves a median less.
 *
 * In the aggregate it also leaves out a battery whose BMS has cut it off
 * (it refuses both charge and discharge: /Io/AllowToCharge and
 * /Io/AllowToDischarge both 0), as long as another battery is left: it
 * reads them of each member with BataggHost.value(), and names them in
 * reads so that batagg merges again as soon as one of them changes.
 *
 *	{"mergePolicies": {"/Soc": "median"}}
 *
 * It needs only <batagg/plugin.h>.
 */
#include <stdio.h>
#include <stdlib.h>

#include <batagg/plugin.h>

#define ALLOW_CHARGE "/Io/AllowToCharge"
#define ALLOW_DISCHARGE "/Io/AllowToDischarge"

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The host, kept for value(): the policy's state is its host.  It takes no
 * options. */
static void *create(const BataggHost *host, const BataggOption *opts, size_t n_opts,
                    BataggError *err)
{
	if (n_opts > 0) {
		snprintf(err->message, sizeof(err->message), "median takes no options");
		err->option = 0;
		return NULL;
	}
	return (void *)host;
}

/* Whether member m's flag at path is reported and 0. */
static bool refuses(const BataggHost *host, const BataggMember *m, const char *path)
{
	BataggValue v;

	return host->value(host, m, path, &v) && v.type == BATAGG_VALUE_NUMBER && v.number == 0;
}

static bool cut_off(const BataggHost *host, const BataggMember *m)
{
	return refuses(host, m, ALLOW_CHARGE) && refuses(host, m, ALLOW_DISCHARGE);
}

static void median(void *state, const BataggMergeInput *in, BataggValue *out, char *text,
                   size_t text_len)
{
	const BataggHost *host = state;
	double *numbers = malloc((in->n ? in->n : 1) * sizeof(*numbers));
	size_t n = 0;

	if (!numbers)
		return;
	/* Twice at most: without the batteries cut off, then (none left) with
	 * them.  A virtual battery's inputs are services, not members
	 * (members is NULL): all of them count. */
	for (int pass = in->members ? 0 : 1; pass < 2 && n == 0; pass++) {
		for (size_t i = 0; i < in->n; i++) {
			if (in->values[i].type != BATAGG_VALUE_NUMBER)
				continue;
			if (pass == 0 && cut_off(host, &in->members[i]))
				continue;
			numbers[n++] = in->values[i].number;
		}
	}
	if (n) {
		qsort(numbers, n, sizeof(*numbers), by_value);
		out->type = BATAGG_VALUE_NUMBER;
		out->number = n % 2 ? numbers[n / 2] : (numbers[n / 2 - 1] + numbers[n / 2]) / 2;
	}
	free(numbers);
}

static const char *const reads[] = {ALLOW_CHARGE, ALLOW_DISCHARGE, NULL};

static const BataggMergePolicy policy = {
        .head =
                {
                        .struct_size = sizeof(BataggMergePolicy),
                        .kind = BATAGG_KIND_MERGE,
                        .name = "median",
                        .summary = "the middle one of the valid values (batteries cut off "
                                   "left out)",
                        .create = create,
                        .reads = reads,
                },
        .merge = median,
};

static const BataggStrategy *const strategies[] = {&policy.head, NULL};

BATAGG_PLUGIN_DEFINE("merge_median", "3.0", "Example: the median of the members' values",
                     strategies);
