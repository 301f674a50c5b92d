/* SPDX-License-Identifier: MIT */
/*
 * Victron names: what the bus name of a battery service must look like, and
 * the localsettings entries batagg derives from the name of a service it
 * publishes (SPEC.md section 4), with the rule that turns any name into a
 * valid object path element.
 */
#ifndef BATAGG_NAMES_H
#define BATAGG_NAMES_H

#include <stdbool.h>

/* The aggregate's bus name unless the config says otherwise. */
#define BATAGG_DEFAULT_SERVICE "com.victronenergy.battery.aggregator"

/* Every Victron service's bus name is in this namespace. */
#define NAMES_VICTRON_NAMESPACE "com.victronenergy"
#define NAMES_VICTRON_PREFIX NAMES_VICTRON_NAMESPACE "."

/* Every battery service's bus name starts with this. */
#define NAMES_BATTERY_PREFIX NAMES_VICTRON_PREFIX "battery."

/* The interface of every value object (VICTRON-DBUS.md), and of the
 * settings service's root. */
#define NAMES_BUSITEM_IFACE NAMES_VICTRON_PREFIX "BusItem"
#define NAMES_SETTINGS_IFACE NAMES_VICTRON_PREFIX "Settings"

/* The D-Bus limit on the length of a bus name, in bytes. */
#define NAMES_BUS_NAME_MAX 255

/* Whether c may appear in an element of a bus name: [A-Za-z0-9_-]. */
bool names_is_bus_name_char(char c);

/* NULL when name is a well-known bus name as the bus itself checks it (the
 * D-Bus specification): at most 255 bytes; two or more elements separated
 * by '.', none empty; each element of [A-Za-z0-9_-] and not starting with a
 * digit.  Otherwise (transfer full) a phrase saying why not, for a message:
 * "element \"1x\" starts with a digit". */
char *names_bus_name_problem(const char *name);

/* NULL when name is a battery service batagg can publish: it starts with
 * NAMES_BATTERY_PREFIX, has more after it, and is a bus name; otherwise
 * (transfer full) why not. */
char *names_battery_service_problem(const char *name);

/* The last element of a bus name (borrowed from name): "house-bank" for
 * "com.victronenergy.battery.house-bank"; name itself when it has no '.'. */
const char *names_last_part(const char *name);

/* text as one element of an object path, by a rule that is injective (two
 * different texts never give the same element) and keeps every element the
 * Python daemon could use:
 *   - text that starts with a letter and has only [A-Za-z0-9_] is kept;
 *   - any other text becomes "0" followed by text with each byte outside
 *     [A-Za-z0-9] written as '_' and two lowercase hex digits
 *     ("house-bank" -> "0house_2dbank", "" -> "0").
 * Kept elements start with a letter and escaped ones with '0', so the two
 * never meet; the result is never empty and never starts with '_' (which
 * localsettings refuses in a setting's path).  Returns (transfer full). */
char *names_path_element(const char *text);

/* The part of a battery service's name after NAMES_BATTERY_PREFIX (borrowed
 * from service): "site.house" for "com.victronenergy.battery.site.house";
 * service itself when it does not start with the prefix. */
const char *names_battery_tail(const char *service);

/* The localsettings device id of a published service (the element of
 * /Settings/Devices/<id>/ClassAndVrmInstance) and its preferred device
 * instance, which localsettings moves up to the next free one when another
 * battery has it:
 *   - the aggregate under the default name (BATAGG_DEFAULT_SERVICE):
 *     "BatteryAggregator" and 1024, the Python daemon's;
 *   - an aggregate under any other name: "BatteryAggregator_" followed by
 *     the name's tail (names_battery_tail(), dots and all) as a path element
 *     (names_path_element()), and 1025 + n % 31, where n is the first byte
 *     of the SHA-1 of the tail: "house" -> "BatteryAggregator_house",
 *     "site.house" -> "BatteryAggregator_0site_2ehouse".  Two bus names
 *     never share an id, and the instance stays between the default
 *     aggregate's and the virtual batteries';
 *   - a virtual battery: "virtbatt_<n>" and 1056 + n, where n is the first
 *     byte of the SHA-1 of the last part of its name (the Python daemon's
 *     numbering).
 * Returns (transfer full) the id; *instance is set. */
char *names_settings_device(const char *service, bool aggregate, int *instance);

/* The group under /Settings/Battery of a published service's custom name:
 * the last part of its name as a path element (names_path_element()).
 * Returns (transfer full). */
char *names_settings_name_group(const char *service);

/* "/Settings/Devices/<device>/ClassAndVrmInstance" (transfer full). */
char *names_instance_setting(const char *device);

/* "/Settings/Battery/<name_group>/CustomName" (transfer full). */
char *names_name_setting(const char *name_group);

#endif
