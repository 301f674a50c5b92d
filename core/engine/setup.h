/* SPDX-License-Identifier: MIT */
/*
 * What an engine is made of, as its callers and its files see it: the
 * paths it publishes besides the battery paths, its setup (the strategies a
 * config chose), the roles of its inputs.  Types only.
 */
#ifndef BATAGG_ENGINE_SETUP_H
#define BATAGG_ENGINE_SETUP_H

#include <stdbool.h>

#include "base/paths.h"
#include "batagg/plugin.h"
#include "engine/limits.h"

/* Paths the engine publishes besides the battery paths. */
typedef enum {
	X_BATTERIES = 0,
	X_NR_OF_BATTERIES,
	X_BATTERIES_PARALLEL,
	X_BATTERIES_SERIES,
	X_INTERNAL_RESISTANCES,
	X_EMFS,
	X_IR_CORRECTIONS,
	X_CHARGE_RATIOS,
	X_DISCHARGE_RATIOS,
	X_CONFIG_PROBLEM,    /* the aggregate's: "" or what to look at */
	X_CHARGE_LIMITATION, /* the aggregate's: limitation.h */
	X_DISCHARGE_LIMITATION,
	X_VOLTAGE_LIMITATION,
	X_NR_OF_BATTERIES_EXPECTED, /* expectedBatteries, when set */
	N_EXTRA_PATHS,
} ExtraPathId;

#define N_PUBLISHED (N_BATTERY_PATHS + N_EXTRA_PATHS)

/* One strategy instance: its kind's table and its state. */
typedef struct {
	const BataggStrategy *table;
	void *state;
} StrategyUse;

typedef struct {
	/* Merge policy per battery path (NULL for the three limits). */
	const BataggMergePolicy *policy[N_BATTERY_PATHS];
	void *policy_state[N_BATTERY_PATHS];
	/* Precedence merge for primary and auxiliary services (and for a
	 * virtual battery's members). */
	const BataggMergePolicy *first;
	void *first_state;
	/* The configured current-ratio method and its fallbacks, tried in order
	 * for each member. */
	RatioChain ratios;
	/* The estimator that runs always (may be NULL; may be in the chain). */
	const BataggRatioMethod *estimator;
	void *estimator_state;
	const BataggCvlMode *cvl;
	void *cvl_state;
	/* Every distinct instance the aggregate uses, once each: they hear of
	 * members joining and leaving, and of samples. */
	const StrategyUse *used;
	size_t n_used;
	/* The limiters (SDK 3), in config order; among used too. */
	const StrategyUse *limiters;
	size_t n_limiters;
	/* maxChargeCurrent, maxDischargeCurrent: caps on the published CCL and
	 * DCL (A; 0: none). */
	double max_current[2];
	CclMode ccl_mode;
	bool has_capacity;
	double capacity; /* Ah, when has_capacity */
	/* A virtual battery (SPEC 6): every path is the first valid value of
	 * its inputs (all primary, by rank, hooks among them); no members. */
	bool precedence_only;
	/* A series battery (seriesBatteries): its members are the modules of
	 * one string, this many, every path merged by policy (the limits
	 * too); 0 for anything else. */
	size_t series_modules;
	const char *series_name; /* its service name, for the log */
	/* The paths with their default series policy (a sum of voltages),
	 * scaled to the full string while modules are missing. */
	uint64_t series_scaled;
	/* expectedBatteries: the members (a virtual battery's inputs) there
	 * should be; 0: not said.  While fewer are there, /Alarms/BmsCable is
	 * raised and the limitation texts say so. */
	size_t expected;
} EngineSetup;

typedef enum {
	ROLE_MEMBER = 0,
	ROLE_PRIMARY,
	ROLE_AUXILIARY,
} InputRole;

typedef struct Engine Engine;
typedef struct EngineInput EngineInput;

#endif
