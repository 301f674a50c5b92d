/* SPDX-License-Identifier: MIT */
/*
 * The rules between the config's keys (SPEC 3).  Nothing outside the
 * config includes this header.
 */
#ifndef BATAGG_RELATIONS_H
#define BATAGG_RELATIONS_H

#include "config/check.h"

/* Checks the relations between the keys of c->cfg, once all are read. */
void relations_check(Check *c);

#endif
