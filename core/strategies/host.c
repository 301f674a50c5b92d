/* SPDX-License-Identifier: MIT */
/*
 * A strategy instance's host.
 */
#include "strategies/host.h"

#include <math.h>
#include <string.h>

#define CALL_AGAIN_MIN_S 0.05
#define CALL_AGAIN_MAX_S 86400.0

struct Host {
	BataggHost host; /* first: what the plugin is given */
	char *name;      /* its log lines' prefix */
	const BataggStrategy *table;
	void *state;
	const Engine *engine;
	HostWakeFn wake;
	void *wake_data;
	guint timer;
	gint64 due; /* monotonic µs of the pending call */
};

static Host *of(const BataggHost *host)
{
	return (Host *)(void *)host;
}

static void host_log(const BataggHost *host, int level, const char *fmt, ...)
{
	GLogLevelFlags flags = level >= BATAGG_LOG_ERROR     ? G_LOG_LEVEL_CRITICAL
	                       : level >= BATAGG_LOG_WARNING ? G_LOG_LEVEL_WARNING
	                       : level >= BATAGG_LOG_INFO    ? G_LOG_LEVEL_INFO
	                                                     : G_LOG_LEVEL_DEBUG;
	g_autofree char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_log(G_LOG_DOMAIN, flags, "%s: %s", of(host)->name, msg);
}

/* A path the strategy may read: one it declared, or a battery path. */
static bool may_read(const Host *h, const char *path)
{
	for (size_t i = 0; h->table->reads && h->table->reads[i]; i++) {
		if (strcmp(h->table->reads[i], path) == 0)
			return true;
	}
	return paths_find(path) >= 0;
}

static bool host_value(const BataggHost *host, const BataggMember *m, const char *path,
                       BataggValue *out)
{
	const Host *h = of(host);

	*out = (BataggValue){0};
	if (!m || !path || !h->engine || !may_read(h, path))
		return false;
	return lookup_value(h->engine, m->id, path, out);
}

static double host_now(const BataggHost *host)
{
	return (double)g_get_monotonic_time() / G_USEC_PER_SEC;
}

static gboolean on_timer(gpointer data)
{
	Host *h = data;

	h->timer = 0;
	if (h->wake)
		h->wake(h->wake_data, h->state);
	return G_SOURCE_REMOVE;
}

static void host_call_again(const BataggHost *host, double seconds)
{
	Host *h = of(host);
	gint64 due;

	if (!h->engine || isnan(seconds))
		return;
	seconds = fmin(fmax(seconds, CALL_AGAIN_MIN_S), CALL_AGAIN_MAX_S);
	due = g_get_monotonic_time() + (gint64)(seconds * G_USEC_PER_SEC);
	/* One pending call: the earlier of the two. */
	if (h->timer && h->due <= due)
		return;
	if (h->timer)
		g_source_remove(h->timer);
	h->due = due;
	h->timer = g_timeout_add((guint)ceil(seconds * 1000), on_timer, h);
}

static void *host_member_state(const BataggHost *host, const BataggMember *m)
{
	const Host *h = of(host);

	if (!m || !h->engine)
		return NULL;
	return lookup_slot(h->engine, m->id, h->state);
}

Host *host_new(const char *name, const BataggStrategy *table)
{
	Host *h = g_new0(Host, 1);

	h->host.struct_size = sizeof(BataggHost);
	h->host.log = host_log;
	h->host.value = host_value;
	h->host.now = host_now;
	h->host.call_again = host_call_again;
	h->host.member_state = host_member_state;
	h->name = g_strdup(name);
	h->table = table;
	return h;
}

void host_free(Host *h)
{
	if (!h)
		return;
	if (h->timer)
		g_source_remove(h->timer);
	g_free(h->name);
	g_free(h);
}

BataggHost *host_public(Host *h)
{
	return &h->host;
}

void host_set_state(Host *h, void *state)
{
	h->state = state;
}

void host_set_engine(Host *h, const Engine *e, HostWakeFn wake, void *user_data)
{
	h->engine = e;
	h->wake = wake;
	h->wake_data = user_data;
	if (!e && h->timer) {
		g_source_remove(h->timer);
		h->timer = 0;
	}
}
