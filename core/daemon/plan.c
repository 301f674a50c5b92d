/* SPDX-License-Identifier: MIT */
/*
 * Building a configuration: the plan, the published services kept by
 * name, and what is known for the next monitor.
 */
#include "daemon/plan.h"

#include <string.h>

#include "bus/dbus_glib.h"
#include "bus/items.h"
#include "strategies/strategies.h"

struct Plan {
	Config *cfg;
	size_t n;                /* 1 + cfg->n_virtuals */
	Strategies **strategies; /* [0] the aggregate's, [1 + i] virtual battery i's */
	DBusConnection **conns;  /* [1 + i]: a new connection, or NULL */
};

void plan_free(Plan *plan)
{
	for (size_t i = 0; i < plan->n; i++) {
		strategies_free(plan->strategies[i]);
		if (plan->conns[i])
			dbus_glib_close(plan->conns[i]);
	}
	g_free(plan->strategies);
	g_free(plan->conns);
	config_free(plan->cfg);
	g_free(plan);
}

/* The published service of that name and kind, or NULL. */
static Published *find_published(GPtrArray *published, const char *name, gboolean aggregate)
{
	for (guint i = 0; published && i < published->len; i++) {
		Published *p = published->pdata[i];

		if (published_is_aggregate(p) == aggregate && strcmp(published_name(p), name) == 0)
			return p;
	}
	return NULL;
}

Plan *plan_new(Config *cfg, Registry *reg, GPtrArray *published, GError **error)
{
	Plan *plan = g_new0(Plan, 1);

	plan->cfg = cfg;
	plan->n = 1 + cfg->n_virtuals;
	plan->strategies = g_new0(Strategies *, plan->n);
	plan->conns = g_new0(DBusConnection *, plan->n);
	plan->strategies[0] = strategies_new(cfg, reg, error);
	if (!plan->strategies[0] || !strategies_check_options(reg, cfg, FALSE, error))
		goto fail;
	for (size_t v = 0; v < cfg->n_virtuals; v++) {
		plan->strategies[1 + v] = strategies_new_virtual(cfg, v, reg, error);
		if (!plan->strategies[1 + v])
			goto fail;
		/* One object tree per connection: a virtual battery has its own. */
		if (!find_published(published, cfg->virtuals[v].name, FALSE)) {
			plan->conns[1 + v] = dbus_glib_open(error);
			if (!plan->conns[1 + v])
				goto fail;
		}
	}
	return plan;
fail:
	plan_free(plan);
	return NULL;
}

gboolean plan_renames(const Plan *plan, const Running *run)
{
	return run->published &&
	       strcmp(published_name(running_aggregate(run)), plan->cfg->service_name) != 0;
}

typedef struct {
	Monitor *mon;
	GHashTable *known;
} Known;

static void keep_value(void *user_data, const char *service, const char *path, const Value *v)
{
	Known *k = user_data;
	MonitorKnown *mk = monitor_known(k->mon, k->known, service);

	if (mk)
		items_add(mk->items, path, v);
}

GHashTable *plan_known_values(const Running *run)
{
	Known k = {.mon = run->monitor, .known = monitor_known_new()};

	for (guint i = 0; run->published && i < run->published->len; i++)
		inputs_each_value(published_engine(run->published->pdata[i]), keep_value, &k);
	return k.known;
}

/* Takes the published service of that name and kind out of old, or makes
 * a new one. */
static Published *reuse(GPtrArray *old, const char *name, int index, gboolean series,
                        DBusConnection *conn, const char *program, PublishedReadyFn ready,
                        void *user_data)
{
	for (guint i = 0; old && i < old->len; i++) {
		Published *p = old->pdata[i];

		if (published_is_aggregate(p) == (index < 0) &&
		    strcmp(published_name(p), name) == 0) {
			g_ptr_array_steal_index(old, i);
			published_set_index(p, index, series);
			return p;
		}
	}
	return published_new(name, index, series, conn, program, ready, user_data);
}

void plan_switch(Plan *plan, Running *run, DBusConnection *conn, const char *program,
                 PublishedReadyFn ready, void *user_data)
{
	GPtrArray *old = run->published;
	const Config *cfg = plan->cfg;

	run->published = g_ptr_array_new_with_free_func((GDestroyNotify)published_free);
	for (size_t i = 0; i < plan->n; i++) {
		const char *name = i == 0 ? cfg->service_name : cfg->virtuals[i - 1].name;
		Published *p = reuse(old, name, (int)i - 1, i > 0 && cfg->virtuals[i - 1].series,
		                     i == 0 ? conn : plan->conns[i], program, ready, user_data);

		published_use(p, plan->strategies[i]);
		published_set_cadence(p, cfg->publish_interval, cfg->properties_changed);
		plan->strategies[i] = NULL;
		/* The published service holds its own reference now. */
		if (plan->conns[i])
			dbus_connection_unref(plan->conns[i]);
		plan->conns[i] = NULL;
		g_ptr_array_add(run->published, p);
	}
	if (old)
		g_ptr_array_free(old, TRUE);
	config_free(run->cfg);
	run->cfg = plan->cfg;
	plan->cfg = NULL;
	plan_free(plan);
}
