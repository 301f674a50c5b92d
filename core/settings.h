/* SPDX-License-Identifier: MIT */
/*
 * Settings: a published service's device instance and persisted /CustomName
 * in com.victronenergy.settings (localsettings), as VICTRON-DBUS.md
 * describes.  Everything is asynchronous; if localsettings does not answer in
 * time the service starts with its preferred instance and an empty name.
 */
#ifndef BATAGG_SETTINGS_H
#define BATAGG_SETTINGS_H

#include <dbus/dbus.h>
#include <glib.h>

#define SETTINGS_SERVICE "com.victronenergy.settings"

typedef struct Settings Settings;

/* Called once, when both settings were read (or the time ran out).
 * custom_name is never NULL. */
typedef void (*SettingsReadyFn)(void *user_data, int device_instance, const char *custom_name);

/* Starts registering "/Settings/Devices/<device>/ClassAndVrmInstance" with
 * default "battery:<instance>" and "/Settings/Battery/<name_group>/CustomName"
 * with default "".  Returns (transfer full) the client. */
Settings *settings_new(DBusConnection *conn, const char *device, int instance,
                       const char *name_group, SettingsReadyFn ready, void *user_data);

/* The instance number in a "class:N" value, or -1. */
int settings_parse_instance(const char *class_and_instance);

/* Persists a new custom name (asynchronous; failures are logged). */
void settings_write_name(Settings *s, const char *name);

/* Cancels anything pending; the ready callback is not called afterwards. */
void settings_free(Settings *s);

#endif
