/* SPDX-License-Identifier: MIT */
/*
 * The engine's insides, shared by the files that make it up, from the
 * bottom: inputs.c (the inputs and their values), outputs.c (the published
 * values), merged.c (a path's value from the inputs), bank.c (the bank
 * description), learned.c (what the ratio methods learned), aggregate.c,
 * precedence.c and series.c (the three ways of combining inputs), engine.c
 * (an engine made, flushed, freed).  Nothing outside engine/ includes it.
 */
#ifndef BATAGG_ENGINE_INTERNAL_H
#define BATAGG_ENGINE_INTERNAL_H

#include <glib.h>

#include "engine/limitation.h"
#include "engine/setup.h"
#include "engine/state_file.h"

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

G_STATIC_ASSERT((int)L_CCL == (int)BATAGG_LIMIT_CCL && (int)L_DCL == (int)BATAGG_LIMIT_DCL &&
                (int)L_CVL == (int)BATAGG_LIMIT_CVL);

/* The published path of limit l. */
G_STATIC_ASSERT(P_DCL == P_CCL + 1 && P_CVL == P_CCL + 2);
static inline int limit_path(LimitId l)
{
	return P_CCL + (int)l;
}

/* What a limit is computed from (PathId bits): members' values, and the
 * engine's own published battery paths (feeds_table). */
typedef struct {
	uint64_t member;
	uint64_t bank;
} LimitInputs;

/* Paths the strategies read (their heads' reads) that are no battery path:
 * at most this many per engine. */
#define EXTRA_MAX 32

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
	Value extra[EXTRA_MAX]; /* its values of Engine.extra */
	/* A member's state of each strategy instance (s.used[k]) that declares
	 * member_state_size, else NULL. */
	void **slots;
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

struct Engine {
	EngineSetup s;
	const Combiner *combiner;
	GPtrArray *members; /* EngineInput *, in joining order */
	GPtrArray *primary; /* EngineInput *, by rank */
	GPtrArray *auxiliary;
	BataggMemberId next_id;

	/* What the ratio methods learned, kept across restarts (borrowed, or
	 * NULL); the services that joined this engine so far (each gets its
	 * saved state once); the strategies whose save failed, said once. */
	StateFile *state;
	GHashTable *joined;
	bool restore_due; /* some member's restore_due is set */
	GHashTable *told;

	bool dvcc;
	double user_ccl;
	double user_cvl;
	bool config_problem;

	/* The paths the strategies read that are no battery path; what each
	 * limit reads of members, the strategies' reads with feeds_table
	 * (member: PathId bits; extra_feeds: bits of extra); the merged paths
	 * to redo when an extra path changes. */
	char *extra[EXTRA_MAX];
	size_t n_extra;
	LimitInputs feeds[N_LIMITS];
	/* The same by path: LimitId bits of the limits that read member path p. */
	uint8_t feeds_by_path[N_MEMBER_PATHS];
	uint64_t extra_feeds[N_LIMITS];
	uint64_t extra_dependents[EXTRA_MAX];

	/* What the next flush must recompute. */
	uint64_t dirty;
	bool membership_changed;
	bool need[N_LIMITS];
	bool need_estimates;
	/* What each limit's computations read since the engine started
	 * (feeds_table), for the tests. */
	LimitInputs reads[N_LIMITS];
	int method_bits; /* BATAGG_* bits the methods asked for */

	/* Merge inputs that depend on another path (cell ids on their extreme,
	 * a weighted mean on its weight): dependents[k] are the paths to redo
	 * when path k changes. */
	int key[N_BATTERY_PATHS];
	int second_key[N_BATTERY_PATHS]; /* the policy's second_key_path, or -1 */
	uint64_t dependents[N_MEMBER_PATHS];

	BataggNum *ratios[2]; /* last CCL/DCL ratio of each member, for diagnosis */
	/* Each member's diagnosis as last published (bank.c), n_diag of them
	 * in room for diag_len. */
	BataggMemberDiag *diag;
	guint n_diag, diag_len;
	guint n_ratios[2];
	bool ratios_changed[2]; /* since they were last published */
	/* A series battery's: modules missing, and whether their currents
	 * disagree (said once until they agree again). */
	size_t missing;
	bool whole_once; /* it has had all its modules (start-up is over) */
	bool currents_disagree;
	/* The published values, and which changed since they were last taken
	 * (outputs_take_changed()). */
	Value pub[N_PUBLISHED];
	bool changed[N_PUBLISHED];
	/* What the limitation texts published were made of (aggregate.c),
	 * indexed by LimitId. */
	LimitationKey limitation_key[N_LIMITS];

	/* Scratch space for merge inputs, sized to the member count. */
	size_t scratch_len;
	BataggValue *vals;
	BataggValue *keys;
	BataggValue *second_keys;
	const char **labels;
	BataggMember *merge_members;
	char text[256];           /* a merge policy's text of the members */
	char primary_text[256];   /* ... of the primary services */
	char auxiliary_text[256]; /* ... of the auxiliary services */
	GPtrArray *used;          /* the sources used for one path (merged.c) */
};

#endif
