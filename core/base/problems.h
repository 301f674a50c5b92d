/* SPDX-License-Identifier: MIT */
/*
 * Problems: what is wrong with a file the user wrote, each with where it
 * is (file:line:col), the key it concerns and whether it is an error or a
 * warning.  --check-config prints them all; the daemon logs them.
 */
#ifndef BATAGG_PROBLEMS_H
#define BATAGG_PROBLEMS_H

#include <glib.h>

typedef enum {
	PROBLEM_WARNING = 0, /* the file works, maybe not as meant */
	PROBLEM_ERROR,       /* the file (or that key) cannot be used */
} ProblemLevel;

typedef struct {
	ProblemLevel level;
	int line, col; /* 0 when it has no position */
	char *key;     /* the top-level key concerned ("cvlMode"), or NULL */
	char *text;    /* "FILE:LINE:COL: message", one line */
} Problem;

typedef struct Problems Problems;

/* Returns (transfer full) an empty list for the file origin. */
Problems *problems_new(const char *origin);
void problems_free(Problems *p);

const char *problems_origin(const Problems *p);

/* Adds a problem at line:col (0:0: none) about key (may be NULL). */
void problems_add(Problems *p, ProblemLevel level, int line, int col, const char *key,
                  const char *fmt, ...) G_GNUC_PRINTF(6, 7);

/* In the order of the file (a stable sort: problems at one place keep
 * their order; those without a position go last). */
void problems_sort(Problems *p);

guint problems_count(const Problems *p, ProblemLevel level);

/* The problems, in the order found. */
const Problem *problems_get(const Problems *p, guint i);
guint problems_len(const Problems *p);

/* Whether key has an error. */
gboolean problems_has_error(const Problems *p, const char *key);

/* Returns (transfer full) every problem of at least level, one per line,
 * warnings marked "warning: ". */
char *problems_text(const Problems *p, ProblemLevel level);

#endif
