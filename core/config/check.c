/* SPDX-License-Identifier: MIT */
/*
 * One check of a config file: its problems, each about the key being
 * checked.
 */
#include "config/check.h"

static void add(Check *c, ProblemLevel level, JPos at, const char *fmt, va_list ap)
{
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);

	problems_add(c->problems, level, at.line, at.col, c->key, "%s", msg);
}

void check_error(Check *c, JPos at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add(c, PROBLEM_ERROR, at, fmt, ap);
	va_end(ap);
}

void check_warning(Check *c, JPos at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add(c, PROBLEM_WARNING, at, fmt, ap);
	va_end(ap);
}
