/* SPDX-License-Identifier: MIT */
/*
 * DVCC inputs: com.victronenergy.system's /Control/Dvcc and the user's
 * charge current and voltage limits in com.victronenergy.settings, as the
 * aggregate's limits use them (SPEC 5.5, 5.7).  The last known values stay
 * while those services are away (a restarting systemcalc must not lift the
 * user's limit); a non-finite value counts as invalid, said once.
 */
#ifndef BATAGG_DVCC_H
#define BATAGG_DVCC_H

#include <glib.h>

#include "engine/engine.h"

#define SYSTEM_SERVICE "com.victronenergy.system"
#define DVCC_PATH "/Control/Dvcc"
#define USER_CCL_PATH "/Settings/SystemSetup/MaxChargeCurrent"
#define USER_CVL_PATH "/Settings/SystemSetup/MaxChargeVoltage"

typedef struct {
	gboolean on;     /* /Control/Dvcc is 1 */
	double user_ccl; /* A; -1: none */
	double user_cvl; /* V; 0: none */
	guint nonfinite; /* bits of the paths whose last value was NaN or Inf */
} Dvcc;

/* DVCC off, no user limits. */
void dvcc_init(Dvcc *d);

/* A value of one of the three paths; FALSE (and nothing changes) for any
 * other path. */
gboolean dvcc_set(Dvcc *d, const char *path, const Value *v);

/* Gives the engine the current state (it recomputes only what changed). */
void dvcc_apply(const Dvcc *d, Engine *e);

#endif
