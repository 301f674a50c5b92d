/* SPDX-License-Identifier: MIT */
/*
 * The engine's inputs and their values (inputs.c): members, primary and
 * auxiliary services, hooks.  A value is stored sane (paths_sanitize()): a
 * non-finite number as invalid, a negative current limit as 0, a voltage
 * limit or capacity <= 0 as invalid.
 */
#ifndef BATAGG_ENGINE_INPUTS_H
#define BATAGG_ENGINE_INPUTS_H

#include "engine/feeds.h"

/* Adds an input: a member joins (appended to the members), or a primary or
 * auxiliary service with its precedence rank (lower first) and the battery
 * paths it is used for (NULL or empty: all).  service and custom_name (its
 * /CustomName as first read, or NULL) are copied. */
EngineInput *inputs_add(Engine *e, InputRole role, const char *service, const char *custom_name,
                        int rank, const char *const *paths);

/* Adds a hook as a primary input of the given rank (one that overrides
 * comes before every member); state stays the caller's. */
EngineInput *inputs_add_hook(Engine *e, int rank, const BataggHook *hook, void *state);

/* Removes an input at once (its values no longer count). */
void inputs_remove(Engine *e, EngineInput *in);

/* Every value of the input becomes invalid (before a fresh read replaces
 * them), and a member's estimator state is reset as for a reconnect. */
void inputs_reset(Engine *e, EngineInput *in);

/* One path's new value (v is copied only when it changes what is stored);
 * paths that are neither battery paths nor read by a strategy are
 * ignored.  Returns whether the stored value changed: when it did not,
 * nothing is marked, and the engine needs no flush for it. */
bool inputs_set(Engine *e, EngineInput *in, const char *path, const Value *v);

/* The same for a path already found: p is a PathId (paths_find()). */
bool inputs_set_id(Engine *e, EngineInput *in, int p, const Value *v);

/* The same for a path that is no battery path (a strategy's read). */
bool inputs_set_extra(Engine *e, EngineInput *in, const char *path, const Value *v);

InputRole inputs_role(const EngineInput *in);

/* Whether a member has reported a valid /Info/MaxChargeVoltage since it
 * joined: only such members (BMSes) share the bank current. */
bool inputs_is_bms(const EngineInput *in);

/* Calls fn for every valid value of every input that is a service (members,
 * primary and auxiliary services; not hooks), with the path's name. */
typedef void (*InputsValueFn)(void *user_data, const char *service, const char *path,
                              const Value *v);
void inputs_each_value(Engine *e, InputsValueFn fn, void *user_data);

/* Orders the members by service name (used once at start, so that members
 * found together appear in a stable order). */
void inputs_sort(Engine *e);

/* True when some member reports a non-zero /Dc/0/Voltage. */
bool inputs_has_voltage(Engine *e);

/* ---- for the engine's own files ---- */

/* The merge keys of e's policies, and which paths depend on which. */
void inputs_init(Engine *e);

/* Frees a list of e's inputs and the list. */
void inputs_free(Engine *e, GPtrArray *inputs);

/* A member as strategies see it (borrowed from in). */
BataggMember inputs_member(const EngineInput *in);

/* A member's display name: its /CustomName, else its service name without
 * the battery prefix. */
const char *inputs_label(const EngineInput *m);

/* The members there are (a virtual battery's inputs, hooks left out), and
 * whether fewer than expectedBatteries. */
size_t inputs_present(const Engine *e);
bool inputs_short(const Engine *e);

/* What a limit's computation reads of member m, noted in Engine.reads: its
 * value of path p (a number, or the value itself), its label, whether it
 * is a BMS. */
BataggNum inputs_read_num(Engine *e, LimitId l, const EngineInput *m, int p);
const Value *inputs_read(Engine *e, LimitId l, const EngineInput *m, int p);
const char *inputs_read_label(Engine *e, LimitId l, const EngineInput *m);
bool inputs_read_bms(Engine *e, LimitId l, const EngineInput *m);

#endif
