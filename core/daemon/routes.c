/* SPDX-License-Identifier: MIT */
/*
 * The routes: one per battery service read, with a link per published
 * service its values go to (as a member, primary or auxiliary input), the
 * timer of a member that vanished, and what has been said about it
 * (non-finite values, no BMS).
 */
#include "daemon/routes.h"

#include <math.h>
#include <string.h>

#include "config/roles.h"
#include "base/paths.h"

/* One published service a battery's values go to, as which input. */
typedef struct {
	Published *pub;
	EngineInput *input;
	gboolean changed; /* scratch of deliver() */
} Link;

typedef struct {
	Routes *rs;
	char *service;
	char *custom_name;  /* as first read, for "name:" entries */
	GArray *links;      /* Link */
	guint drop_timer;   /* while it is gone within reconnectTimeout */
	uint64_t nonfinite; /* PathId bits: the paths whose last number was NaN or Inf */
	gboolean told_not_bms;
} Route;

struct Routes {
	const Config *cfg;
	GPtrArray *published;
	GHashTable *routes; /* service name -> Route */
	Route *last;        /* the route routes_changed() found last, or NULL */
};

static void route_free(gpointer data)
{
	Route *r = data;

	if (r->rs->last == r)
		r->rs->last = NULL;
	if (r->drop_timer)
		g_source_remove(r->drop_timer);
	g_array_free(r->links, TRUE);
	g_free(r->custom_name);
	g_free(r->service);
	g_free(r);
}

Routes *routes_new(const Config *cfg, GPtrArray *published)
{
	Routes *rs = g_new0(Routes, 1);

	rs->cfg = cfg;
	rs->published = published;
	rs->routes = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, route_free);
	return rs;
}

void routes_free(Routes *rs)
{
	if (!rs)
		return;
	g_hash_table_destroy(rs->routes);
	g_free(rs);
}

static const char *custom_name_of(const PathValue *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(items[i].path, PATH_CUSTOM_NAME) == 0 &&
		    items[i].value.type == VALUE_TEXT)
			return items[i].value.u.s;
	}
	return NULL;
}

static Published *target(Routes *rs, int target)
{
	return rs->published->pdata[target == ROLES_AGGREGATE ? 0 : target + 1];
}

static Route *place(Routes *rs, const char *service, const PathValue *items, size_t n)
{
	const char *custom_name = custom_name_of(items, n);
	g_autofree Role *places = g_new0(Role, 1 + rs->cfg->n_virtuals);
	size_t count = roles_of(rs->cfg, service, custom_name, places);
	Route *r = g_new0(Route, 1);

	r->rs = rs;
	r->service = g_strdup(service);
	r->custom_name = g_strdup(custom_name);
	r->links = g_array_new(FALSE, FALSE, sizeof(Link));
	for (size_t i = 0; i < count; i++) {
		Link l = {target(rs, places[i].target), NULL, FALSE};

		l.input = inputs_add(published_engine(l.pub), places[i].role, service, custom_name,
		                     places[i].rank, places[i].paths);
		g_array_append_val(r->links, l);
		if (places[i].role == ROLE_MEMBER || places[i].target != ROLES_AGGREGATE)
			g_info("%s: member joined: %s", published_name(l.pub), service);
	}
	if (count == 0)
		g_info("not aggregated: %s (excluded by the config)", service);
	return r;
}

/* A non-finite number is invalid for its path (the engine stores it so);
 * say so once per service and path, and once more when it is a number
 * again, so that a flood of bad values cannot flood the log. */
static void watch_finite(Route *r, int p, const PathValue *it)
{
	double x;
	uint64_t bit;

	if (p < 0 || !value_number(&it->value, &x))
		return;
	bit = UINT64_C(1) << p;
	if (!isfinite(x) && !(r->nonfinite & bit)) {
		r->nonfinite |= bit;
		g_warning("%s: %s is %g, not a number; taken as invalid until it is one",
		          r->service, it->path, x);
	} else if (isfinite(x) && (r->nonfinite & bit)) {
		r->nonfinite &= ~bit;
		g_warning("%s: %s is a number again (%g)", r->service, it->path, x);
	}
}

/* A member that never reported a CVL is no BMS: it does not share the bank
 * current.  Usually a shunt or battery monitor the user forgot to exclude. */
static void tell_if_not_bms(Route *r)
{
	for (guint k = 0; k < r->links->len; k++) {
		Link *l = &g_array_index(r->links, Link, k);

		if (!published_is_aggregate(l->pub) || inputs_role(l->input) != ROLE_MEMBER)
			continue;
		if (inputs_is_bms(l->input)) {
			if (r->told_not_bms)
				g_info("%s now reports /Info/MaxChargeVoltage: it shares the bank "
				       "current as a BMS",
				       r->service);
			r->told_not_bms = FALSE;
		} else if (!r->told_not_bms) {
			r->told_not_bms = TRUE;
			g_warning("%s reports no /Info/MaxChargeVoltage, so it is no BMS and takes "
			          "no share of the bank's charge and discharge limits; if it is a "
			          "shunt or battery monitor, add it to \"excludedServices\", or to "
			          "\"primaryServices\" if it measures the whole bank",
			          r->service);
		}
	}
}

/* Each value to every engine the battery's values go to; an engine whose
 * stored values all stayed as they were is not told (always, when told is
 * TRUE: a member that joined).  Each path is found once, whatever the
 * number of engines. */
static void deliver(Route *r, const PathValue *items, size_t n, gboolean tell)
{
	guint n_links = r->links->len;

	for (guint k = 0; k < n_links; k++)
		g_array_index(r->links, Link, k).changed = tell;
	for (size_t i = 0; i < n; i++) {
		int p = paths_find(items[i].path);

		if (p >= 0)
			watch_finite(r, p, &items[i]);
		for (guint k = 0; k < n_links; k++) {
			Link *l = &g_array_index(r->links, Link, k);
			Engine *e = published_engine(l->pub);
			bool changed = p >= 0 ? inputs_set_id(e, l->input, p, &items[i].value)
			                      : inputs_set_extra(e, l->input, items[i].path,
			                                         &items[i].value);

			l->changed = l->changed || changed;
		}
	}
	for (guint k = 0; k < n_links; k++) {
		Link *l = &g_array_index(r->links, Link, k);

		if (l->changed)
			published_changed(l->pub);
	}
	tell_if_not_bms(r);
}

void routes_added(Routes *rs, const char *service, const PathValue *items, size_t n)
{
	Route *r = g_hash_table_lookup(rs->routes, service);

	if (r && r->drop_timer) {
		/* Back within reconnectTimeout: it stays a member, and its fresh
		 * values replace the kept ones at once. */
		g_source_remove(r->drop_timer);
		r->drop_timer = 0;
		g_info("member reconnected: %s", service);
		for (guint k = 0; k < r->links->len; k++) {
			Link *l = &g_array_index(r->links, Link, k);

			inputs_reset(published_engine(l->pub), l->input);
		}
	} else {
		if (r)
			g_hash_table_remove(rs->routes, service);
		r = place(rs, service, items, n);
		g_hash_table_insert(rs->routes, r->service, r);
	}
	deliver(r, items, n, TRUE);
}

/* The route of service: a serialbattery-style member sends its changes as
 * one signal per path, so the last route is asked first (strcmp, no
 * hashing). */
static Route *lookup(Routes *rs, const char *service)
{
	Route *r = rs->last;

	if (r && strcmp(r->service, service) == 0)
		return r;
	r = g_hash_table_lookup(rs->routes, service);
	rs->last = r;
	return r;
}

void routes_changed(Routes *rs, const char *service, const PathValue *items, size_t n)
{
	Route *r = lookup(rs, service);

	if (r)
		deliver(r, items, n, FALSE);
}

static void drop(Route *r)
{
	for (guint k = 0; k < r->links->len; k++) {
		Link *l = &g_array_index(r->links, Link, k);

		g_info("%s: member left: %s", published_name(l->pub), r->service);
		inputs_remove(published_engine(l->pub), l->input);
		published_changed(l->pub);
	}
	g_hash_table_remove(r->rs->routes, r->service);
}

static gboolean on_drop_timer(gpointer data)
{
	Route *r = data;

	r->drop_timer = 0;
	drop(r);
	return G_SOURCE_REMOVE;
}

/* Only members wait for reconnectTimeout; primary and auxiliary inputs go
 * at once. */
static gboolean only_members(const Route *r)
{
	for (guint k = 0; k < r->links->len; k++) {
		const Link *l = &g_array_index(r->links, Link, k);

		if (published_is_aggregate(l->pub) && inputs_role(l->input) != ROLE_MEMBER)
			return FALSE;
	}
	return r->links->len > 0;
}

void routes_removed(Routes *rs, const char *service)
{
	Route *r = g_hash_table_lookup(rs->routes, service);
	int timeout = rs->cfg->reconnect_timeout;

	if (!r)
		return;
	if (timeout <= 0 || !only_members(r)) {
		drop(r);
		return;
	}
	g_info("member vanished: %s; keeping its values for %d s", service, timeout);
	r->drop_timer = g_timeout_add_seconds(timeout, on_drop_timer, r);
}

gboolean routes_known(Routes *rs, const char *service)
{
	return g_hash_table_contains(rs->routes, service);
}

static void warn_if_unknown(Routes *rs, const char *name, GHashTable *seen)
{
	GHashTableIter it;
	gpointer value;

	if (!g_str_has_prefix(name, "name:") || !g_hash_table_add(seen, (gpointer)name))
		return;
	g_hash_table_iter_init(&it, rs->routes);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		const Route *r = value;

		if (r->custom_name && strcmp(r->custom_name, name + 5) == 0)
			return;
	}
	g_critical("no battery is named \"%s\" (config entry \"%s\"); it takes effect when "
	           "one appears",
	           name + 5, name);
}

/* SPEC 3 asks for a warning, the configuration issue for an error, naming a
 * custom name that no service has yet; logged at ERROR, not fatal: the entry
 * takes effect as soon as such a battery appears. */
void routes_warn_unresolved(Routes *rs)
{
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
	const Config *cfg = rs->cfg;

	for (size_t i = 0; cfg->excluded && cfg->excluded[i]; i++)
		warn_if_unknown(rs, cfg->excluded[i], seen);
	for (size_t i = 0; i < cfg->n_primary; i++)
		warn_if_unknown(rs, cfg->primary[i].name, seen);
	for (size_t i = 0; i < cfg->n_auxiliary; i++)
		warn_if_unknown(rs, cfg->auxiliary[i].name, seen);
	for (size_t v = 0; v < cfg->n_virtuals; v++) {
		for (size_t k = 0; k < cfg->virtuals[v].n_members; k++)
			warn_if_unknown(rs, cfg->virtuals[v].members[k].name, seen);
	}
}
