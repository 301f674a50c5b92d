/* SPDX-License-Identifier: MIT */
/*
 * Reports: where the monitor's reports go.  A battery service's values go
 * to its route (routes.h); com.victronenergy.system's and
 * com.victronenergy.settings' values to the DVCC inputs and the published
 * services' device instance and custom name; the end of the first reads
 * to the start gate.  A vanished system or settings service keeps its
 * last values: a restarting systemcalc must not lift the user's limits.
 */
#ifndef BATAGG_REPORTS_H
#define BATAGG_REPORTS_H

#include <dbus/dbus.h>
#include <glib.h>

#include "bus/monitor.h"
#include "daemon/dvcc.h"
#include "daemon/running.h"
#include "daemon/start_gate.h"

typedef struct Reports Reports;

/* For run, dvcc and gate (borrowed: the daemon's, which must outlive it). */
Reports *reports_new(const Running *run, Dvcc *dvcc, StartGate *gate);

void reports_free(Reports *r);

/* A monitor on conn whose reports go here (transfer full), reading in
 * localsettings the DVCC settings and the settings of run's published
 * services as they are now: a new one after each reload. */
Monitor *reports_monitor_new(Reports *r, DBusConnection *conn);

#endif
