/* SPDX-License-Identifier: MIT */
/*
 * Running: the running config and what is built from it, replaced as a
 * whole by a reload.  The daemon owns it at one address for its life; the
 * start gate and the monitor's reports borrow it, so they always see what
 * runs now.  Only the daemon's switch to a plan (daemon.c, plan_switch())
 * writes it.
 */
#ifndef BATAGG_RUNNING_H
#define BATAGG_RUNNING_H

#include <glib.h>

#include "bus/monitor.h"
#include "config/config.h"
#include "daemon/published.h"
#include "daemon/routes.h"

typedef struct {
	Config *cfg;
	GPtrArray *published; /* Published *: [0] the aggregate, [1 + i] virtual battery i */
	Routes *routes;       /* each battery service's values to the engines it feeds */
	Monitor *monitor;     /* its reports go to reports.c */
} Running;

/* The aggregate's published service. */
static inline Published *running_aggregate(const Running *run)
{
	return run->published->pdata[0];
}

#endif
