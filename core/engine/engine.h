/* SPDX-License-Identifier: MIT */
/*
 * Engine: a battery batagg publishes (the aggregate, a virtual battery, a
 * series string) as pure computation, no D-Bus.  Its front header: what the
 * daemon uses, in one include.
 *
 *  - Inputs (engine/inputs.h): members, primary and auxiliary services and
 *    hooks join and leave, and their values change, through inputs_*():
 *    this is where a member's value is stored.
 *  - Nothing is computed until a flush: engine_flush_safety() computes what
 *    can tighten a limit (the limits when an input of theirs changed, the
 *    alarms, the allow flags, the membership), engine_flush() everything;
 *    so a batch of changes (one ItemsChanged) is one recomputation.  This
 *    is where a limit is computed (the combiner, engine/aggregate.c, with
 *    engine/limits.c).
 *  - The published values (engine/outputs.h) are taken by the publisher
 *    (daemon/published.c) with outputs_take_changed().
 */
#ifndef BATAGG_ENGINE_H
#define BATAGG_ENGINE_H

#include "engine/inputs.h"
#include "engine/learned.h"
#include "engine/lookup.h"
#include "engine/outputs.h"
#include "engine/setup.h"

/* Returns (transfer full) an engine; setup is copied (the strategies' states
 * stay owned by the caller and must outlive the engine). */
Engine *engine_new(const EngineSetup *setup);
void engine_free(Engine *e);

/* DVCC state and the user's limits (com.victronenergy.system and settings). */
void engine_set_dvcc(Engine *e, bool on);
void engine_set_user_ccl(Engine *e, double amps);  /* -1: none */
void engine_set_user_cvl(Engine *e, double volts); /* 0: none */

/* The aggregate runs a config with problems (startup.h): a warning on
 * /Alarms/InternalFailure (whatever the members say, at least 1) and a
 * text on /ConfigProblem ("" when there is none). */
void engine_set_config_problem(Engine *e, bool on);

/* Recomputes what the changes since the last flush affect. */
void engine_flush(Engine *e);

/* Like engine_flush(), but only for what can make a change that tightens
 * (outputs_tightens()): the limits when an input of theirs changed, the
 * alarms, the allow flags and the membership.  Everything else stays for
 * the next engine_flush(). */
void engine_flush_safety(Engine *e);

/* Whether this engine publishes value i at all (a virtual battery publishes
 * the battery paths and /System/Batteries only). */
bool engine_publishes(Engine *e, int i);

#endif
