/* SPDX-License-Identifier: MIT */
/*
 * Did you mean: case first, then the case-blind edit distance.
 */
#include "suggest.h"

#include <string.h>

static guint edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	g_autofree guint *row = g_new(guint, lb + 1);

	for (size_t j = 0; j <= lb; j++)
		row[j] = (guint)j;
	for (size_t i = 1; i <= la; i++) {
		guint diag = row[0];

		row[0] = (guint)i;
		for (size_t j = 1; j <= lb; j++) {
			guint up = row[j];
			guint cost = g_ascii_tolower(a[i - 1]) != g_ascii_tolower(b[j - 1]);

			row[j] = MIN(MIN(row[j] + 1, row[j - 1] + 1), diag + cost);
			diag = up;
		}
	}
	return row[lb];
}

const char *suggest(const char *word, const char *const *candidates, gssize n)
{
	/* A third of the word may be wrong, at least two letters. */
	guint limit = MAX(2, (guint)strlen(word) / 3);
	const char *best = NULL;
	guint best_distance = limit + 1;

	for (gssize i = 0; n < 0 ? candidates[i] != NULL : i < n; i++) {
		guint d;

		if (g_ascii_strcasecmp(word, candidates[i]) == 0)
			return candidates[i];
		d = edit_distance(word, candidates[i]);
		if (d < best_distance) {
			best = candidates[i];
			best_distance = d;
		}
	}
	return best;
}
