/* SPDX-License-Identifier: MIT */
/*
 * Published: one battery service batagg publishes, the aggregate, a virtual
 * battery or a series string.  It owns the service's identity (bus name;
 * device instance and custom name: identity.h), its strategies and engine,
 * its BusService with the mandatory paths, and the publishing cycle: when
 * the engine's values go out (published.c, top).  Life cycle:
 * published_new() (which starts reading the settings), published_use()
 * with the strategies, then published_register() once the settings are
 * read and the daemon says its limits are known; after a reload,
 * published_use() again (the service holds its values) and
 * published_release() when the members are read.
 */
#ifndef BATAGG_PUBLISHED_H
#define BATAGG_PUBLISHED_H

#include <dbus/dbus.h>
#include <glib.h>

#include "engine/engine.h"
#include "daemon/identity.h"
#include "strategies/strategies.h"

typedef struct Published Published;

/* Called when the settings are read for the first time. */
typedef void (*PublishedReadyFn)(void *user_data);

/* A service named name, the aggregate (virtual_index < 0) or virtual battery
 * (series: series battery) virtual_index, that will publish on conn
 * (referenced; closed on free when it is a virtual battery's own).
 * program is /Mgmt/ProcessName. */
Published *published_new(const char *name, int virtual_index, gboolean series, DBusConnection *conn,
                         const char *program, PublishedReadyFn ready, void *user_data);

/* Called after a write to the aggregate's PUBLISHED_RESET_PATH has reset
 * every estimate (learned_reset()), with published_new()'s
 * user_data. */
typedef void (*PublishedResetFn)(void *user_data);
void published_on_reset(Published *p, PublishedResetFn fn);

/* The aggregate's command path: writing 1 resets what the ratio methods
 * learned about every member (it reads 0 again); anything else is
 * refused. */
#define PUBLISHED_RESET_PATH "/System/ResetEstimates"

/* Releases the bus name and frees everything. */
void published_free(Published *p);

const char *published_name(const Published *p);
gboolean published_is_aggregate(const Published *p);

/* After a reload a virtual battery may stand elsewhere in the config (and
 * be a series battery now, or no longer). */
void published_set_index(Published *p, int virtual_index, gboolean series);

/* Replaces the strategies (ownership taken) and the engine; on the bus, the
 * service goes on publishing its last values until published_release(). */
void published_use(Published *p, Strategies *st);
Engine *published_engine(Published *p);

/* The engine's inputs changed: what tightens a limit is computed and sent
 * at once, the rest at the service's next tick (or when a client reads). */
void published_changed(Published *p);

/* While deferred, published_changed() only notes that the inputs changed;
 * ending it does what was noted. */
void published_defer(Published *p, gboolean on);

/* How often changes go out (publishInterval, seconds) and whether as
 * PropertiesChanged too (publishPropertiesChanged). */
void published_set_cadence(Published *p, double interval, gboolean properties_changed);

/* Whether the device instance and custom name have been read from
 * localsettings (registering them starts with published_new()). */
gboolean published_settings_read(const Published *p);
gboolean published_on_bus(const Published *p);
gboolean published_held(const Published *p);

/* Builds the whole tree, then takes the bus name.  FALSE with error set
 * when the name cannot be had. */
gboolean published_register(Published *p, GError **error);

/* Ends the hold after a reload: the engine's values go out in one step. */
void published_release(Published *p);

/* Its device instance and custom name in localsettings (identity.h):
 * the settings values the daemon reads go there. */
Identity *published_identity(Published *p);

#endif
