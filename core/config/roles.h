/* SPDX-License-Identifier: MIT */
/*
 * Roles: what a battery service is to each published service, by the
 * config's rules (SPEC 3, 4 and 6).  Pure: a service's name and custom name
 * in, its roles out.  A service can be a member (or a primary or auxiliary
 * input) of the aggregate, and an input of any number of virtual batteries
 * or a module of a series battery.
 */
#ifndef BATAGG_ROLES_H
#define BATAGG_ROLES_H

#include <stddef.h>

#include "engine/engine.h"
#include "config/config.h"

/* The published service a role is in: the aggregate. */
#define ROLES_AGGREGATE (-1)

/* One role of a service: which published service it is an input of, and
 * as what. */
typedef struct {
	int target;     /* ROLES_AGGREGATE, or a virtual battery's index in cfg */
	InputRole role; /* in a virtual battery, every member is ROLE_PRIMARY */
	int rank;       /* precedence among primary (auxiliary) inputs: config order */
	/* The battery paths it is used for (borrowed from cfg; NULL or empty:
	 * all). */
	const char *const *paths;
} Role;

/* The roles of service (custom_name: its /CustomName, or NULL) in out,
 * which has room for 1 + cfg->n_virtuals entries; returns how many.  The
 * rules, in order: a member of a virtual battery is never in the aggregate;
 * a primary (auxiliary) service is a primary (auxiliary) input, also when
 * it is excluded too (the user evidently meant it); an excluded service is
 * not aggregated; any other is a member.  Names match exactly, or as
 * "name:<custom name>". */
size_t roles_of(const Config *cfg, const char *service, const char *custom_name, Role *out);

/* Whether a config entry names the service ("name:X" matches custom name X). */
gboolean roles_names(const char *entry, const char *service, const char *custom_name);

#endif
