/* SPDX-License-Identifier: MIT */
/*
 * The list of problems of one file, in the order found.  A problem's text
 * is formatted once, when it is added, as compilers write theirs.
 */
#include "base/problems.h"

struct Problems {
	char *origin;
	GArray *list;      /* Problem */
	GHashTable *texts; /* the texts in list */
};

static void problem_clear(gpointer data)
{
	Problem *p = data;

	g_free(p->key);
	g_free(p->text);
}

Problems *problems_new(const char *origin)
{
	Problems *p = g_new0(Problems, 1);

	p->origin = g_strdup(origin);
	p->list = g_array_new(FALSE, TRUE, sizeof(Problem));
	g_array_set_clear_func(p->list, problem_clear);
	p->texts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	return p;
}

void problems_free(Problems *p)
{
	if (!p)
		return;
	g_array_free(p->list, TRUE);
	g_hash_table_destroy(p->texts);
	g_free(p->origin);
	g_free(p);
}

const char *problems_origin(const Problems *p)
{
	return p->origin;
}

void problems_add(Problems *p, ProblemLevel level, int line, int col, const char *key,
                  const char *fmt, ...)
{
	Problem pr = {.level = level, .line = line, .col = col, .key = g_strdup(key)};
	g_autofree char *msg = NULL;
	g_autofree char *where = line > 0 ? g_strdup_printf("%d:%d: ", line, col) : g_strdup("");
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	pr.text = g_strdup_printf("%s:%s%s%s", p->origin, where[0] ? where : " ",
	                          level == PROBLEM_WARNING ? "warning: " : "", msg);
	/* One problem found from several places (a strategy used twice) is
	 * one problem; a warning and an error never share a text ("warning: "). */
	if (!g_hash_table_add(p->texts, g_strdup(pr.text))) {
		problem_clear(&pr);
		return;
	}
	g_array_append_val(p->list, pr);
}

/* By position; problems without one after those with one. */
static gint by_position(gconstpointer a, gconstpointer b)
{
	const Problem *x = a, *y = b;
	int lx = x->line > 0 ? x->line : G_MAXINT, ly = y->line > 0 ? y->line : G_MAXINT;

	if (lx != ly)
		return lx < ly ? -1 : 1;
	return (x->col > y->col) - (x->col < y->col);
}

void problems_sort(Problems *p)
{
	g_array_sort(p->list, by_position);
}

guint problems_count(const Problems *p, ProblemLevel level)
{
	guint n = 0;

	for (guint i = 0; i < p->list->len; i++)
		n += g_array_index(p->list, Problem, i).level == level;
	return n;
}

const Problem *problems_get(const Problems *p, guint i)
{
	return &g_array_index(p->list, Problem, i);
}

guint problems_len(const Problems *p)
{
	return p->list->len;
}

gboolean problems_has_error(const Problems *p, const char *key)
{
	for (guint i = 0; i < p->list->len; i++) {
		const Problem *pr = &g_array_index(p->list, Problem, i);

		if (pr->level == PROBLEM_ERROR && pr->key && g_strcmp0(pr->key, key) == 0)
			return TRUE;
	}
	return FALSE;
}

char *problems_text(const Problems *p, ProblemLevel level)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < p->list->len; i++) {
		const Problem *pr = &g_array_index(p->list, Problem, i);

		if (pr->level < level)
			continue;
		if (s->len)
			g_string_append_c(s, '\n');
		g_string_append(s, pr->text);
	}
	return g_string_free(s, FALSE);
}
