/* SPDX-License-Identifier: MIT */
/*
 * Suggestions for "did you mean": wrong case and typos are the most common
 * mistakes in a config.  A candidate that differs only in case is preferred;
 * else the nearest within a few edits (case-blind).
 */
#ifndef BATAGG_SUGGEST_H
#define BATAGG_SUGGEST_H

#include <glib.h>

/* The candidate (of n, or NULL-terminated when n is -1) nearest word, or
 * NULL when none is near. */
const char *suggest(const char *word, const char *const *candidates, gssize n);

#endif
