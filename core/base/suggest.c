/* SPDX-License-Identifier: MIT */
/*
 * Did you mean: case first, then the case-blind edit distance.
 */
#include "base/suggest.h"

#include <string.h>

static gboolean same(char x, char y)
{
	return g_ascii_tolower(x) == g_ascii_tolower(y);
}

/* Case-blind edits between a and b: a letter added, dropped or changed, or
 * two neighbours swapped ("medain" is one from "median"), each counting 1
 * (optimal string alignment). */
static guint edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	g_autofree guint *rows = g_new(guint, 3 * (lb + 1));
	guint *before = rows, *prev = rows + lb + 1, *cur = rows + 2 * (lb + 1);

	for (size_t j = 0; j <= lb; j++)
		prev[j] = (guint)j;
	for (size_t i = 1; i <= la; i++) {
		guint *t;

		cur[0] = (guint)i;
		for (size_t j = 1; j <= lb; j++) {
			guint d = MIN(MIN(prev[j] + 1, cur[j - 1] + 1),
			              prev[j - 1] + !same(a[i - 1], b[j - 1]));

			if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) && same(a[i - 2], b[j - 1]))
				d = MIN(d, before[j - 2] + 1);
			cur[j] = d;
		}
		t = before;
		before = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

const char *suggest(const char *word, const char *const *candidates, gssize n)
{
	/* A third of the word may be wrong, at least one letter, never all. */
	size_t len = strlen(word);
	guint limit = MAX(1, (guint)len / 3);

	const char *best = NULL;
	guint best_distance = limit + 1;

	for (gssize i = 0; n < 0 ? candidates[i] != NULL : i < n; i++) {
		guint d;

		if (g_ascii_strcasecmp(word, candidates[i]) == 0)
			return candidates[i];
		d = edit_distance(word, candidates[i]);
		if (d < best_distance && d < len && d < strlen(candidates[i])) {

			best = candidates[i];
			best_distance = d;
		}
	}
	return best;
}
