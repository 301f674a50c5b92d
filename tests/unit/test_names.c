/* SPDX-License-Identifier: MIT */
/*
 * Victron names: bus names are judged as libdbus judges them (it aborts a
 * program that uses an invalid one), and every settings path made from a
 * name is a valid object path, with the Python daemon's paths kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dbus/dbus.h>
#include <glib.h>
#include <string.h>

#include "config/config.h"
#include "base/names.h"

#define B NAMES_BATTERY_PREFIX

/* Odd names, and whether the bus takes each as a well-known name. */
static const struct {
	const char *name;
	bool valid;
} odd_names[] = {
        {B "aggregator", true},
        {B "ttyS1", true},
        {B "house-bank", true},
        {B "house_bank", true},
        {B "_x", true},
        {B "-x", true},
        {B "a.b", true},
        {B "x1", true},
        {B "1x", false},
        {B "a.1", false},
        {B "a..b", false},
        {B "a.", false},
        {B "", false},
        {B "a b", false},
        {B "a/b", false},
        {B "a:b", false},
        {B "a#b", false},
        {B "h\xc3\xa9", false},
        {".com.victronenergy.battery.x", false},
        {":1.42", false},
        {"a", false},
        {"", false},
        {"a.b", true},
};

static void test_bus_names_as_the_bus_checks_them(void **state)
{
	for (size_t i = 0; i < G_N_ELEMENTS(odd_names); i++) {
		g_autofree char *why = names_bus_name_problem(odd_names[i].name);

		if (odd_names[i].valid != (why == NULL))
			fail_msg("\"%s\": expected %s, got %s", odd_names[i].name,
			         odd_names[i].valid ? "valid" : "invalid", why ? why : "valid");
		/* libdbus also takes unique names (":1.42"), which no one can
		 * request. */
		if (odd_names[i].name[0] != ':' &&
		    (why == NULL) != (bool)dbus_validate_bus_name(odd_names[i].name, NULL))
			fail_msg("\"%s\": libdbus disagrees", odd_names[i].name);
	}
}

static void test_bus_name_length(void **state)
{
	/* 255 bytes is the most the bus takes. */
	for (size_t len = 250; len <= 260; len++) {
		g_autofree char *tail = g_strnfill(len - strlen(B), 'x');
		g_autofree char *name = g_strconcat(B, tail, NULL);
		g_autofree char *why = names_bus_name_problem(name);

		assert_int_equal(why == NULL, len <= 255);
		assert_int_equal(why == NULL, dbus_validate_bus_name(name, NULL));
	}
}

static void test_battery_services(void **state)
{
	static const struct {
		const char *name;
		const char *problem; /* NULL: a battery service */
	} cases[] = {
	        {B "house-bank", NULL},
	        {B "a.b", NULL},
	        {"com.victronenergy.vebus.x", "must start with"},
	        {B, "nothing after"},
	        {B "1x", "element \"1x\" starts with a digit"},
	        {B "a..b", "empty element"},
	        {B "x.", "empty element"},
	        {B "a b", "the character ' '"},
	        {B "h\xc3\xa9", "the byte 0xc3"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *why = names_battery_service_problem(cases[i].name);

		if (!cases[i].problem)
			assert_null(why);
		else if (!why || !strstr(why, cases[i].problem))
			fail_msg("\"%s\": expected '%s', got '%s'", cases[i].name, cases[i].problem,
			         why ? why : "valid");
	}
}

static void test_path_elements(void **state)
{
	static const struct {
		const char *text;
		const char *element;
	} cases[] = {
	        /* The Python daemon's names are kept... */
	        {"aggregator", "aggregator"},
	        {"virtual1", "virtual1"},
	        {"ttyS1", "ttyS1"},
	        {"house_bank", "house_bank"},
	        {"a_2db", "a_2db"},
	        /* ...everything else is escaped, after a '0'. */
	        {"house-bank", "0house_2dbank"},
	        {"a-b", "0a_2db"},
	        {"_x", "0_5fx"},
	        {"-", "0_2d"},
	        {"1x", "01x"},
	        {"a b", "0a_20b"},
	        {"h\xc3\xa9", "0h_c3_a9"},
	        {"", "0"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *e = names_path_element(cases[i].text);

		assert_string_equal(e, cases[i].element);
	}
}

/* Every text of up to four characters from an alphabet with each kind of
 * byte: the element is a valid path element that localsettings accepts,
 * and no two texts share one. */
static void test_path_elements_are_valid_and_injective(void **state)
{
	static const char alphabet[] = "aZ0_-.\xff";
	const size_t k = sizeof(alphabet) - 1;
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	size_t total = 0;

	for (size_t len = 0; len <= 4; len++) {
		size_t count = 1;

		for (size_t i = 0; i < len; i++)
			count *= k;
		for (size_t n = 0; n < count; n++) {
			char text[5] = {0};
			size_t x = n;
			char *e, *path;

			for (size_t i = 0; i < len; i++, x /= k)
				text[i] = alphabet[x % k];
			e = names_path_element(text);
			path = g_strdup_printf("/Settings/Battery/%s/CustomName", e);
			if (!dbus_validate_path(path, NULL) || e[0] == '_')
				fail_msg("\"%s\" -> \"%s\" is no valid path element", text, e);
			g_free(path);
			if (g_hash_table_contains(seen, e))
				fail_msg("\"%s\" and \"%s\" both give \"%s\"", text,
				         (char *)g_hash_table_lookup(seen, e), e);
			g_hash_table_insert(seen, e, g_strdup(text));
			total++;
		}
	}
	assert_int_equal(g_hash_table_size(seen), total);
}

static void test_settings_of_published_services(void **state)
{
	int instance = 0;
	g_autofree char *agg = names_settings_device(B "aggregator", true, &instance);
	g_autofree char *agg_group = names_settings_name_group(B "aggregator");
	g_autofree char *agg_name = names_name_setting(agg_group);
	g_autofree char *agg_instance = names_instance_setting(agg);
	g_autofree char *v1 = NULL, *dash = NULL, *dash_group = NULL, *dash_name = NULL;

	assert_string_equal(agg_instance,
	                    "/Settings/Devices/BatteryAggregator/ClassAndVrmInstance");
	assert_int_equal(instance, 1024);
	assert_string_equal(agg_name, "/Settings/Battery/aggregator/CustomName");
	/* The Python daemon's numbering: the first byte of SHA-1("virtual1"). */
	v1 = names_settings_device(B "virtual1", false, &instance);
	assert_string_equal(v1, "virtbatt_161");
	assert_int_equal(instance, 1056 + 0xa1);
	/* Only the last part counts. */
	g_free(v1);
	v1 = names_settings_device(B "x.virtual1", false, &instance);
	assert_string_equal(v1, "virtbatt_161");
	dash = names_settings_device(B "house-bank", false, &instance);
	assert_true(g_str_has_prefix(dash, "virtbatt_"));
	dash_group = names_settings_name_group(B "house-bank");
	dash_name = names_name_setting(dash_group);
	assert_string_equal(dash_name, "/Settings/Battery/0house_2dbank/CustomName");
}

static void test_battery_tail(void **state)
{
	assert_string_equal(names_battery_tail(B "house"), "house");
	assert_string_equal(names_battery_tail(B "site.house"), "site.house");
	assert_string_equal(names_battery_tail("com.victronenergy.vebus.x"),
	                    "com.victronenergy.vebus.x");
}

/* Each aggregate has its own device: the default name keeps the Python
 * daemon's, any other name gets one of its own and an instance between
 * 1025 and 1055. */
static void test_settings_of_other_aggregates(void **state)
{
	static const struct {
		const char *service;
		const char *device;
		int instance; /* 1025 + (the first byte of the tail's SHA-1) % 31 */
	} cases[] = {
	        {BATAGG_DEFAULT_SERVICE, "BatteryAggregator", 1024},
	        {B "house", "BatteryAggregator_house", 1025 + 0x5b % 31},
	        {B "site.house", "BatteryAggregator_0site_2ehouse", 1025 + 0xb6 % 31},
	        {B "house-bank", "BatteryAggregator_0house_2dbank", 1025 + 0xd3 % 31},
	        /* Not the default name, though its last part is. */
	        {B "x.aggregator", "BatteryAggregator_0x_2eaggregator", 1025 + 0x14 % 31},
	        {B "aggregator2", "BatteryAggregator_aggregator2", 1025 + 0xf4 % 31},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		int instance = 0;
		g_autofree char *device = names_settings_device(cases[i].service, true, &instance);
		g_autofree char *path = names_instance_setting(device);

		assert_string_equal(device, cases[i].device);
		assert_int_equal(instance, cases[i].instance);
		assert_true(dbus_validate_path(path, NULL));
	}
	/* The default name as a virtual battery's is numbered as one. */
	{
		int instance = 0;
		g_autofree char *v =
		        names_settings_device(BATAGG_DEFAULT_SERVICE, false, &instance);

		assert_string_equal(v, "virtbatt_226");
		assert_int_equal(instance, 1056 + 226);
	}
}

/* Every aggregate name of up to three parts of up to two characters from an
 * alphabet with each kind of byte a bus name may have: its device is a
 * valid path element localsettings accepts, no two names share one, none
 * is the default aggregate's or a virtual battery's, and the instance is
 * in 1025..1055. */
static void test_aggregate_devices_are_valid_and_distinct(void **state)
{
	static const char *const parts[] = {"a", "Z", "_", "-", "a0", "a-", "_a", "-_", "ab"};
	const size_t k = G_N_ELEMENTS(parts);
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	size_t total = 0;

	for (size_t n = 0; n < k + k * k + k * k * k; n++) {
		g_autoptr(GString) name = g_string_new(B);
		size_t x = n, len = n < k ? 1 : n < k + k * k ? 2 : 3;
		g_autofree char *why = NULL;
		char *device, *path;
		int instance = 0;

		x -= len == 1 ? 0 : len == 2 ? k : k + k * k;
		for (size_t i = 0; i < len; i++, x /= k)
			g_string_append_printf(name, "%s%s", i ? "." : "", parts[x % k]);
		why = names_battery_service_problem(name->str);
		assert_null(why);
		device = names_settings_device(name->str, true, &instance);
		path = names_instance_setting(device);
		if (!dbus_validate_path(path, NULL) || strstr(path, "/_"))
			fail_msg("\"%s\" -> \"%s\" is no valid setting", name->str, path);
		g_free(path);
		assert_true(g_str_has_prefix(device, "BatteryAggregator_"));
		assert_true(instance >= 1025 && instance <= 1055);
		if (g_hash_table_contains(seen, device))
			fail_msg("\"%s\" and \"%s\" both give \"%s\"", name->str,
			         (char *)g_hash_table_lookup(seen, device), device);
		g_hash_table_insert(seen, device, g_strdup(name->str));
		total++;
	}
	assert_int_equal(g_hash_table_size(seen), total);
	assert_true(total > 700);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_bus_names_as_the_bus_checks_them),
	        cmocka_unit_test(test_bus_name_length),
	        cmocka_unit_test(test_battery_services),
	        cmocka_unit_test(test_path_elements),
	        cmocka_unit_test(test_path_elements_are_valid_and_injective),
	        cmocka_unit_test(test_settings_of_published_services),
	        cmocka_unit_test(test_battery_tail),
	        cmocka_unit_test(test_settings_of_other_aggregates),
	        cmocka_unit_test(test_aggregate_devices_are_valid_and_distinct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
