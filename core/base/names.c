/* SPDX-License-Identifier: MIT */
/*
 * Victron names.  The bus aborts a program (libdbus asserts) that asks for
 * an invalid bus name or sends to an invalid object path, so every name from
 * the config is checked here the way the bus checks it, and every path made
 * from a name goes through names_path_element().
 */
#include "base/names.h"

#include <glib.h>
#include <string.h>

#define AGGREGATE_DEVICE "BatteryAggregator"
#define AGGREGATE_INSTANCE 1024
#define VIRTUAL_INSTANCE_BASE 1056
/* Aggregates under other names: 1025 to 1055, between the two. */
#define OTHER_AGGREGATE_BASE (AGGREGATE_INSTANCE + 1)
#define OTHER_AGGREGATE_SLOTS (VIRTUAL_INSTANCE_BASE - OTHER_AGGREGATE_BASE)

bool names_is_bus_name_char(char c)
{
	return g_ascii_isalnum(c) || c == '_' || c == '-';
}

static char *show_byte(unsigned char c)
{
	if (c >= 0x20 && c < 0x7f)
		return g_strdup_printf("the character '%c'", c);
	return g_strdup_printf("the byte 0x%02x", c);
}

char *names_bus_name_problem(const char *name)
{
	size_t len = strlen(name);
	const char *element = name;
	int elements = 0;

	if (len > NAMES_BUS_NAME_MAX)
		return g_strdup_printf("it has %zu bytes, more than the %d a bus name may have",
		                       len, NAMES_BUS_NAME_MAX);
	for (;;) {
		size_t n = strcspn(element, ".");

		if (n == 0)
			return g_strdup("it has an empty element (a '.' at the start or the end, "
			                "or two in a row)");
		for (size_t i = 0; i < n; i++) {
			if (!names_is_bus_name_char(element[i])) {
				g_autofree char *what = show_byte((unsigned char)element[i]);

				return g_strdup_printf("it has %s (a bus name has only A-Z, a-z, "
				                       "0-9, '_', '-' and '.')",
				                       what);
			}
		}
		if (g_ascii_isdigit(element[0]))
			return g_strdup_printf("element \"%.*s\" starts with a digit", (int)n,
			                       element);
		elements++;
		if (!element[n])
			break;
		element += n + 1;
	}
	if (elements < 2)
		return g_strdup("it has only one element (a bus name has at least one '.')");
	return NULL;
}

char *names_battery_service_problem(const char *name)
{
	if (!g_str_has_prefix(name, NAMES_BATTERY_PREFIX))
		return g_strdup("it must start with \"" NAMES_BATTERY_PREFIX "\"");
	if (!name[strlen(NAMES_BATTERY_PREFIX)])
		return g_strdup("it has nothing after \"" NAMES_BATTERY_PREFIX "\"");
	return names_bus_name_problem(name);
}

const char *names_last_part(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot ? dot + 1 : name;
}

static bool kept(const char *text)
{
	if (!g_ascii_isalpha(text[0]))
		return false;
	for (const char *s = text; *s; s++) {
		if (!g_ascii_isalnum(*s) && *s != '_')
			return false;
	}
	return true;
}

char *names_path_element(const char *text)
{
	GString *out;

	if (kept(text))
		return g_strdup(text);
	out = g_string_new("0");
	for (const unsigned char *s = (const unsigned char *)text; *s; s++) {
		if (g_ascii_isalnum(*s))
			g_string_append_c(out, (char)*s);
		else
			g_string_append_printf(out, "_%02x", *s);
	}
	return g_string_free(out, FALSE);
}

/* The first byte of the SHA-1 of text (the Python daemon's numbering). */
static int sha1_byte(const char *text)
{
	g_autofree char *sha = g_compute_checksum_for_string(G_CHECKSUM_SHA1, text, -1);

	return g_ascii_xdigit_value(sha[0]) * 16 + g_ascii_xdigit_value(sha[1]);
}

const char *names_battery_tail(const char *service)
{
	return g_str_has_prefix(service, NAMES_BATTERY_PREFIX)
	               ? service + strlen(NAMES_BATTERY_PREFIX)
	               : service;
}

char *names_settings_device(const char *service, bool aggregate, int *instance)
{
	int n;

	if (aggregate && strcmp(service, BATAGG_DEFAULT_SERVICE) == 0) {
		*instance = AGGREGATE_INSTANCE;
		return g_strdup(AGGREGATE_DEVICE);
	}
	if (aggregate) {
		const char *tail = names_battery_tail(service);
		g_autofree char *element = names_path_element(tail);

		*instance = OTHER_AGGREGATE_BASE + sha1_byte(tail) % OTHER_AGGREGATE_SLOTS;
		return g_strdup_printf("%s_%s", AGGREGATE_DEVICE, element);
	}
	n = sha1_byte(names_last_part(service));
	*instance = VIRTUAL_INSTANCE_BASE + n;
	return g_strdup_printf("virtbatt_%d", n);
}

char *names_settings_name_group(const char *service)
{
	return names_path_element(names_last_part(service));
}

char *names_instance_setting(const char *device)
{
	return g_strdup_printf("/Settings/Devices/%s/ClassAndVrmInstance", device);
}

char *names_name_setting(const char *name_group)
{
	return g_strdup_printf("/Settings/Battery/%s/CustomName", name_group);
}
