/* SPDX-License-Identifier: MIT */
/*
 * The config's top-level keys, one table.  Nothing outside the config
 * includes this header.
 */
#ifndef BATAGG_KEYS_H
#define BATAGG_KEYS_H

#include "config/check.h"

/* The names of the CCL modes in the config, by CclMode; NULL-terminated. */
extern const char *const keys_ccl_modes[];

/* Whether key is a top-level key of the config. */
gboolean keys_known(const char *key);

/* Checks one top-level key (at key_at; its value n) and fills the config
 * from it; an unknown key is an error that suggests the nearest. */
void keys_check(Check *c, const char *key, JPos key_at, const JNode *n);

#endif
