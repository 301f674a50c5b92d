/* SPDX-License-Identifier: MIT */
/*
 * The Config's types: what a config file says, typed, with where each
 * thing was written.  config.h reads a file into them; the files that
 * check its keys (check.h, values.h, options.h, virtuals.h, keys.h,
 * relations.h) fill them.
 */
#ifndef BATAGG_CONFIG_TYPES_H
#define BATAGG_CONFIG_TYPES_H

#include <glib.h>
#include <stdbool.h>

#include "engine/limits.h"

/* Where something stands in the file (1-based; 0: nowhere, a default). */
typedef struct {
	int line, col;
} ConfigPos;

/* A service name (or "name:Custom Name", or a hook id "class:...") with the
 * paths it is used for. */
typedef struct {
	char *name;   /* as written */
	char **paths; /* NULL-terminated; NULL or empty: all battery paths */
	ConfigPos at;
} ConfigService;

/* expectedBatteries: how many members a published service should have. */
typedef struct {
	char *name; /* the service; NULL: the aggregate */
	size_t count;
	ConfigPos at;
} ConfigExpected;

/* A virtual battery (virtualBatteries), or a series battery
 * (seriesBatteries): a string of modules in series. */
typedef struct {
	char *name; /* the service name it publishes */
	ConfigPos at;
	ConfigService *members; /* in config (precedence) order; a string's
	                         * modules from the negative end */
	size_t n_members;
	bool series;
} ConfigVirtual;

/* One option of a strategy or hook, in the order written; a nested object
 * is flattened with "/" ("ccls/52.0" -> 100). */
typedef struct {
	char *key;
	int type; /* BATAGG_OPTION_* (batagg/plugin.h) */
	double number;
	char *text;  /* a string, or a number as written, or "true"/"false" */
	char *where; /* its key path in the file: "strategyOptions.ir.maxPercentageError" */
	ConfigPos at;
} ConfigOption;

/* The options of one strategy, or of one hook id. */
typedef struct {
	char *name;  /* a strategy's name, or a hook's id with its #suffix */
	char *where; /* its key path: "strategyOptions.<name>", "classes.<hook id>", ... */
	ConfigPos at;
	ConfigOption *options;
	size_t n_options;
} ConfigOptions;

typedef struct {
	char *path;   /* "/Soc" */
	char *policy; /* merge policy name */
	ConfigPos at; /* of the policy's name */
} ConfigMergePolicy;

typedef struct {
	char *origin; /* the file, for messages */
	char *service_name;
	char **excluded; /* NULL-terminated, possibly empty */
	ConfigService *primary;
	size_t n_primary;
	ConfigService *auxiliary;
	size_t n_auxiliary;
	bool has_capacity;
	double capacity; /* Ah, when has_capacity */
	ConfigVirtual *virtuals;
	size_t n_virtuals;
	ConfigOptions *classes; /* hook options, by id */
	size_t n_classes;
	/* Options of strategies: "strategyOptions", and the keys of earlier
	 * configs that hold a strategy's options (defaults.options_key). */
	ConfigOptions *strategy_options;
	size_t n_strategy_options;
	char *current_ratio_method;
	ConfigPos current_ratio_method_at;
	CclMode ccl_mode;
	char *cvl_mode;
	ConfigPos cvl_mode_at;
	/* "limiters" (SDK 3): strategy names, in config order, with where
	 * each is written. */
	char **limiters;
	ConfigPos *limiters_at;
	size_t n_limiters;
	/* "maxChargeCurrent", "maxDischargeCurrent": caps on the bank's
	 * published CCL and DCL (A; 0: none). */
	double max_current[2];
	int reconnect_timeout;    /* seconds, default 0 */
	int startup_battery_wait; /* checks, default 30 */
	/* How often the aggregate and virtual batteries send their changes
	 * (seconds, default 1; 0: every change at once); what tightens a
	 * limit goes out at once whatever it is (outputs_tightens()). */
	double publish_interval;
	bool properties_changed; /* also a PropertiesChanged per path */
	char *log_level;         /* default "INFO" */
	char *plugin_directory;  /* NULL when not set */
	/* Where what the strategies learned is kept (stateFile): an absolute
	 * path, or NULL for the default place, beside the config (or in
	 * --state-dir); state_file_off (stateFile false): nowhere. */
	char *state_file;
	bool state_file_off;
	ConfigMergePolicy *merge_policies;
	size_t n_merge_policies;
	ConfigMergePolicy *series_merge_policies; /* every series battery's */
	size_t n_series_merge_policies;
	ConfigExpected *expected;
	size_t n_expected;
} Config;

/* The default publishInterval, seconds: systemcalc, the GUI and VRM read a
 * battery once a second, and drivers update once a second. */
#define CONFIG_PUBLISH_INTERVAL 1.0
#define CONFIG_PUBLISH_INTERVAL_MAX 60.0

#endif
