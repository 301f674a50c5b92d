/* SPDX-License-Identifier: MIT */
/*
 * The BusItem publisher as Venus OS clients see it (VICTRON-DBUS.md), on a
 * service the simulator publishes with it: values, texts, the tree on "/"
 * and intermediate nodes, writes, errors, and exactly one ItemsChanged per
 * step plus one PropertiesChanged per changed leaf.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "bus/dbus_value.h"
#include "harness.h"

#define S1 "com.victronenergy.battery.ttyS1"
#define WAIT_MS 10000

static const char scenario[] =
        "{\"batteries\": {\"" S1 "\": {\"/Dc/0/Voltage\": 53.1, \"/Dc/0/Current\": 10.5,"
        " \"/Soc\": 80, \"/CustomName\": \"Rack A\", \"/Info/ChargeMode\": \"Bulk\","
        " \"/TimeToGo\": null}}}";

typedef struct {
	Harness *h;
	int sim;
} Fixture;

static int setup(void **state)
{
	Fixture *f = g_new0(Fixture, 1);
	char *argv[] = {(char *)harness_env("BATSIM"), NULL, NULL};

	f->h = harness_new();
	argv[1] = (char *)harness_write_file(f->h, "scenario.json", scenario);
	harness_spawn(f->h, argv, &f->sim);
	assert_true(harness_wait_name(f->h, S1, WAIT_MS));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	Fixture *f = *state;

	harness_free(f->h);
	g_free(f);
	return 0;
}

static const char *reply_signature(DBusMessage *m)
{
	return m ? dbus_message_get_signature(m) : "(no reply)";
}

static void test_leaf_values_and_texts(void **state)
{
	Fixture *f = *state;
	Value v = VALUE_INIT;
	char *text;

	assert_true(harness_get_value(f->h, S1, "/Dc/0/Voltage", &v));
	assert_int_equal(v.type, VALUE_DOUBLE);
	assert_true(harness_get_value(f->h, S1, "/Soc", &v));
	assert_int_equal(v.type, VALUE_INT);
	/* Invalid is an empty array of int32. */
	{
		DBusMessage *r = harness_call(f->h, S1, "/TimeToGo", "GetValue");
		DBusMessageIter it, var;
		dbus_message_iter_init(r, &it);
		char *sig;

		dbus_message_iter_recurse(&it, &var);
		sig = dbus_message_iter_get_signature(&var);
		assert_string_equal(sig, "ai");
		dbus_free(sig);
		dbus_message_unref(r);
	}
	text = harness_get_text(f->h, S1, "/TimeToGo");
	assert_string_equal(text, "---");
	g_free(text);
	text = harness_get_text(f->h, S1, "/Info/ChargeMode");
	assert_string_equal(text, "Bulk");
	g_free(text);
	value_clear(&v);
}

static void test_tree_on_root_and_nodes(void **state)
{
	Fixture *f = *state;
	DBusMessage *r;

	r = harness_call(f->h, S1, "/", "GetValue");
	assert_string_equal(reply_signature(r), "v");
	dbus_message_unref(r);
	r = harness_call(f->h, S1, "/", "GetItems");
	assert_string_equal(reply_signature(r), "a{sa{sv}}");
	dbus_message_unref(r);
	r = harness_call(f->h, S1, "/Dc", "GetText");
	assert_string_equal(reply_signature(r), "v");
	dbus_message_unref(r);
	r = harness_call(f->h, S1, "/Nope", "GetValue");
	assert_int_equal(dbus_message_get_type(r), DBUS_MESSAGE_TYPE_ERROR);
	assert_string_equal(dbus_message_get_error_name(r), DBUS_ERROR_UNKNOWN_OBJECT);
	dbus_message_unref(r);
	r = harness_call(f->h, S1, "/Soc", "Frobnicate");
	assert_string_equal(dbus_message_get_error_name(r), DBUS_ERROR_UNKNOWN_METHOD);
	dbus_message_unref(r);
}

/* What dbus-send, the tool users reach for, prints. */
static void test_dbus_send(void **state)
{
	Fixture *f = *state;
	char *argv[] = {(char *)"dbus-send",
	                (char *)"--session",
	                (char *)"--print-reply",
	                (char *)"--dest=" S1,
	                (char *)"/Dc/0",
	                (char *)"com.victronenergy.BusItem.GetValue",
	                NULL};
	g_autofree char *out = NULL;
	int status;

	(void)f;
	assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL,
	                         &status, NULL));
	assert_int_equal(status, 0);
	assert_non_null(strstr(out, "string \"Voltage\""));
	assert_non_null(strstr(out, "double 53.1"));
	assert_non_null(strstr(out, "string \"Current\""));
	assert_null(strstr(out, "Soc"));
}

static void test_writes(void **state)
{
	Fixture *f = *state;
	Value name = value_text("Rack B");
	Value number = value_int(5);

	assert_int_equal(harness_set_value(f->h, S1, "/CustomName", &name), 0);
	assert_true(harness_wait_value(f->h, S1, "/CustomName", &name, WAIT_MS));
	/* Refused writes change nothing. */
	assert_int_not_equal(harness_set_value(f->h, S1, "/CustomName", &number), 0);
	assert_int_not_equal(harness_set_value(f->h, S1, "/Soc", &number), 0);
	assert_true(harness_wait_value(f->h, S1, "/CustomName", &name, WAIT_MS));
	value_clear(&name);
}

/* Counts the BusItem signals the client receives within ms. */
static void count_signals(DBusConnection *c, int ms, int *items, int *entries, int *props)
{
	gint64 end = g_get_monotonic_time() + ms * 1000;

	*items = *entries = *props = 0;
	while (g_get_monotonic_time() < end) {
		DBusMessage *m;

		dbus_connection_read_write(c, 50);
		while ((m = dbus_connection_pop_message(c))) {
			if (dbus_message_is_signal(m, "com.victronenergy.BusItem",
			                           "ItemsChanged")) {
				DBusMessageIter it, dict;

				(*items)++;
				dbus_message_iter_init(m, &it);
				dbus_message_iter_recurse(&it, &dict);
				while (dbus_message_iter_get_arg_type(&dict) ==
				       DBUS_TYPE_DICT_ENTRY) {
					(*entries)++;
					dbus_message_iter_next(&dict);
				}
			} else if (dbus_message_is_signal(m, "com.victronenergy.BusItem",
			                                  "PropertiesChanged")) {
				(*props)++;
			}
			dbus_message_unref(m);
		}
	}
}

static void test_one_items_changed_per_step(void **state)
{
	Fixture *f = *state;
	DBusConnection *c = harness_conn(f->h);
	int items, entries, props;

	/* Only S1's signals: the simulated settings and system services may still
	 * be announcing their own start-up values on a slow (emulated) machine. */
	dbus_bus_add_match(c, "type='signal',sender='" S1 "',interface='com.victronenergy.BusItem'",
	                   NULL);
	harness_send(f->sim, "setmany " S1 " {\"/Dc/0/Voltage\": 53.4, \"/Dc/0/Current\": -3.0,"
	                     " \"/Soc\": 79}");
	count_signals(c, 700, &items, &entries, &props);
	assert_int_equal(items, 1);
	assert_int_equal(entries, 3);
	assert_int_equal(props, 3);
	/* Setting equal values is no change: no signal at all. */
	harness_send(f->sim, "setmany " S1 " {\"/Dc/0/Voltage\": 53.4, \"/Soc\": 79}");
	count_signals(c, 700, &items, &entries, &props);
	assert_int_equal(items + props, 0);
	/* A publisher imitating older ones: PropertiesChanged only. */
	harness_send(f->sim, "props " S1 " /Soc 78");
	count_signals(c, 700, &items, &entries, &props);
	assert_int_equal(items, 0);
	assert_int_equal(props, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_leaf_values_and_texts, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_tree_on_root_and_nodes, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_dbus_send, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_writes, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_one_items_changed_per_step, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
