/* SPDX-License-Identifier: MIT */
/*
 * The strategies batagg uses unless the config says otherwise (SPEC 3,
 * 5.1-5.7): the one place in the core that names strategies.  Everything
 * else finds a strategy by the name the config (or this table) gives, and
 * calls it by what it can do.
 */
#ifndef BATAGG_DEFAULTS_H
#define BATAGG_DEFAULTS_H

#include "base/paths.h"

typedef struct {
	const char *ratio_method; /* "currentRatioMethod" */
	const char *cvl_mode;     /* "cvlMode" */
	/* The ratio method that runs always, whatever the configured one, to
	 * estimate every member's resistance (SPEC 5.4): it gets every sample,
	 * and its diagnosis is published unless the configured method has one. */
	const char *estimator;
	/* The merge policy of precedence: primary and auxiliary services, and
	 * the members of virtual batteries (SPEC 5.1, 6). */
	const char *precedence;
	/* Each battery path's merge policy ("mergePolicies" overrides); NULL
	 * for the limits, which have rules of their own. */
	const char *policy[N_BATTERY_PATHS];
	/* A series battery's (seriesBatteries): every path, the limits too. */
	const char *series_policy[N_BATTERY_PATHS];
	/* A config key of earlier configs that holds a strategy's options. */
	struct {
		const char *key;
		const char *strategy;
	} options_key;
} Defaults;

extern const Defaults defaults;

#endif
