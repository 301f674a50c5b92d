/* SPDX-License-Identifier: MIT */
/*
 * Config: the user's config.json (SPEC.md section 3), parsed into a typed
 * structure and checked.  Every problem is reported with the file, line
 * and column of what it concerns and the key, as an error or a warning;
 * a key with an error keeps its default (config_read), or the whole file
 * is refused (config_parse, config_load).  Strategy names and options are
 * checked by the strategies themselves (strategies.c), with the positions
 * kept here.
 */
#ifndef BATAGG_CONFIG_H
#define BATAGG_CONFIG_H

#include <glib.h>
#include <stdbool.h>

#include "base/names.h"
#include "base/problems.h"
#include "engine/limits.h"

#define BATAGG_DEFAULT_CONFIG "/data/setupOptions/BatteryAggregator/config.json"

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

/* Their names in the config, by CclMode; NULL-terminated. */
extern const char *const config_ccl_modes[];

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

#define BATAGG_CONFIG_ERROR (batagg_config_error_quark())
GQuark batagg_config_error_quark(void);

typedef enum {
	BATAGG_CONFIG_ERROR_IO,
	BATAGG_CONFIG_ERROR_SYNTAX,
	BATAGG_CONFIG_ERROR_INVALID, /* one or more semantic problems */
} BataggConfigError;

/* The default publishInterval, seconds: systemcalc, the GUI and VRM read a
 * battery once a second, and drivers update once a second. */
#define CONFIG_PUBLISH_INTERVAL 1.0
#define CONFIG_PUBLISH_INTERVAL_MAX 60.0

/* Returns (transfer full) the defaults. */
Config *config_new_default(void);

/* The keys that decide which services are aggregated, and how virtual
 * batteries are made (their hooks' options): a default there can be unsafe,
 * so the daemon's start takes them together from the last good config
 * when one of them has a problem.  NULL-terminated. */
extern const char *const config_membership_keys[];

/* Reads len bytes of text, the file problems_origin(problems).  Returns
 * NULL when the text is not a JSON object (problems says why); else the
 * config, with every error and warning in problems.  A key with an error
 * is read as far as it can be; to run a key with a problem at its
 * default, read again skipping it. */
Config *config_read(const char *text, size_t len, Problems *problems);

/* config_read(), with the keys in skip (NULL-terminated, or NULL) taken
 * as absent: they keep their defaults. */
Config *config_read_skipping(const char *text, size_t len, Problems *problems,
                             const char *const *skip);

/* expectedBatteries of the published service name (aggregate: it is the
 * aggregate); 0 when not said. */
size_t config_expected(const Config *cfg, const char *name, gboolean aggregate);

/* Whether key is a top-level key of the config. */
gboolean config_key_known(const char *key);

/* Moves the membership keys' values (config_membership_keys) of src into
 * dst, and dst's into src. */
void config_take_membership(Config *dst, Config *src);

/* Reads a file likewise: a missing file gives the defaults; one that
 * cannot be read gives NULL. */
Config *config_read_file(const char *path, Problems *problems);

/* Strict: NULL with error set (every error, one per line, each starting
 * with "origin:") when there is any error. */
Config *config_parse(const char *text, size_t len, const char *origin, GError **error);
Config *config_load(const char *path, GError **error);

void config_free(Config *cfg);

/* The options given to the strategy name, or to the hook id; NULL for
 * none. */
const ConfigOptions *config_strategy_options(const Config *cfg, const char *name);
const ConfigOptions *config_hook_options(const Config *cfg, const char *id);

/* Returns (transfer full) a short human summary of what the daemon will do
 * (services excluded, primary, auxiliary, virtual; strategies chosen). */
char *config_summary(const Config *cfg);

#endif
