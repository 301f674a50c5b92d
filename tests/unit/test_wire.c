/* SPDX-License-Identifier: MIT */
/* BusItem message bodies (items.c) and match rules (match.c), on messages
 * built without a bus. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "bus/dbus_value.h"
#include "bus/items.h"
#include "bus/match.h"
#include "base/names.h"

static DBusMessage *signal_at(const char *path, const char *member)
{
	return dbus_message_new_signal(path, NAMES_BUSITEM_IFACE, member);
}

static const PathValue *item(GArray *items, guint i)
{
	assert_true(i < items->len);
	return &g_array_index(items, PathValue, i);
}

/* What batagg sends as ItemsChanged, it reads back as it was. */
static void test_changes_round_trip(void **state)
{
	DBusMessage *msg = signal_at("/", "ItemsChanged");
	DBusMessageIter it, dict;
	Value volts = value_double(53.25), none = VALUE_INIT, name = value_text("House");
	g_autoptr(GArray) items = items_new();

	dbus_message_iter_init_append(msg, &it);
	dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "{sa{sv}}", &dict);
	items_append_entry(&dict, "/Dc/0/Voltage", &volts, "53.25V");
	items_append_entry(&dict, "/Soc", &none, "");
	items_append_entry(&dict, "/CustomName", &name, "House");
	dbus_message_iter_close_container(&it, &dict);

	assert_true(items_read_changes(msg, items));
	assert_int_equal(items->len, 3);
	assert_string_equal(item(items, 0)->path, "/Dc/0/Voltage");
	assert_true(value_equal(&item(items, 0)->value, &volts));
	assert_int_equal(item(items, 1)->value.type, VALUE_INVALID);
	assert_string_equal(item(items, 2)->value.u.s, "House");

	/* Another signature: nothing read. */
	g_array_set_size(items, 0);
	dbus_message_unref(msg);
	msg = signal_at("/", "ItemsChanged");
	dbus_message_append_args(msg, DBUS_TYPE_STRING, &(const char *){"x"}, DBUS_TYPE_INVALID);
	assert_false(items_read_changes(msg, items));
	assert_int_equal(items->len, 0);
	dbus_message_unref(msg);
	value_clear(&name);
}

/* An entry without "Value" is left out; "Text" alone says nothing. */
static void test_entry_without_value(void **state)
{
	DBusMessage *msg = signal_at("/", "ItemsChanged");
	DBusMessageIter it, outer, entry, props, prop;
	Value text = value_text("12 %");
	g_autoptr(GArray) items = items_new();

	dbus_message_iter_init_append(msg, &it);
	dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "{sa{sv}}", &outer);
	dbus_message_iter_open_container(&outer, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
	dbus_value_append_string(&entry, "/Soc");
	dbus_message_iter_open_container(&entry, DBUS_TYPE_ARRAY, "{sv}", &props);
	dbus_message_iter_open_container(&props, DBUS_TYPE_DICT_ENTRY, NULL, &prop);
	dbus_value_append_string(&prop, "Text");
	dbus_value_append_variant(&prop, &text);
	dbus_message_iter_close_container(&props, &prop);
	dbus_message_iter_close_container(&entry, &props);
	dbus_message_iter_close_container(&outer, &entry);
	dbus_message_iter_close_container(&it, &outer);

	assert_true(items_read_changes(msg, items));
	assert_int_equal(items->len, 0);
	dbus_message_unref(msg);
	value_clear(&text);
}

/* PropertiesChanged: the value under the object's path. */
static void test_properties(void **state)
{
	DBusMessage *msg = signal_at("/Info/MaxChargeCurrent", "PropertiesChanged");
	DBusMessageIter it, props;
	Value amps = value_int(100);
	g_autoptr(GArray) items = items_new();

	dbus_message_iter_init_append(msg, &it);
	dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "{sv}", &props);
	items_append_properties(&props, &amps, "100A");
	dbus_message_iter_close_container(&it, &props);

	assert_true(items_read_properties(msg, items));
	assert_int_equal(items->len, 1);
	assert_string_equal(item(items, 0)->path, "/Info/MaxChargeCurrent");
	assert_true(value_equal(&item(items, 0)->value, &amps));
	assert_false(items_read_changes(msg, items));
	dbus_message_unref(msg);
}

/* GetValue on "/" from an older service: paths without their slash. */
static void test_tree_and_value_replies(void **state)
{
	DBusMessage *call = dbus_message_new_method_call("com.victronenergy.battery.x", "/",
	                                                 NAMES_BUSITEM_IFACE, "GetValue");
	DBusMessage *reply, *error;
	DBusMessageIter it, var, dict, entry;

	Value soc = value_double(81.5);
	g_autoptr(GArray) items = items_new();

	/* A reply needs the serial a sent call would have. */
	dbus_message_set_serial(call, 7);
	reply = dbus_message_new_method_return(call);
	error = dbus_message_new_error(call, DBUS_ERROR_UNKNOWN_OBJECT, "no");
	dbus_message_iter_init_append(reply, &it);

	dbus_message_iter_open_container(&it, DBUS_TYPE_VARIANT, "a{sv}", &var);
	dbus_message_iter_open_container(&var, DBUS_TYPE_ARRAY, "{sv}", &dict);
	dbus_message_iter_open_container(&dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
	dbus_value_append_string(&entry, "Soc");
	dbus_value_append_variant(&entry, &soc);
	dbus_message_iter_close_container(&dict, &entry);
	dbus_message_iter_close_container(&var, &dict);
	dbus_message_iter_close_container(&it, &var);

	items_read_tree(reply, items);
	assert_int_equal(items->len, 1);
	assert_string_equal(item(items, 0)->path, "/Soc");
	items_read_tree(error, items);
	assert_int_equal(items->len, 1);

	/* GetValue on a path: an error is an invalid value there. */
	items_read_value(error, "/Dc/0/Current", items);
	assert_int_equal(items->len, 2);
	assert_string_equal(item(items, 1)->path, "/Dc/0/Current");
	assert_int_equal(item(items, 1)->value.type, VALUE_INVALID);

	/* Copies are the list's own. */
	{
		g_autoptr(GArray) copy = items_new();

		items_add_all(copy, items);
		g_array_set_size(items, 0);
		assert_int_equal(copy->len, 2);
		assert_string_equal(item(copy, 0)->path, "/Soc");
		assert_true(value_equal(&item(copy, 0)->value, &soc));
	}
	dbus_message_unref(error);
	dbus_message_unref(reply);
	dbus_message_unref(call);
}

static void test_match_rules(void **state)
{
	static const char *const paths[] = {"/Dc/0/Voltage", "/Soc", NULL};
	static const char *const none[] = {NULL};
	g_autoptr(GPtrArray) rules = g_ptr_array_new_with_free_func(g_free);

	match_rules_for(rules, ":1.42", NULL);
	assert_int_equal(rules->len, 1);
	assert_string_equal(rules->pdata[0],
	                    "type='signal',sender=':1.42',interface='com.victronenergy.BusItem'");
	g_ptr_array_set_size(rules, 0);

	match_rules_for(rules, ":1.7", paths);
	assert_int_equal(rules->len, 3);
	assert_string_equal(rules->pdata[0], "type='signal',sender=':1.7',interface='"
	                                     "com.victronenergy.BusItem',member='ItemsChanged',"
	                                     "path='/'");
	assert_string_equal(rules->pdata[2],
	                    "type='signal',sender=':1.7',interface='"
	                    "com.victronenergy.BusItem',member='PropertiesChanged',"
	                    "path='/Soc'");
	g_ptr_array_set_size(rules, 0);
	match_rules_for(rules, ":1.7", none);
	assert_int_equal(rules->len, 1);

	/* NameOwnerChanged of Victron names first, then of every name. */
	for (size_t i = 0; i < match_n_owner_rules; i++)
		assert_non_null(strstr(match_owner_rules[i], "member='NameOwnerChanged'"));
	assert_non_null(strstr(match_owner_rules[0], "arg0namespace='com.victronenergy'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_changes_round_trip),
	        cmocka_unit_test(test_entry_without_value),
	        cmocka_unit_test(test_properties),
	        cmocka_unit_test(test_tree_and_value_replies),
	        cmocka_unit_test(test_match_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
