/* SPDX-License-Identifier: MIT */
/*
 * When limits are known: the settle timeout of the first reads, the checks
 * for a battery with a voltage, and publishing what is ready.
 */
#include "daemon/start_gate.h"

/* How long a battery's first read may take before the published services
 * go on without it (it joins when it answers). */
#define SETTLE_TIMEOUT_S 5

struct StartGate {
	const Running *run;
	StartGateFailFn fail;
	void *user_data;

	guint startup_timer;
	int startup_attempts;
	gboolean voltage_seen; /* a member had a voltage: the aggregate may publish */
	/* Every battery known when the monitor started has been read (or did not
	 * answer in SETTLE_TIMEOUT_S): only then are limits known. */
	gboolean reads_done;
	guint settle_timer;
};

StartGate *start_gate_new(const Running *run, StartGateFailFn fail, void *user_data)
{
	StartGate *g = g_new0(StartGate, 1);

	g->run = run;
	g->fail = fail;
	g->user_data = user_data;
	return g;
}

void start_gate_free(StartGate *g)
{
	if (!g)
		return;
	if (g->startup_timer)
		g_source_remove(g->startup_timer);
	if (g->settle_timer)
		g_source_remove(g->settle_timer);
	g_free(g);
}

/* Every virtual battery is on the bus and has been read by the monitor:
 * the aggregate, whose members they are, knows their limits. */
static gboolean virtuals_read(StartGate *g)
{
	for (guint i = 1; i < g->run->published->len; i++) {
		Published *v = g->run->published->pdata[i];

		if (!published_on_bus(v) || !routes_known(g->run->routes, published_name(v)))
			return FALSE;
	}
	return TRUE;
}

/* Limits are published only when they are known: every battery known at
 * the start (or the reload) has been read, and for the aggregate, a member
 * has a voltage and the virtual batteries are read. */
static gboolean limits_known(StartGate *g, Published *p)
{
	if (!g->reads_done)
		return FALSE;
	return !published_is_aggregate(p) || (g->voltage_seen && virtuals_read(g));
}

void start_gate_publish_ready(StartGate *g)
{
	for (guint i = 0; i < g->run->published->len; i++) {
		Published *p = g->run->published->pdata[i];
		g_autoptr(GError) error = NULL;

		if (!limits_known(g, p))
			continue;
		if (published_held(p)) {
			published_release(p);
		} else if (!published_on_bus(p) && published_settings_read(p)) {
			if (!published_register(p, &error)) {
				g_critical("cannot publish %s: %s", published_name(p),
				           error->message);
				g->fail(g->user_data);
				return;
			}
			if (published_is_aggregate(p))
				routes_warn_unresolved(g->run->routes);
		}
	}
}

static gboolean on_settle_timeout(gpointer data)
{
	StartGate *g = data;
	g_auto(GStrv) slow = monitor_reading(g->run->monitor);

	g->settle_timer = 0;
	for (size_t i = 0; slow[i]; i++)
		g_warning("%s did not answer its first read in %d s; going on without it (it "
		          "joins when it answers)",
		          slow[i], SETTLE_TIMEOUT_S);
	g->reads_done = TRUE;
	start_gate_publish_ready(g);
	return G_SOURCE_REMOVE;
}

static gboolean on_startup_check(gpointer data)
{
	StartGate *g = data;
	int wait = g->run->cfg->startup_battery_wait;

	if (inputs_has_voltage(published_engine(running_aggregate(g->run)))) {
		g->startup_timer = 0;
		g->voltage_seen = TRUE;
		start_gate_publish_ready(g);
		return G_SOURCE_REMOVE;
	}
	if (++g->startup_attempts < wait) {
		g_info("waiting for batteries (check %d of %d)", g->startup_attempts, wait);
		return G_SOURCE_CONTINUE;
	}
	g_warning("no battery with a voltage appeared after %d checks; exiting", wait);
	g->startup_timer = 0;
	g->fail(g->user_data);
	return G_SOURCE_REMOVE;
}

void start_gate_settled(StartGate *g)
{
	g->reads_done = TRUE;
	if (g->settle_timer) {
		g_source_remove(g->settle_timer);
		g->settle_timer = 0;
	}
	start_gate_publish_ready(g);
}

void start_gate_renamed(StartGate *g)
{
	g->voltage_seen = FALSE;
}

void start_gate_start(StartGate *g)
{
	const Running *run = g->run;

	g->reads_done = FALSE;
	if (g->settle_timer)
		g_source_remove(g->settle_timer);
	g->settle_timer = g_timeout_add_seconds(SETTLE_TIMEOUT_S, on_settle_timeout, g);
	/* The services known from before a reload join at once (monitor_seed()):
	 * the engines compute from all of them or none. */
	for (guint i = 0; i < run->published->len; i++)
		published_defer(run->published->pdata[i], TRUE);
	monitor_start(run->monitor);
	for (guint i = 0; i < run->published->len; i++)
		published_defer(run->published->pdata[i], FALSE);
	if (!published_on_bus(running_aggregate(run)) && !g->voltage_seen && !g->startup_timer) {
		g->startup_attempts = 0;
		g->startup_timer = g_timeout_add_seconds(1, on_startup_check, g);
	}
}
