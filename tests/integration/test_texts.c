/* SPDX-License-Identifier: MIT */
/*
 * Texts on the wire, with the real batagg on a private bus: texts that
 * batagg cuts to size (labels, merged and hook texts) stay whole UTF-8
 * characters, so that libdbus never sees invalid UTF-8 (it aborts the
 * process), and a written /CustomName has a limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "harness.h"

#define AGG "com.victronenergy.battery.aggregator"
#define S1 "com.victronenergy.battery.ttyS1"
#define V1 "com.victronenergy.battery.virtual1"
#define WAIT_MS 10000
#define E_ACUTE "\xc3\xa9" /* "é": two bytes */

/* n times s. */
static char *repeat(const char *s, int n)
{
	GString *out = g_string_new(NULL);

	for (int i = 0; i < n; i++)
		g_string_append(out, s);
	return g_string_free(out, FALSE);
}

/* One member whose /CustomName, /Info/ChargeMode and cell id are 200 × "é"
 * (400 bytes: longer than any text batagg builds from them). */
static HarnessBank *bank_new(const char *config)
{
	g_autofree char *long_text = repeat(E_ACUTE, 200);
	g_autofree char *scenario = g_strdup_printf(
	        "{\"batteries\": {\"" S1 "\": {\"/CustomName\": \"%s\", \"/Dc/0/Voltage\": 53.1,"
	        " \"/System/MinCellVoltage\": 3.30, \"/System/MinVoltageCellId\": \"C1\","
	        " \"/System/MaxCellVoltage\": 3.40, \"/System/MaxVoltageCellId\": \"%s\","
	        " \"/Info/ChargeMode\": \"%s\"}}}",
	        long_text, long_text, long_text);

	return harness_bank_start(
	        &(HarnessBankOptions){.scenario = scenario, .sim_ready = {S1}, .config = config});
}

/* GetText on a leaf answers with valid UTF-8 (and batagg is still there). */
static char *text_of(HarnessBank *b, const char *service, const char *path)
{
	char *text = harness_get_text(b->h, service, path);

	if (!text)
		fail_msg("GetText %s %s got no text (did batagg abort?)", service, path);
	if (!g_utf8_validate(text, -1, NULL))
		fail_msg("GetText %s %s is not UTF-8", service, path);
	return text;
}

/* GetText on a node answers with a{ss}, every text valid UTF-8. */
static void expect_node_texts(HarnessBank *b, const char *service, const char *node)
{
	DBusMessage *reply = harness_call(b->h, service, node, "GetText");
	DBusMessageIter it, var, dict, entry;
	int n = 0;

	if (!reply || dbus_message_get_type(reply) != DBUS_MESSAGE_TYPE_METHOD_RETURN)
		fail_msg("GetText %s %s: no answer (did batagg abort?)", service, node);
	dbus_message_iter_init(reply, &it);
	assert_int_equal(dbus_message_iter_get_arg_type(&it), DBUS_TYPE_VARIANT);
	dbus_message_iter_recurse(&it, &var);
	dbus_message_iter_recurse(&var, &dict);
	while (dbus_message_iter_get_arg_type(&dict) == DBUS_TYPE_DICT_ENTRY) {
		const char *text;

		dbus_message_iter_recurse(&dict, &entry);
		dbus_message_iter_next(&entry);
		dbus_message_iter_get_basic(&entry, &text);
		assert_true(g_utf8_validate(text, -1, NULL));
		n++;
		dbus_message_iter_next(&dict);
	}
	assert_true(n > 0);
	dbus_message_unref(reply);
}

/* Polls until path holds some text (its members were read). */
static void wait_for_text(HarnessBank *b, const char *service, const char *path)
{
	Value v = VALUE_INIT;

	for (int waited = 0; waited <= WAIT_MS; waited += 50) {
		if (harness_get_value(b->h, service, path, &v) && v.type == VALUE_TEXT) {
			value_clear(&v);
			return;
		}
		g_usleep(50 * 1000);
	}
	value_clear(&v);
	fail_msg("%s %s never became a text", service, path);
}

/* A label longer than half the text is cut, between characters, so that
 * the cell id it names stays readable. */
static void test_cell_ids_cut_between_characters(void **state)
{
	HarnessBank *b = bank_new("{}");
	g_autofree char *label = repeat(E_ACUTE, 63);
	g_autofree char *want = g_strconcat(label, " C1", NULL);
	char *text;

	wait_for_text(b, AGG, "/System/MinVoltageCellId");
	text = text_of(b, AGG, "/System/MinVoltageCellId");
	assert_string_equal(text, want);
	g_free(text);
	/* The cell id itself too long: cut after the label, between characters. */
	text = text_of(b, AGG, "/System/MaxVoltageCellId");
	assert_true(g_str_has_prefix(text, label));
	assert_true(strlen(text) <= 255);
	g_free(text);
	expect_node_texts(b, AGG, "/");
	expect_node_texts(b, AGG, "/System");
	harness_bank_free(b);
}

/* A virtual battery copies its member's text, and a hook its configured
 * text, into buffers of their own: cut between characters too. */
static void test_merged_and_hook_texts_cut_between_characters(void **state)
{
	g_autofree char *hook_text = repeat(E_ACUTE, 100);
	g_autofree char *config = g_strdup_printf("{\"virtualBatteries\": {\"" V1 "\": [\"" S1 "\","
	                                          " \"class:hooks.FixedValueHook\"]},"
	                                          " \"classes\": {\"hooks.FixedValueHook\": "
	                                          "{\"path\": \"/System/MinTemperatureCellId\","
	                                          " \"value\": \"%s\"}}}",
	                                          hook_text);
	HarnessBank *b = bank_new(config);
	char *text;

	assert_true(harness_wait_name(b->h, V1, WAIT_MS));
	wait_for_text(b, V1, "/Info/ChargeMode");
	text = text_of(b, V1, "/Info/ChargeMode");
	assert_true(g_str_has_prefix(text, E_ACUTE E_ACUTE));
	g_free(text);
	text = text_of(b, V1, "/System/MinTemperatureCellId");
	assert_true(g_str_has_prefix(text, E_ACUTE E_ACUTE));
	g_free(text);
	expect_node_texts(b, V1, "/");
	expect_node_texts(b, V1, "/System");
	expect_node_texts(b, AGG, "/");
	harness_bank_free(b);
}

/* /CustomName takes at most 128 bytes; a longer write is refused and
 * changes nothing, on the aggregate as on a virtual battery. */
static void test_custom_name_limit(void **state)
{
	HarnessBank *b = bank_new("{\"virtualBatteries\": {\"" V1 "\": [\"" S1 "\"]}}");
	g_autofree char *fits_text = repeat(E_ACUTE, 64);
	g_autofree char *long_text = repeat(E_ACUTE, 65);
	g_autofree char *huge_text = repeat("x", 4 << 20);
	Value fits = value_text(fits_text);
	Value too_long = value_text(long_text);
	Value huge = value_text(huge_text);
	const char *const services[] = {AGG, V1};

	assert_true(harness_wait_name(b->h, V1, WAIT_MS));
	for (size_t i = 0; i < G_N_ELEMENTS(services); i++) {
		assert_int_equal(harness_set_value(b->h, services[i], "/CustomName", &fits), 0);
		assert_true(harness_wait_value(b->h, services[i], "/CustomName", &fits, WAIT_MS));
		assert_int_not_equal(harness_set_value(b->h, services[i], "/CustomName", &too_long),
		                     0);
		assert_int_not_equal(harness_set_value(b->h, services[i], "/CustomName", &huge), 0);
		assert_true(harness_wait_value(b->h, services[i], "/CustomName", &fits, WAIT_MS));
	}
	assert_true(harness_wait_value(b->h, "com.victronenergy.settings",
	                               "/Settings/Battery/aggregator/CustomName", &fits, WAIT_MS));
	value_clear(&fits);
	value_clear(&too_long);
	value_clear(&huge);
	harness_bank_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_cell_ids_cut_between_characters),
	        cmocka_unit_test(test_merged_and_hook_texts_cut_between_characters),
	        cmocka_unit_test(test_custom_name_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
