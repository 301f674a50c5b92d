/* SPDX-License-Identifier: MIT */
/*
 * Values: GetText formats (SPEC.md 5.1), decoding whatever a publisher
 * sends (VICTRON-DBUS.md "Values"), through real D-Bus messages, and texts
 * that stay UTF-8 when they are cut or sent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib.h>
#include <string.h>

#include "bus/dbus_value.h"

static void test_texts(void **state)
{
	static const struct {
		Value v;
		Unit unit;
		const char *text;
	} cases[] = {
	        {{VALUE_DOUBLE, {.d = 53.2}}, UNIT_VOLT, "53.200V"},
	        {{VALUE_DOUBLE, {.d = -7.5}}, UNIT_AMP, "-7.500A"},
	        {{VALUE_DOUBLE, {.d = 797.5}}, UNIT_WATT, "797.50W"},
	        {{VALUE_INT, {.i = 280}}, UNIT_AH, "280.000Ah"},
	        {{VALUE_DOUBLE, {.d = 75}}, UNIT_PERCENT, "75.00%"},
	        {{VALUE_DOUBLE, {.d = 0.1}}, UNIT_NONE, "0.1"},
	        {{VALUE_DOUBLE, {.d = 135.71428571428572}}, UNIT_NONE, "135.71428571428572"},
	        {{VALUE_INT, {.i = 1024}}, UNIT_NONE, "1024"},
	        {{VALUE_INVALID, {.i = 0}}, UNIT_VOLT, "---"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *text = value_format(&cases[i].v, cases[i].unit);

		assert_string_equal(text, cases[i].text);
	}
}

/* Builds a message holding one variant of the given type and reads it. */
static Value decode(int type, const void *basic)
{
	DBusMessage *m = dbus_message_new_signal("/", "x.y", "z");
	DBusMessageIter it, var;
	char sig[2] = {(char)type, 0};
	Value v = VALUE_INIT;

	dbus_message_iter_init_append(m, &it);
	dbus_message_iter_open_container(&it, DBUS_TYPE_VARIANT, sig, &var);
	dbus_message_iter_append_basic(&var, type, basic);
	dbus_message_iter_close_container(&it, &var);
	dbus_message_iter_init(m, &it);
	dbus_value_read(&it, &v);
	dbus_message_unref(m);
	return v;
}

static void test_every_numeric_type_is_a_number(void **state)
{
	unsigned char byte = 7;
	dbus_bool_t yes = TRUE;
	dbus_int16_t i16 = -3;
	dbus_uint16_t u16 = 3;
	dbus_int32_t i32 = -100000;
	dbus_uint32_t u32 = 4000000000u;
	dbus_int64_t i64 = -5000000000;
	dbus_uint64_t u64 = 18000000000000000000ull;
	double d = 53.25;
	const char *s = "Bulk";
	const char *o = "/an/object";
	Value v;

	v = decode(DBUS_TYPE_BYTE, &byte);
	assert_true(v.type == VALUE_INT && v.u.i == 7);
	v = decode(DBUS_TYPE_BOOLEAN, &yes);
	assert_true(v.type == VALUE_INT && v.u.i == 1);
	v = decode(DBUS_TYPE_INT16, &i16);
	assert_true(v.type == VALUE_INT && v.u.i == -3);
	v = decode(DBUS_TYPE_UINT16, &u16);
	assert_true(v.type == VALUE_INT && v.u.i == 3);
	v = decode(DBUS_TYPE_INT32, &i32);
	assert_true(v.type == VALUE_INT && v.u.i == -100000);
	v = decode(DBUS_TYPE_UINT32, &u32);
	assert_true(v.type == VALUE_INT && v.u.i == 4000000000);
	v = decode(DBUS_TYPE_INT64, &i64);
	assert_true(v.type == VALUE_INT && v.u.i == -5000000000);
	v = decode(DBUS_TYPE_UINT64, &u64);
	assert_int_equal(v.type, VALUE_DOUBLE);
	v = decode(DBUS_TYPE_DOUBLE, &d);
	assert_true(v.type == VALUE_DOUBLE && v.u.d == 53.25);
	v = decode(DBUS_TYPE_STRING, &s);
	assert_true(v.type == VALUE_TEXT && strcmp(v.u.s, "Bulk") == 0);
	value_clear(&v);
	v = decode(DBUS_TYPE_OBJECT_PATH, &o);
	assert_int_equal(v.type, VALUE_INVALID);
}

/* Containers are no battery value: invalid, never a crash. */
static void test_wrong_types_are_invalid(void **state)
{
	static const char *const sigs[] = {"ai", "ad", "as", "a{sv}", "(id)", "v"};

	for (size_t k = 0; k < G_N_ELEMENTS(sigs); k++) {
		for (int filled = 0; filled < 2; filled++) {
			DBusMessage *m = dbus_message_new_signal("/", "x.y", "z");
			DBusMessageIter it, var, inner, deeper;
			dbus_int32_t one = 1;
			double d = 2;
			const char *s = "s";
			Value v = value_int(99);

			dbus_message_iter_init_append(m, &it);
			dbus_message_iter_open_container(&it, DBUS_TYPE_VARIANT, sigs[k], &var);
			switch (sigs[k][0]) {
			case 'a':
				dbus_message_iter_open_container(&var, DBUS_TYPE_ARRAY, sigs[k] + 1,
				                                 &inner);
				if (filled && sigs[k][1] == 'i')
					dbus_message_iter_append_basic(&inner, DBUS_TYPE_INT32,
					                               &one);
				if (filled && sigs[k][1] == 'd')
					dbus_message_iter_append_basic(&inner, DBUS_TYPE_DOUBLE,
					                               &d);
				if (filled && sigs[k][1] == 's')
					dbus_message_iter_append_basic(&inner, DBUS_TYPE_STRING,
					                               &s);
				dbus_message_iter_close_container(&var, &inner);
				break;
			case '(':
				dbus_message_iter_open_container(&var, DBUS_TYPE_STRUCT, NULL,
				                                 &inner);
				dbus_message_iter_append_basic(&inner, DBUS_TYPE_INT32, &one);
				dbus_message_iter_append_basic(&inner, DBUS_TYPE_DOUBLE, &d);
				dbus_message_iter_close_container(&var, &inner);
				break;
			default:
				/* A variant in a variant in a variant holding an array. */
				dbus_message_iter_open_container(&var, DBUS_TYPE_VARIANT, "v",
				                                 &inner);
				dbus_message_iter_open_container(&inner, DBUS_TYPE_VARIANT, "ai",
				                                 &deeper);
				{
					DBusMessageIter arr;

					dbus_message_iter_open_container(&deeper, DBUS_TYPE_ARRAY,
					                                 "i", &arr);
					dbus_message_iter_close_container(&deeper, &arr);
				}
				dbus_message_iter_close_container(&inner, &deeper);
				dbus_message_iter_close_container(&var, &inner);
				break;
			}
			dbus_message_iter_close_container(&it, &var);
			dbus_message_iter_init(m, &it);
			dbus_value_read(&it, &v);
			assert_int_equal(v.type, VALUE_INVALID);
			dbus_message_unref(m);
		}
	}
}

static void test_round_trip(void **state)
{
	const Value values[] = {value_int(1), value_int(-4000000000), value_double(53.1),
	                        VALUE_INIT};

	for (size_t i = 0; i < G_N_ELEMENTS(values); i++) {
		DBusMessage *m = dbus_message_new_signal("/", "x.y", "z");
		DBusMessageIter it;
		Value back = VALUE_INIT;

		dbus_message_iter_init_append(m, &it);
		dbus_value_append_variant(&it, &values[i]);
		dbus_message_iter_init(m, &it);
		dbus_value_read(&it, &back);
		assert_true(value_equal(&back, &values[i]));
		dbus_message_unref(m);
	}
}

/* libdbus aborts on strings that are not UTF-8: they are repaired. */
static void test_bad_utf8_is_repaired(void **state)
{
	Value bad = value_text("Rack \xff");
	DBusMessage *m = dbus_message_new_signal("/", "x.y", "z");
	DBusMessageIter it;
	Value back = VALUE_INIT;

	dbus_message_iter_init_append(m, &it);
	dbus_value_append_variant(&it, &bad);
	dbus_message_iter_init(m, &it);
	dbus_value_read(&it, &back);
	assert_int_equal(back.type, VALUE_TEXT);
	assert_true(g_str_has_prefix(back.u.s, "Rack "));
	value_clear(&back);
	value_clear(&bad);
	dbus_message_unref(m);
}

/* Plugins cut texts to their buffer with batagg_text_copy: never inside a
 * character. */
static void test_text_copy_cuts_between_characters(void **state)
{
	static const struct {
		const char *src;
		size_t size;
		const char *want;
	} cases[] = {
	        {"abc", 8, "abc"},
	        {"abcdef", 4, "abc"},
	        {"", 1, ""},
	        {"abc", 1, ""},
	        {"a\xc3\xa9", 4, "a\xc3\xa9"},         /* "aé" fits */
	        {"a\xc3\xa9", 3, "a"},                 /* é would be cut */
	        {"\xc3\xa9\xc3\xa9", 4, "\xc3\xa9"},   /* one é of two */
	        {"\xe2\x82\xac", 3, ""},               /* € needs 3 bytes */
	        {"x\xe2\x82\xac", 4, "x"},             /* € cut after 2 of 3 */
	        {"x\xe2\x82\xac", 5, "x\xe2\x82\xac"}, /* € fits */
	        {"a\xf0\x9d\x84\x9e", 5, "a"},         /* a 4-byte character */
	        {"a\xf0\x9d\x84\x9e", 6, "a\xf0\x9d\x84\x9e"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char dst[16];
		size_t n = batagg_text_copy(dst, cases[i].size, cases[i].src);

		assert_string_equal(dst, cases[i].want);
		assert_int_equal(n, strlen(cases[i].want));
		assert_true(g_utf8_validate(dst, -1, NULL));
	}
	/* No room at all: nothing written. */
	{
		char untouched = 'x';

		assert_int_equal(batagg_text_copy(&untouched, 0, "abc"), 0);
		assert_int_equal(untouched, 'x');
	}
}

/* Every string batagg sends is UTF-8: a character cut in two is repaired
 * (libdbus would abort the process), valid text is sent as it is. */
static void test_strings_are_sent_as_utf8(void **state)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
	        {"Rack A", "Rack A"},
	        {"\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9"},
	        {"Rack \xc3", "Rack \xef\xbf\xbd"}, /* é cut after its first byte */
	        {"\xff", "\xef\xbf\xbd"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		DBusMessage *m = dbus_message_new_signal("/", "x.y", "z");
		DBusMessageIter it;
		const char *back;

		dbus_message_iter_init_append(m, &it);
		dbus_value_append_string(&it, cases[i].text);
		assert_true(
		        dbus_message_get_args(m, NULL, DBUS_TYPE_STRING, &back, DBUS_TYPE_INVALID));
		assert_string_equal(back, cases[i].want);
		dbus_message_unref(m);
	}
}

/* Text from the bus is kept to DBUS_VALUE_TEXT_MAX bytes, cut between
 * characters: a publisher's 4 MiB string does not live in the daemon. */
static void test_long_texts_are_bounded(void **state)
{
	static const struct {
		const char *unit; /* repeated to fill more than the bound */
		size_t prefix;    /* bytes before the repetition */
		size_t want;      /* bytes kept */
	} cases[] = {
	        {"x", 0, DBUS_VALUE_TEXT_MAX},
	        {"\xc3\xa9", 0, DBUS_VALUE_TEXT_MAX},     /* 512 whole "é" */
	        {"\xc3\xa9", 1, DBUS_VALUE_TEXT_MAX - 1}, /* "x" and 511 "é" */
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GString) text = g_string_new(NULL);
		const char *s;
		Value v;

		g_string_append_len(text, "xxxx", (gssize)cases[i].prefix);
		while (text->len < 4 * DBUS_VALUE_TEXT_MAX)
			g_string_append(text, cases[i].unit);
		s = text->str;
		v = decode(DBUS_TYPE_STRING, &s);
		assert_int_equal(v.type, VALUE_TEXT);
		assert_int_equal(strlen(v.u.s), cases[i].want);
		assert_true(g_utf8_validate(v.u.s, -1, NULL));
		assert_memory_equal(v.u.s, text->str, cases[i].want);
		value_clear(&v);
	}
}

/* Error replies carry their message through the same repair. */
static void test_error_messages_are_utf8(void **state)
{
	DBusMessage *call = dbus_message_new_method_call("x.y", "/Soc", "x.y", "GetValue");
	DBusMessage *reply;
	const char *text;

	dbus_message_set_serial(call, 1);
	reply = dbus_value_error(call, DBUS_ERROR_UNKNOWN_OBJECT, "no path %s", "/R\xc3");
	assert_int_equal(dbus_message_get_type(reply), DBUS_MESSAGE_TYPE_ERROR);
	assert_string_equal(dbus_message_get_error_name(reply), DBUS_ERROR_UNKNOWN_OBJECT);
	assert_true(dbus_message_get_args(reply, NULL, DBUS_TYPE_STRING, &text, DBUS_TYPE_INVALID));
	assert_string_equal(text, "no path /R\xef\xbf\xbd");
	dbus_message_unref(reply);
	dbus_message_unref(call);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_texts),
	        cmocka_unit_test(test_every_numeric_type_is_a_number),
	        cmocka_unit_test(test_wrong_types_are_invalid),
	        cmocka_unit_test(test_round_trip),
	        cmocka_unit_test(test_bad_utf8_is_repaired),
	        cmocka_unit_test(test_text_copy_cuts_between_characters),
	        cmocka_unit_test(test_strings_are_sent_as_utf8),
	        cmocka_unit_test(test_long_texts_are_bounded),
	        cmocka_unit_test(test_error_messages_are_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
