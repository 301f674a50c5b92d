/* SPDX-License-Identifier: MIT */
/*
 * An example merge policy, "median": the middle of the members' valid
 * values (the mean of the two middle ones for an even count).  One battery
 * whose state of charge is far off moves a mean; it moves a median less.
 *
 *	{"mergePolicies": {"/Soc": "median"}}
 *
 * It needs only <batagg/plugin.h>.
 */
#include <stdlib.h>

#include <batagg/plugin.h>

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void median(void *state, const BataggMergeInput *in, BataggValue *out, char *text,
                   size_t text_len)
{
	double *numbers = malloc((in->n ? in->n : 1) * sizeof(*numbers));
	size_t n = 0;

	if (!numbers)
		return;
	for (size_t i = 0; i < in->n; i++) {
		if (in->values[i].type == BATAGG_VALUE_NUMBER)
			numbers[n++] = in->values[i].number;
	}
	if (n) {
		qsort(numbers, n, sizeof(*numbers), by_value);
		out->type = BATAGG_VALUE_NUMBER;
		out->number = n % 2 ? numbers[n / 2] : (numbers[n / 2 - 1] + numbers[n / 2]) / 2;
	}
	free(numbers);
}

static const BataggMergePolicy policy = {
        .head =
                {
                        .struct_size = sizeof(BataggMergePolicy),
                        .kind = BATAGG_KIND_MERGE,
                        .name = "median",
                        .summary = "the middle one of the valid values",
                },
        .merge = median,
};

static const BataggStrategy *const strategies[] = {&policy.head, NULL};

BATAGG_PLUGIN_DEFINE("merge_median", "1.0", "Example: the median of the members' values",
                     strategies);
