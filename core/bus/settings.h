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

/* The longest /CustomName a published service keeps, in bytes of UTF-8: a
 * longer write is refused, a longer name found in localsettings is cut
 * between characters. */
#define SETTINGS_NAME_MAX 128

typedef struct Settings Settings;

/* Called after each registration (at start, and after
 * settings_register_again()) once both settings were read back, or the
 * time ran out (then with what was known).  custom_name is never NULL and
 * at most SETTINGS_NAME_MAX bytes. */
typedef void (*SettingsReadFn)(void *user_data, int device_instance, const char *custom_name);

/* Starts registering "/Settings/Devices/<device>/ClassAndVrmInstance" with
 * default "battery:<instance>" and "/Settings/Battery/<name_group>/CustomName"
 * with default "" (names.h makes both paths; device and name_group must be
 * valid path elements, as names_settings_device() and
 * names_settings_name_group() give them).  Returns (transfer full) the
 * client. */
Settings *settings_new(DBusConnection *conn, const char *device, int instance,
                       const char *name_group, SettingsReadFn read, void *user_data);

/* Registers both settings again, with the current instance and name as
 * defaults (localsettings restarted, maybe without them), writes a custom
 * name whose earlier write failed, and reads both back.  A round already in
 * flight is let finish first. */
void settings_register_again(Settings *s, int instance, const char *custom_name);

/* Whether the last registration got an answer for both settings. */
gboolean settings_registered(const Settings *s);

/* The two settings' paths in localsettings. */
const char *settings_instance_path(const Settings *s);
const char *settings_name_path(const Settings *s);

/* The instance number in a "class:N" value, or -1. */
int settings_parse_instance(const char *class_and_instance);

/* Persists a new custom name (asynchronous; a failure is logged, and the
 * name is written again at the next registration). */
void settings_write_name(Settings *s, const char *name);

/* Cancels anything pending; the read callback is not called afterwards. */
void settings_free(Settings *s);

#endif
