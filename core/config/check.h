/* SPDX-License-Identifier: MIT */
/*
 * One check of a config file: the Config it fills, the key being checked,
 * where things were written, and its problems, each at the line and column
 * of what it concerns.  The lowest of the config's files: every other one
 * that checks reports through it.  Nothing outside the config includes
 * this header.
 */
#ifndef BATAGG_CHECK_H
#define BATAGG_CHECK_H

#include "base/json_tree.h"
#include "base/problems.h"
#include "config/config_types.h"

typedef struct {
	Problems *problems;
	Config *cfg;
	const char *key;       /* the top-level key being checked */
	GPtrArray *virtual_at; /* const JNode *: where each of cfg->virtuals was written */
	GArray *excluded_at;   /* JPos: where each of cfg->excluded was written */
} Check;

/* A position in the file as the Config keeps it. */
static inline ConfigPos check_pos(JPos at)
{
	return (ConfigPos){at.line, at.col};
}

/* An error (warning) at at, about the key being checked. */
void check_error(Check *c, JPos at, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
void check_warning(Check *c, JPos at, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

#endif
