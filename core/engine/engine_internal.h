/* SPDX-License-Identifier: MIT */
/*
 * The engine's insides, shared by the files that make it up (engine.c: the
 * inputs and their values; merged.c: a path's value from the inputs;
 * aggregate.c, precedence.c and series.c: the three ways of combining
 * them; bank.c:
 * the bank description paths).  Nothing else includes this header.
 */
#ifndef BATAGG_ENGINE_INTERNAL_H
#define BATAGG_ENGINE_INTERNAL_H

#include <glib.h>

#include "engine/engine.h"

#define BIT(p) (UINT64_C(1) << (p))
#define ALL_BATTERY_PATHS (BIT(N_BATTERY_PATHS) - 1)

G_STATIC_ASSERT(N_MEMBER_PATHS <= 64);

/* The three limits. */
typedef enum {
	L_CCL = 0,
	L_DCL,
	L_CVL,
	N_LIMITS,
} LimitId;

/* What each limit is computed from (PathId bits): members' values, and the
 * engine's own published battery paths.  A change of any of them computes
 * the limit, and its limitation text, again at once (engine_flush_safety()).
 * Besides these, the ratio methods hear every voltage and current
 * (sample(), current()) and say themselves when the limits must be
 * computed again (BATAGG_RECOMPUTE_*).  The limits read their inputs only
 * through engine_limit_num() and friends, which note what they read
 * (Engine.reads), so that a test can hold the computation to this table. */
typedef struct {
	uint64_t member;
	uint64_t bank;
} LimitInputs;

extern const LimitInputs limit_inputs[N_LIMITS];

/* The published path of limit l. */
extern const int limit_path[N_LIMITS];

struct EngineInput {
	InputRole role;
	char *service;
	/* As strategies see it (BataggMember): its custom name as first read
	 * ("" for none) and the label made of it, kept from joining. */
	char *first_name;
	char *label;
	int rank;
	BataggMemberId id;

	uint64_t paths;         /* primary/auxiliary: the battery paths it is used for */
	const BataggHook *hook; /* a hook supplies its own values */
	void *hook_state;
	int hook_key; /* PathId of the hook's key_path, or -1 */
	/* A BMS: it has reported a valid CVL since it joined.  Only BMSes share
	 * the bank current (a shunt or battery monitor does not). */
	bool bms;
	/* A member that joined this engine for the first time: the state saved
	 * for it is due, before anything is computed with it (learned.c). */
	bool restore_due;
	Value values[N_MEMBER_PATHS];
};

/* How an engine combines its inputs: the aggregate (members merged by
 * policy, limits, bank description) or a virtual battery (precedence and
 * hooks). */
typedef struct {
	/* Recomputes what the changes since the last flush affect: all of it,
	 * or (all false) at least what engine_flush_safety() promises. */
	void (*flush)(Engine *e, bool all);
	/* Whether published value i exists for this kind of engine. */
	bool (*publishes)(int i);
	/* Whether a primary input joining or leaving changes the bank
	 * description (a virtual battery lists its inputs). */
	bool lists_sources;
} Combiner;

extern const Combiner aggregate_combiner;
extern const Combiner precedence_combiner;
extern const Combiner series_combiner;

struct Engine {
	EngineSetup s;
	const Combiner *combiner;
	EnginePublishFn publish;
	void *user_data;

	GPtrArray *members; /* EngineInput *, in joining order */
	GPtrArray *primary; /* EngineInput *, by rank */
	GPtrArray *auxiliary;
	BataggMemberId next_id;

	/* What the ratio methods learned, kept across restarts (borrowed, or
	 * NULL); the services that joined this engine so far (each gets its
	 * saved state once); the strategies whose save failed, said once. */
	StateFile *state;
	GHashTable *joined;
	GHashTable *told;

	bool dvcc;
	double user_ccl;
	double user_cvl;
	bool config_problem;

	/* What the next flush must recompute. */
	uint64_t dirty;
	bool membership_changed;
	bool need[N_LIMITS];
	bool need_estimates;
	/* What each limit's computations read since the engine started
	 * (limit_inputs), for the tests. */
	LimitInputs reads[N_LIMITS];
	int method_bits; /* BATAGG_* bits the methods asked for */

	/* Merge inputs that depend on another path (cell ids on their extreme,
	 * a weighted mean on its weight): dependents[k] are the paths to redo
	 * when path k changes. */
	int key[N_BATTERY_PATHS];
	int second_key[N_BATTERY_PATHS]; /* the policy's second_key_path, or -1 */
	uint64_t dependents[N_MEMBER_PATHS];

	BataggNum *ratios[2]; /* last CCL/DCL ratio of each member, for diagnosis */
	guint n_ratios[2];
	bool ratios_changed[2]; /* since they were last published */
	/* A series battery's: modules missing, and whether their currents
	 * disagree (said once until they agree again). */
	size_t missing;
	bool whole_once; /* it has had all its modules (start-up is over) */
	bool currents_disagree;
	Value pub[N_PUBLISHED];

	/* Scratch space for merge inputs, sized to the member count. */
	size_t scratch_len;
	BataggValue *vals;
	BataggValue *keys;
	BataggValue *second_keys;
	const char **labels;
	char text[256];
};

/* A number, or invalid. */
BataggNum engine_num(const Value *v);

/* A member as strategies see it (borrowed from in). */
BataggMember engine_member(const EngineInput *in);

/* Publishes value i when it changed (v is consumed). */
void engine_set_published(Engine *e, int i, Value *v);

/* Limit l must be computed again at the next flush (of either kind). */
void engine_limit_due(Engine *e, LimitId l);

/* What a limit's computation reads, noted in Engine.reads: member m's
 * value of path p (a number, or the value itself), its label, whether it
 * is a BMS, and the engine's own published value of battery path p. */
BataggNum engine_limit_num(Engine *e, LimitId l, const EngineInput *m, int p);
const Value *engine_limit_value(Engine *e, LimitId l, const EngineInput *m, int p);
const char *engine_limit_label(Engine *e, LimitId l, const EngineInput *m);
bool engine_limit_bms(Engine *e, LimitId l, const EngineInput *m);
const Value *engine_limit_bank(Engine *e, LimitId l, int p);

/* Whether the engine publishes allow flag p (P_ALLOW_TO_CHARGE or
 * P_ALLOW_TO_DISCHARGE) as 0: it refuses. */
bool engine_refuses(const Engine *e, int p);

/* ---- merged.c ---- */

/* The members there are (a virtual battery's inputs, hooks left out), and
 * whether fewer than expectedBatteries. */
size_t engine_present(const Engine *e);
bool engine_short(const Engine *e);

/* A member's display name: its /CustomName, else its service name without
 * the battery prefix. */
const char *merged_label(const EngineInput *m);

/* Runs a merge policy over the given inputs' values of path p; *any_valid
 * says whether some input had a value. */
Value merged_run(Engine *e, const BataggMergePolicy *pol, void *state, GPtrArray *inputs, int p,
                 bool *any_valid);

/* SPEC 5.1: publishes path p: a primary value replaces the aggregated one
 * (consumed); an auxiliary value fills in where aggregation has none. */
void merged_publish(Engine *e, int p, Value *aggregated, bool members_have_value);

/* ---- learned.c ---- */

/* Gives every member whose state is due what the ratio methods saved for
 * it (from the combiner's flush, before the limits). */
void learned_restore_due(Engine *e);

/* ---- bank.c ---- */

/* /System/Batteries (the inputs named, hooks left out) and, for the
 * aggregate, the member counts. */
void bank_publish_members(Engine *e, GPtrArray *inputs, bool counts);

/* The diagnosis of every member, as JSON lists (IR, EMF, correction). */
void bank_publish_estimates(Engine *e);

/* Each member's CCL (DCL) ratio, as a JSON list. */
void bank_publish_ratios(Engine *e, bool discharge);

#endif
