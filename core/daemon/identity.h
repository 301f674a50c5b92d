/* SPDX-License-Identifier: MIT */
/*
 * Identity: a published service's device instance and custom name, kept in
 * localsettings under the Python daemon's settings names (so that users
 * keep them), read at start, followed, written back when a client renames
 * the service, and registered again when localsettings restarts.
 */
#ifndef BATAGG_DAEMON_IDENTITY_H
#define BATAGG_DAEMON_IDENTITY_H

#include <dbus/dbus.h>
#include <glib.h>

#include "base/value.h"

typedef struct Identity Identity;

/* The device instance or the custom name changed; first: they have just
 * been read for the first time. */
typedef void (*IdentityFn)(void *user_data, gboolean first);

/* Starts reading (and registering) the settings of the service named
 * service, the aggregate or not, on conn. */
Identity *identity_new(DBusConnection *conn, const char *service, gboolean aggregate,
                       IdentityFn changed, void *user_data);
void identity_free(Identity *id);

/* Whether they have been read. */
gboolean identity_read(const Identity *id);
int identity_instance(const Identity *id);
const char *identity_custom_name(const Identity *id);

/* A client wrote /CustomName: FALSE (refused, nothing changes) when it is
 * no text or too long for localsettings; else it is kept and written. */
gboolean identity_write_name(Identity *id, const Value *v);

/* A com.victronenergy.settings value: TRUE when it is this identity's
 * device instance or custom name (then taken). */
gboolean identity_setting(Identity *id, const char *path, const Value *v);

/* The settings paths it reads (for the monitor). */
const char *identity_instance_path(const Identity *id);
const char *identity_name_path(const Identity *id);

/* localsettings vanished, or came back: registers the device instance and
 * the custom name again (with the current ones as defaults), so that a
 * restarted localsettings has them. */
void identity_lost(Identity *id);
void identity_back(Identity *id);

#endif
