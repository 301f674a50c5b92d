/* SPDX-License-Identifier: MIT */
/*
 * StartGate: a published service goes on the bus only when its limits are
 * known (SPEC 4): every battery known when the monitor started (or after a
 * reload) has been read, or did not answer in a few seconds; for the
 * aggregate, a member has a voltage too (it waits startupBatteryWait
 * checks, a second apart, then batagg ends) and the virtual batteries are
 * read.  After a reload it ends the hold of the services that stay.
 */
#ifndef BATAGG_START_GATE_H
#define BATAGG_START_GATE_H

#include <glib.h>

#include "daemon/running.h"

typedef struct StartGate StartGate;

/* Called when batagg cannot go on (no battery with a voltage appeared, or
 * a bus name cannot be had): the daemon ends with exit code 1. */
typedef void (*StartGateFailFn)(void *user_data);

/* For run (borrowed: the daemon's, which must outlive it). */
StartGate *start_gate_new(const Running *run, StartGateFailFn fail, void *user_data);

/* Stops the timers. */
void start_gate_free(StartGate *g);

/* Reads the bus afresh (at start, and after a reload): each published
 * service goes on the bus once its settings are read and its limits known
 * (start_gate_publish_ready()). */
void start_gate_start(StartGate *g);

/* Publishes (or, after a reload, stops holding) every service whose
 * settings are read and whose limits are known. */
void start_gate_publish_ready(StartGate *g);

/* The monitor has read every battery it found (MonitorCallbacks.settled). */
void start_gate_settled(StartGate *g);

/* A reload gave the aggregate another name: a new name is a new service,
 * it waits for a voltage as at start-up. */
void start_gate_renamed(StartGate *g);

#endif
