/* SPDX-License-Identifier: MIT */
/*
 * Engine: the aggregate battery as pure computation (no D-Bus).  It holds the
 * inputs (members, primary and auxiliary services, DVCC state, user limits),
 * merges them per path with the configured merge policies, computes CCL, DCL
 * and CVL, and reports every published value that changed through a publish
 * callback.  This is where a member's value is stored and where a limit is
 * computed.
 *
 * Inputs change through engine_input_set() and friends; nothing is computed
 * until engine_flush(), so a batch of changes (one ItemsChanged) gives one
 * recomputation and one set of published changes.
 */
#ifndef BATAGG_AGGREGATE_H
#define BATAGG_AGGREGATE_H

#include <stdbool.h>

#include "batagg/plugin.h"
#include "engine/limits.h"
#include "base/paths.h"
#include "engine/state_file.h"

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

/* The path and type of published value i (0 <= i < N_PUBLISHED). */
const char *engine_published_path(int i);
Unit engine_published_unit(int i);

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

/* Called from engine_flush() for every published value i that changed
 * (engine_published_path(i)); tightens when the change is one that must reach the chargers and
 * inverters at once (engine_tightens()). */
typedef void (*EnginePublishFn)(void *user_data, int i, const Value *v, bool tightens);

/* Returns (transfer full) an engine; setup is copied (the strategies' states
 * stay owned by the caller and must outlive the engine). */
Engine *engine_new(const EngineSetup *setup, EnginePublishFn publish, void *user_data);
void engine_free(Engine *e);

/* Adds an input: a member joins (appended to the members), or a primary or
 * auxiliary service with its precedence rank (lower first) and the battery
 * paths it is used for (NULL or empty: all).  service and custom_name (its
 * /CustomName as first read, or NULL) are copied. */
EngineInput *engine_add_input(Engine *e, InputRole role, const char *service,
                              const char *custom_name, int rank, const char *const *paths);

/* Adds a hook as a primary input of the given rank (one that overrides
 * comes before every member); state stays the caller's. */
EngineInput *engine_add_hook(Engine *e, int rank, const BataggHook *hook, void *state);

/* Removes an input at once (its values no longer count). */
void engine_remove_input(Engine *e, EngineInput *in);

/* Every value of the input becomes invalid (before a fresh read replaces
 * them), and a member's estimator state is reset as for a reconnect. */
void engine_reset_input(Engine *e, EngineInput *in);

/* One path's new value; paths that are not battery paths are ignored.  The
 * value is stored sane (paths_sanitize): a non-finite number as invalid, a
 * negative current limit as 0, a voltage limit or capacity <= 0 as invalid. */
void engine_input_set(Engine *e, EngineInput *in, const char *path, const Value *v);

InputRole engine_input_role(const EngineInput *in);

/* Calls fn for every valid value of every input that is a service (members,
 * primary and auxiliary services; not hooks), with the path's name. */
typedef void (*EngineValueFn)(void *user_data, const char *service, const char *path,
                              const Value *v);
void engine_each_value(Engine *e, EngineValueFn fn, void *user_data);

/* Whether a member has reported a valid /Info/MaxChargeVoltage since it
 * joined: only such members (BMSes) share the bank current. */
bool engine_input_is_bms(const EngineInput *in);

/* DVCC state and the user's limits (com.victronenergy.system and settings). */
void engine_set_dvcc(Engine *e, bool on);
void engine_set_user_ccl(Engine *e, double amps);  /* -1: none */
void engine_set_user_cvl(Engine *e, double volts); /* 0: none */

/* The aggregate runs a config with problems (startup.h): a warning on
 * /Alarms/InternalFailure (whatever the members say, at least 1) and a
 * text on /ConfigProblem ("" when there is none). */
void engine_set_config_problem(Engine *e, bool on);

/* Orders the members by service name (used once at start, so that members
 * found together appear in a stable order). */
void engine_sort_members(Engine *e);

/* Recomputes what the changes since the last flush affect and publishes the
 * values that changed. */
void engine_flush(Engine *e);

/* Like engine_flush(), but only for what can make a change that tightens
 * (engine_tightens()): the limits when an input of theirs changed, the
 * alarms, the allow flags and the membership.  Everything else stays for
 * the next engine_flush(). */
void engine_flush_safety(Engine *e);

/* Whether published value i going from old to new must be published at
 * once rather than at the next tick: a CCL or DCL that falls by 1 % or
 * more (or to 0), a CVL that falls, a limit that appears, an alarm that
 * rises, an allow-to-charge or -discharge flag that goes to 0, and the
 * members changing. */
bool engine_tightens(int i, const Value *old, const Value *new);

/* Whether published value i going from old to new makes the system safer
 * at all: a CCL, DCL or CVL that falls (by any amount) or appears, an alarm
 * that rises, an allow flag that goes to 0.  While a service holds its
 * values after a reload, these go out at once and nothing else does: a
 * limit may fall but never rise until the members are read again. */
bool engine_safer(int i, const Value *old, const Value *new);

/* Whether this engine publishes value i at all (a virtual battery publishes
 * the battery paths and /System/Batteries only). */
bool engine_publishes(Engine *e, int i);

/* The current published value i (valid after a flush). */
const Value *engine_published(Engine *e, int i);

/* True when some member reports a non-zero /Dc/0/Voltage. */
bool engine_has_voltage(Engine *e);

/* What the aggregate's ratio methods learn (save_member()) is kept in sf
 * (borrowed; NULL: nothing is kept).  A member that joins this engine for
 * the first time gets what was saved for its service name and /Serial at
 * the next flush, before anything is computed with it; later joins of the
 * same service (it left, it reconnected) are the methods' own business. */
void engine_use_state(Engine *e, StateFile *sf);

/* Keeps what the ratio methods have learned about every member in the
 * state file (members that are not there keep their records).  Returns
 * whether the state file changed. */
bool engine_save_state(Engine *e);

/* Every ratio method forgets what it learned about every member (reset()),
 * and the state file forgets every record; the limits and the diagnosis
 * are computed again at the next flush. */
void engine_reset_estimates(Engine *e);

#endif
