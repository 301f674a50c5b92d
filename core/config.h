/* SPDX-License-Identifier: MIT */
/*
 * Config: the user's config.json (SPEC.md section 3), parsed with yajl into a
 * typed structure and validated.  Every problem found is reported, each with
 * the key it concerns and, for JSON syntax errors, line and column.
 */
#ifndef BATAGG_CONFIG_H
#define BATAGG_CONFIG_H

#include <glib.h>
#include <stdbool.h>

#define BATAGG_DEFAULT_CONFIG "/data/setupOptions/BatteryAggregator/config.json"
#define BATAGG_DEFAULT_SERVICE "com.victronenergy.battery.aggregator"

/* Objects and arrays nest at most this deep (the root object is level 1; a
 * config needs 4); deeper is an error naming the line and column. */
#define CONFIG_MAX_DEPTH 32

/* A service name (or "name:Custom Name", or a hook id "class:...") with the
 * paths it is used for. */
typedef struct {
	char *name;   /* as written */
	char **paths; /* NULL-terminated; NULL or empty: all battery paths */
} ConfigService;

typedef struct {
	char *name;             /* the virtual battery's service name */
	ConfigService *members; /* in config (precedence) order */
	size_t n_members;
} ConfigVirtual;

/* One option of a hook or strategy, in the order written; values as JSON
 * text for numbers, unquoted for strings, "1" or "0" for booleans; nested
 * objects are flattened with "/" ("ccls/52.0" -> "100"). */
typedef struct {
	char *key;
	char *value;
} ConfigOption;

typedef struct {
	char *id; /* the key in "classes", e.g. "hooks.FixedValueHook#soc" */
	ConfigOption *options;
	size_t n_options;
} ConfigClass;

typedef struct {
	char *path;   /* "/Soc" */
	char *policy; /* merge policy name */
} ConfigMergePolicy;

typedef enum {
	CCL_BATTERY_DVCC = 0, /* "battery+dvcc" */
	CCL_BATTERY,          /* "battery" */
	CCL_DVCC,             /* "dvcc" */
} CclMode;

typedef struct {
	char *service_name; /* default BATAGG_DEFAULT_SERVICE */
	char **excluded;    /* NULL-terminated, possibly empty */
	ConfigService *primary;
	size_t n_primary;
	ConfigService *auxiliary;
	size_t n_auxiliary;
	bool has_capacity;
	double capacity; /* Ah, when has_capacity */
	ConfigVirtual *virtuals;
	size_t n_virtuals;
	ConfigClass *classes;
	size_t n_classes;
	char *current_ratio_method; /* default "ir"; a plugin's name is checked later */
	CclMode ccl_mode;
	char *cvl_mode;                 /* default "max_when_balancing" */
	double ir_max_percentage_error; /* default 0.1 */
	double ir_min_voltage_change;   /* default 0.02 */
	int reconnect_timeout;          /* seconds, default 0 */
	int startup_battery_wait;       /* checks, default 30 */
	char *log_level;                /* default "INFO" */
	char *plugin_directory;         /* NULL when not set */
	ConfigMergePolicy *merge_policies;
	size_t n_merge_policies;
} Config;

#define BATAGG_CONFIG_ERROR (batagg_config_error_quark())
GQuark batagg_config_error_quark(void);

typedef enum {
	BATAGG_CONFIG_ERROR_IO,
	BATAGG_CONFIG_ERROR_SYNTAX,
	BATAGG_CONFIG_ERROR_INVALID, /* one or more semantic problems */
} BataggConfigError;

/* Returns (transfer full) the defaults. */
Config *config_new_default(void);

/* Parses text (len bytes).  `origin` names the file in messages.  Returns
 * (transfer full) the config, or NULL with error set; the message lists every
 * problem found, one per line, each starting with "origin: ". */
Config *config_parse(const char *text, size_t len, const char *origin, GError **error);

/* Reads and parses a file; a missing file gives the defaults. */
Config *config_load(const char *path, GError **error);

void config_free(Config *cfg);

/* Returns (transfer full) a short human summary of what the daemon will do
 * (services excluded, primary, auxiliary, virtual; strategies chosen). */
char *config_summary(const Config *cfg);

#endif
