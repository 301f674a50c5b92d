/* SPDX-License-Identifier: MIT */
/*
 * Identity: two batagg processes with different serviceNames on one bus
 * (multi-level aggregation: the default aggregate, and "house" made of it
 * and a virtual battery) each have their own device instance and settings,
 * the default-named one at the Python daemon's paths and instance 1024, and
 * each keeps its instance across a restart.  The simulated localsettings
 * keeps device instances unique within a class as the real one does; the
 * first test checks that it does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>
#include <sys/wait.h>

#include "bus/dbus_value.h"
#include "harness.h"

#define B "com.victronenergy.battery."
#define AGG B "aggregator"
#define HOUSE B "house"
#define HV B "housevirt"
#define S1 B "ttyS1"
#define S2 B "ttyS2"
#define S3 B "ttyS3"
#define SETTINGS "com.victronenergy.settings"
#define DEVICES "/Settings/Devices/"
#define AGG_INSTANCE DEVICES "BatteryAggregator/ClassAndVrmInstance"
#define HOUSE_INSTANCE DEVICES "BatteryAggregator_house/ClassAndVrmInstance"
#define WAIT_MS 10000

static const char scenario[] =
        "{\"batteries\": {"
        " \"" S1 "\": {\"/Dc/0/Voltage\": 53.1, \"/Dc/0/Current\": 10.0, \"/Soc\": 80.0},"
        " \"" S2 "\": {\"/Dc/0/Voltage\": 53.3, \"/Dc/0/Current\": 5.0, \"/Soc\": 70.0},"
        " \"" S3 "\": {\"/Dc/0/Voltage\": 13.2, \"/Dc/0/Current\": 2.0, \"/Soc\": 60.0}}}";

/* The default aggregate: the bank of S1 and S2. */
static const char agg_config[] = "{\"excludedServices\": [\"" HOUSE "\", \"" HV "\", \"" S3 "\"]}";
/* The house: the default aggregate and a virtual battery of S3. */
static const char house_config[] = "{\"serviceName\": \"" HOUSE "\",\n"
                                   " \"excludedServices\": [\"" S1 "\", \"" S2 "\"],\n"
                                   " \"virtualBatteries\": {\"" HV "\": [\"" S3 "\"]}}";

static Harness *with_batteries(int *sim)
{
	Harness *h = harness_new();
	char *argv[] = {(char *)harness_env("BATSIM"),
	                (char *)harness_write_file(h, "scenario.json", scenario), NULL};

	harness_spawn(h, argv, sim);
	assert_true(harness_wait_name(h, S1, WAIT_MS));
	assert_true(harness_wait_name(h, SETTINGS, WAIT_MS));
	return h;
}

/* ---- the simulated localsettings ---------------------------------------- */

/* AddSetting(group, name, default, "s", 0, 0) on the settings service;
 * returns its result, or -1000 on a D-Bus error. */
static int add_setting(Harness *h, const char *group, const char *name, const char *def)
{
	DBusMessage *msg = dbus_message_new_method_call(SETTINGS, "/Settings",
	                                                "com.victronenergy.Settings", "AddSetting");
	DBusMessageIter it;
	Value text = value_text(def);
	Value zero = value_int(0);

	dbus_message_iter_init_append(msg, &it);
	dbus_value_append_string(&it, group);
	dbus_value_append_string(&it, name);
	dbus_value_append_variant(&it, &text);
	dbus_value_append_string(&it, "s");
	dbus_value_append_variant(&it, &zero);
	dbus_value_append_variant(&it, &zero);
	value_clear(&text);
	return harness_call_int(h, msg);
}

/* Adds Devices/<device>/ClassAndVrmInstance with default def. */
static int add_instance(Harness *h, const char *device, const char *def)
{
	g_autofree char *group = g_strdup_printf("Devices/%s", device);

	return add_setting(h, group, "ClassAndVrmInstance", def);
}

static int set_instance(Harness *h, const char *device, const char *value)
{
	g_autofree char *path = g_strdup_printf(DEVICES "%s/ClassAndVrmInstance", device);
	Value v = value_text(value);
	int rc = harness_set_value(h, SETTINGS, path, &v);

	value_clear(&v);
	return rc;
}

static void expect_instance(Harness *h, const char *device, const char *text)
{
	g_autofree char *path = g_strdup_printf(DEVICES "%s/ClassAndVrmInstance", device);

	harness_expect_text(h, SETTINGS, path, text);
}

/* localsettings (its DevicesGroup and ClassAndVrmInstance setting) keeps
 * every device's instance unique within its class: a new device takes the
 * next free instance from the one it asks for, an existing one keeps its
 * own unless it is added with another default while another device has
 * it, and a SetValue to a taken one stores the next free one. */
static void test_simulated_localsettings_keeps_instances_unique(void **state)
{
	int sim;
	Harness *h = with_batteries(&sim);

	assert_int_equal(add_instance(h, "a", "battery:5"), 0);
	expect_instance(h, "a", "battery:5");
	assert_int_equal(add_instance(h, "b", "battery:5"), 0);
	expect_instance(h, "b", "battery:6");
	assert_int_equal(add_instance(h, "c", "battery:5"), 0);
	expect_instance(h, "c", "battery:7");
	/* Another class has its own instances. */
	assert_int_equal(add_instance(h, "d", "vebus:5"), 0);
	expect_instance(h, "d", "vebus:5");
	/* Added again, as at every start: kept. */
	assert_int_equal(add_instance(h, "b", "battery:5"), 0);
	expect_instance(h, "b", "battery:6");
	/* Added with another default: kept while no other device has it. */
	assert_int_equal(add_instance(h, "b", "battery:100"), 0);
	expect_instance(h, "b", "battery:6");
	/* A write of a taken instance stores the next free one (its own
	 * counts as free); a write of its own value changes nothing. */
	assert_int_equal(set_instance(h, "a", "battery:6"), 0);
	expect_instance(h, "a", "battery:8");
	assert_int_equal(set_instance(h, "c", "battery:5"), 0);
	expect_instance(h, "c", "battery:5");
	assert_int_equal(set_instance(h, "c", "battery:5"), 0);
	expect_instance(h, "c", "battery:5");
	/* Not "class:number": refused, as a default and as a value. */
	assert_int_equal(add_instance(h, "e", "battery"), -6);
	assert_int_equal(add_instance(h, "e", "battery:x"), -6);
	assert_int_not_equal(set_instance(h, "a", "nonsense"), 0);
	expect_instance(h, "a", "battery:8");
	/* A duplicate made behind its back (an edited settings file) is kept
	 * when added with the same default, and moved when added with
	 * another. */
	harness_send(sim, "settings " DEVICES "c/ClassAndVrmInstance \"battery:6\"");
	expect_instance(h, "c", "battery:6");
	assert_int_equal(add_instance(h, "c", "battery:5"), 0);
	expect_instance(h, "c", "battery:6");
	assert_int_equal(add_instance(h, "c", "battery:50"), 0);
	expect_instance(h, "c", "battery:7");
	harness_free(h);
}

/* ---- two aggregates ------------------------------------------------------ */

static GPid start_batagg(Harness *h, const char *config_name, const char *config_text,
                         const char *service)
{
	const char *config = harness_write_file(h, config_name, config_text);
	char *argv[] = {(char *)harness_env("BATAGG"), (char *)"--config", (char *)config, NULL};
	GPid pid = harness_spawn(h, argv, NULL);

	if (!harness_wait_name(h, service, WAIT_MS))
		fail_msg("%s never came on the bus", service);
	return pid;
}

static void stop_batagg(Harness *h, GPid pid, const char *service)
{
	int status = harness_terminate(h, pid, WAIT_MS);

	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The bus releases the name when it sees the connection close. */
	for (int i = 0; i < WAIT_MS / 50 && harness_has_name(h, service); i++)
		g_usleep(50 * 1000);
	assert_false(harness_has_name(h, service));
}

static int device_instance(Harness *h, const char *service)
{
	Value v = VALUE_INIT;
	double x = -1;

	/* Published once localsettings has answered: wait for a number. */
	for (int i = 0; i < WAIT_MS / 50; i++) {
		if (harness_get_value(h, service, "/DeviceInstance", &v) && value_number(&v, &x))
			break;
		g_usleep(50 * 1000);
	}
	value_clear(&v);
	if (x < 0)
		fail_msg("%s has no /DeviceInstance", service);
	return (int)x;
}

static void expect_number(Harness *h, const char *service, const char *path, double x)
{
	if (!harness_wait_number(h, service, path, x, WAIT_MS))
		fail_msg("%s %s never became %g", service, path, x);
}

/* Every setting localsettings has whose path ends with suffix: path ->
 * its text (transfer full). */
static GHashTable *settings_ending(Harness *h, const char *suffix)
{
	GHashTable *found = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	DBusMessage *reply = harness_call(h, SETTINGS, "/", "GetItems");
	DBusMessageIter it, items, entry, props, prop;

	assert_non_null(reply);
	assert_int_equal(dbus_message_get_type(reply), DBUS_MESSAGE_TYPE_METHOD_RETURN);
	dbus_message_iter_init(reply, &it);
	for (dbus_message_iter_recurse(&it, &items);
	     dbus_message_iter_get_arg_type(&items) == DBUS_TYPE_DICT_ENTRY;
	     dbus_message_iter_next(&items)) {
		const char *path, *key;

		dbus_message_iter_recurse(&items, &entry);
		dbus_message_iter_get_basic(&entry, &path);
		if (!g_str_has_suffix(path, suffix))
			continue;
		dbus_message_iter_next(&entry);
		for (dbus_message_iter_recurse(&entry, &props);
		     dbus_message_iter_get_arg_type(&props) == DBUS_TYPE_DICT_ENTRY;
		     dbus_message_iter_next(&props)) {
			Value v = VALUE_INIT;

			dbus_message_iter_recurse(&props, &prop);
			dbus_message_iter_get_basic(&prop, &key);
			dbus_message_iter_next(&prop);
			dbus_value_read(&prop, &v);
			if (strcmp(key, "Value") == 0 && v.type == VALUE_TEXT)
				g_hash_table_replace(found, g_strdup(path), g_strdup(v.u.s));
			value_clear(&v);
		}
	}
	dbus_message_unref(reply);
	return found;
}

static int sha1_byte(const char *text)
{
	g_autofree char *sha = g_compute_checksum_for_string(G_CHECKSUM_SHA1, text, -1);

	return g_ascii_xdigit_value(sha[0]) * 16 + g_ascii_xdigit_value(sha[1]);
}

/* The default aggregate and "house" (started first, so that it could take
 * 1024 first): three devices, three instances, three settings of each. */
static void test_two_aggregates_have_their_own_identity(void **state)
{
	int sim;
	Harness *h = with_batteries(&sim);
	GPid house = start_batagg(h, "house.json", house_config, HOUSE);
	GPid agg = start_batagg(h, "agg.json", agg_config, AGG);
	g_autofree char *hv_setting =
	        g_strdup_printf(DEVICES "virtbatt_%d/ClassAndVrmInstance", sha1_byte("housevirt"));
	g_autoptr(GHashTable) instances = NULL;
	g_autoptr(GHashTable) names = NULL;
	g_autofree char *house_text = NULL;
	int agg_i, house_i, hv_i;
	Value name = value_text("House bank");

	/* Multi-level: the house has the aggregate (S1 + S2) and S3. */
	expect_number(h, AGG, "/Dc/0/Current", 15.0);
	expect_number(h, HV, "/Dc/0/Current", 2.0);
	expect_number(h, HOUSE, "/Dc/0/Current", 17.0);

	/* The default name keeps the Python daemon's instance and paths. */
	agg_i = device_instance(h, AGG);
	house_i = device_instance(h, HOUSE);
	hv_i = device_instance(h, HV);
	print_message("# device instances: aggregator %d, house %d, housevirt %d\n", agg_i, house_i,
	              hv_i);
	assert_int_equal(agg_i, 1024);
	if (house_i == agg_i || house_i == hv_i || agg_i == hv_i)
		fail_msg("the aggregates share a device instance: aggregator %d, house %d, "
		         "housevirt %d",
		         agg_i, house_i, hv_i);
	assert_int_equal(hv_i, 1056 + sha1_byte("housevirt"));
	harness_expect_text(h, SETTINGS, AGG_INSTANCE, "battery:1024");
	house_text = g_strdup_printf("battery:%d", house_i);
	harness_expect_text(h, SETTINGS, HOUSE_INSTANCE, house_text);

	/* Each has settings of its own, and no others are registered. */
	instances = settings_ending(h, "/ClassAndVrmInstance");
	assert_int_equal(g_hash_table_size(instances), 3);
	assert_string_equal(g_hash_table_lookup(instances, AGG_INSTANCE), "battery:1024");
	assert_string_equal(g_hash_table_lookup(instances, HOUSE_INSTANCE), house_text);
	assert_non_null(g_hash_table_lookup(instances, hv_setting));
	names = settings_ending(h, "/CustomName");
	assert_int_equal(g_hash_table_size(names), 3);
	assert_true(g_hash_table_contains(names, "/Settings/Battery/aggregator/CustomName"));
	assert_true(g_hash_table_contains(names, "/Settings/Battery/house/CustomName"));
	assert_true(g_hash_table_contains(names, "/Settings/Battery/housevirt/CustomName"));
	assert_int_equal(harness_set_value(h, HOUSE, "/CustomName", &name), 0);
	harness_expect_text(h, SETTINGS, "/Settings/Battery/house/CustomName", "House bank");
	harness_expect_text(h, AGG, "/CustomName", "");

	/* A restart keeps the instance and the name. */
	stop_batagg(h, house, HOUSE);
	house = start_batagg(h, "house.json", house_config, HOUSE);
	assert_int_equal(device_instance(h, HOUSE), house_i);
	harness_expect_text(h, HOUSE, "/CustomName", "House bank");
	stop_batagg(h, agg, AGG);
	agg = start_batagg(h, "agg.json", agg_config, AGG);
	assert_int_equal(device_instance(h, AGG), 1024);
	harness_expect_text(h, SETTINGS, AGG_INSTANCE, "battery:1024");

	/* The user gives the house the aggregate's instance (the device
	 * list's "Device instance"): localsettings makes it the next free
	 * one, the house follows, and keeps it across a restart. */
	assert_int_equal(set_instance(h, "BatteryAggregator_house", "battery:1024"), 0);
	harness_expect_text(h, SETTINGS, HOUSE_INSTANCE, "battery:1025");
	expect_number(h, HOUSE, "/DeviceInstance", 1025);
	expect_number(h, AGG, "/DeviceInstance", 1024);
	stop_batagg(h, house, HOUSE);
	house = start_batagg(h, "house.json", house_config, HOUSE);
	assert_int_equal(device_instance(h, HOUSE), 1025);
	harness_expect_text(h, SETTINGS, HOUSE_INSTANCE, "battery:1025");
	assert_int_equal(device_instance(h, AGG), 1024);

	stop_batagg(h, house, HOUSE);
	stop_batagg(h, agg, AGG);
	value_clear(&name);
	harness_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_simulated_localsettings_keeps_instances_unique),
	        cmocka_unit_test(test_two_aggregates_have_their_own_identity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
