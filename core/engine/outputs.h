/* SPDX-License-Identifier: MIT */
/*
 * The engine's published values (outputs.c): value i (0 <= i < N_PUBLISHED)
 * is battery path i, or extra path i - N_BATTERY_PATHS (ExtraPathId).
 */
#ifndef BATAGG_ENGINE_OUTPUTS_H
#define BATAGG_ENGINE_OUTPUTS_H

#include "engine/internal.h"

/* The path and type of published value i. */
const char *outputs_path(int i);
Unit outputs_unit(int i);

/* The current published value i (valid after a flush). */
const Value *outputs_get(const Engine *e, int i);

/* Stores value i (v is consumed) and, when it changed, marks it for
 * outputs_take_changed(); a limit that reads it (feeds_table) is due. */
void outputs_set(Engine *e, int i, Value *v);

/* The same for a value that stays the caller's (copied only when it
 * changed). */
void outputs_put(Engine *e, int i, const Value *v);

/* The first published value from index from on that changed since it was
 * last taken, its mark cleared; -1 when none did.  Loop with
 * for (i = outputs_take_changed(e, 0); i >= 0; i = outputs_take_changed(e, i + 1)). */
int outputs_take_changed(Engine *e, int from);

/* Whether published value i going from old to new must reach the chargers
 * and inverters at once rather than at the next tick: a CCL or DCL that
 * falls by 1 % or more (or to 0), a CVL that falls, a limit that appears,
 * an alarm that rises, an allow flag that goes to 0, and the members
 * changing. */
bool outputs_tightens(int i, const Value *old, const Value *new);

/* Whether published value i going from old to new makes the system safer
 * at all: a CCL, DCL or CVL that falls (by any amount) or appears, an alarm
 * that rises, an allow flag that goes to 0.  While a service holds its
 * values after a reload, these go out at once and nothing else does: a
 * limit may fall but never rise until the members are read again. */
bool outputs_safer(int i, const Value *old, const Value *new);

/* Whether the engine publishes allow flag p (P_ALLOW_TO_CHARGE or
 * P_ALLOW_TO_DISCHARGE) as 0: it refuses. */
bool outputs_refuses(const Engine *e, int p);

/* The engine's own published battery path p, as limit l reads it (noted in
 * Engine.reads, see feeds_table). */
const Value *outputs_read(Engine *e, LimitId l, int p);

#endif
