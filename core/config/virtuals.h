/* SPDX-License-Identifier: MIT */
/*
 * Virtual batteries and series batteries (strings of modules), as the
 * config lists them: cfg->virtuals, in the order written, whichever key
 * each came from.  Nothing outside the config includes this header.
 */
#ifndef BATAGG_VIRTUALS_H
#define BATAGG_VIRTUALS_H

#include "config/check.h"

/* "virtualBatteries" or "seriesBatteries" (key says which): battery name
 * -> its members, appended to cfg->virtuals, each entry's node to
 * c->virtual_at. */
void virtuals_read(Check *c, const char *key, const JNode *n);

/* What v is, for messages ("virtual battery", "series battery"), and the
 * key it came from. */
const char *virtuals_kind(const ConfigVirtual *v);
const char *virtuals_key(const ConfigVirtual *v);

#endif
