/* SPDX-License-Identifier: MIT */
/*
 * The simulator's cell and temperature models (batsim alone): what a pack
 * modelled cell by cell publishes is consistent in every snapshot (the
 * cells sum to its voltage; the highest and lowest cell, their ids and the
 * difference agree with the cells), its runner cell is the highest and
 * climbs as it charges, its temperature rises with I^2 R, a set of /Soc or
 * /Dc/0/Temperature moves the model, and a model without cells publishes as
 * before.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "bus/dbus_value.h"
#include "harness.h"

#define S1 "com.victronenergy.battery.ttyS1"
#define S2 "com.victronenergy.battery.ttyS2"
#define CELLS 16
#define RUNNER 5
/* Published to the mV: a sum of 16 such values, or a difference, is off
 * by no more than rounding. */
#define MV 0.0015

/* 50 A into 2 Ah, ticks of 0.2 s: the SoC climbs 0.7 % a second, from
 * 90 % (the runner from 94 %, into the curve's steep part).  Heating:
 * 10 C + 0.2 C/W * 50^2 A^2 * 0.016 ohm = 18 C, with tau 2 s. */
static const char scenario[] =
        "{\"tick\": 0.2, \"batteries\": {"
        " \"" S1 "\": {\"/Soc\": 90.0, \"/Dc/0/Temperature\": 10.0},"
        " \"" S2 "\": {\"/Soc\": 50.0}},"
        " \"models\": {"
        " \"" S1 "\": {\"resistance\": 0.016, \"noise\": 0.004, \"capacity\": 2,"
        " \"current\": {\"mean\": 50, \"amplitude\": 0}, \"cells\": 16,"
        " \"imbalance\": {\"cell\": 5, \"soc\": 4, \"spread\": 0.5},"
        " \"temperature\": {\"rise\": 0.2, \"tau\": 2}},"
        " \"" S2 "\": {\"emf\": 52.0, \"resistance\": 0.01, \"noise\": 0,"
        " \"current\": {\"mean\": 10, \"amplitude\": 0}}}}";

typedef struct {
	Harness *h;
	int sim;
} Fixture;

static int setup(void **state)
{
	Fixture *f = g_new0(Fixture, 1);
	char *argv[] = {(char *)harness_env("BATSIM"), (char *)"--quiet", NULL, NULL};

	f->h = harness_new();
	argv[2] = (char *)harness_write_file(f->h, "scenario.json", scenario);
	harness_spawn(f->h, argv, &f->sim);
	assert_true(harness_wait_name(f->h, S1, HARNESS_WAIT_MS));
	assert_true(harness_wait_name(f->h, S2, HARNESS_WAIT_MS));
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

static void value_free_ptr(gpointer p)
{
	value_clear(p);
	g_free(p);
}

/* Every value of service at once (GetItems on "/": one snapshot, not
 * values from two ticks): path -> Value *. */
static GHashTable *snapshot(Harness *h, const char *service)
{
	DBusMessage *r = harness_call(h, service, "/", "GetItems");
	GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, value_free_ptr);
	DBusMessageIter it, items;

	assert_non_null(r);
	assert_string_equal(dbus_message_get_signature(r), "a{sa{sv}}");
	dbus_message_iter_init(r, &it);
	dbus_message_iter_recurse(&it, &items);
	for (; dbus_message_iter_get_arg_type(&items) == DBUS_TYPE_DICT_ENTRY;
	     dbus_message_iter_next(&items)) {
		DBusMessageIter entry, props;
		const char *path;

		dbus_message_iter_recurse(&items, &entry);
		dbus_message_iter_get_basic(&entry, &path);
		dbus_message_iter_next(&entry);
		dbus_message_iter_recurse(&entry, &props);
		for (; dbus_message_iter_get_arg_type(&props) == DBUS_TYPE_DICT_ENTRY;
		     dbus_message_iter_next(&props)) {
			DBusMessageIter prop;
			const char *key;

			dbus_message_iter_recurse(&props, &prop);
			dbus_message_iter_get_basic(&prop, &key);
			dbus_message_iter_next(&prop);
			if (strcmp(key, "Value") == 0) {
				Value *v = g_new0(Value, 1);

				dbus_value_read(&prop, v);
				g_hash_table_replace(t, g_strdup(path), v);
			}
		}
	}
	dbus_message_unref(r);
	return t;
}

static double number(GHashTable *t, const char *path)
{
	const Value *v = g_hash_table_lookup(t, path);
	double x;

	if (!v || !value_number(v, &x))
		fail_msg("%s: no number", path);
	return x;
}

static const char *text(GHashTable *t, const char *path)
{
	const Value *v = g_hash_table_lookup(t, path);

	if (!v || v->type != VALUE_TEXT)
		fail_msg("%s: no text", path);
	return v->u.s;
}

/* One snapshot of S1 is consistent; returns its highest cell voltage. */
static double check_cells(GHashTable *t)
{
	double sum = 0, hi = -INFINITY, lo = INFINITY;
	int hi_k = 0, lo_k = 0;
	g_autofree char *hi_id = NULL;
	g_autofree char *lo_id = NULL;

	assert_int_equal((int)number(t, "/System/NrOfCellsPerBattery"), CELLS);
	assert_null(g_hash_table_lookup(t, "/Voltages/Cell17"));
	for (int k = 1; k <= CELLS; k++) {
		g_autofree char *path = g_strdup_printf("/Voltages/Cell%d", k);
		double v = number(t, path);

		assert_true(v > 2.5 && v < 3.8);
		sum += v;
		if (v > hi) {
			hi = v;
			hi_k = k;
		}
		if (v < lo) {
			lo = v;
			lo_k = k;
		}
	}
	assert_float_equal(sum, number(t, "/Dc/0/Voltage"), MV);
	assert_float_equal(sum, number(t, "/Voltages/Sum"), MV);
	assert_float_equal(hi, number(t, "/System/MaxCellVoltage"), 1e-9);
	assert_float_equal(lo, number(t, "/System/MinCellVoltage"), 1e-9);
	assert_float_equal(hi - lo, number(t, "/Voltages/Diff"), MV);
	hi_id = g_strdup_printf("C%d", hi_k);
	lo_id = g_strdup_printf("C%d", lo_k);
	assert_string_equal(text(t, "/System/MaxVoltageCellId"), hi_id);
	assert_string_equal(text(t, "/System/MinVoltageCellId"), lo_id);
	/* The runner, 4 % ahead of a spread of 0.5 %, is the highest. */
	assert_int_equal(hi_k, RUNNER);
	assert_true(number(t, "/System/MinCellTemperature") <= number(t, "/Dc/0/Temperature"));
	assert_true(number(t, "/Dc/0/Temperature") <= number(t, "/System/MaxCellTemperature"));
	return hi;
}

static void test_consistent_and_runner_climbs(void **state)
{
	Fixture *f = *state;
	double first_hi = 0, last_hi = 0, first_soc = 0, last_soc = 0;
	double first_temp = 0, last_temp = 0;

	for (int n = 0; n < 15; n++) {
		g_autoptr(GHashTable) t = snapshot(f->h, S1);
		double hi = check_cells(t);

		if (n == 0) {
			first_hi = hi;
			first_soc = number(t, "/Soc");
			first_temp = number(t, "/Dc/0/Temperature");
		}
		last_hi = hi;
		last_soc = number(t, "/Soc");
		last_temp = number(t, "/Dc/0/Temperature");
		g_usleep(200000);
	}
	/* 3 s of 50 A into 2 Ah: about 2 %; the runner, in the steep part,
	 * climbs tens of mV; I^2 R warms the pack towards 18 C. */
	assert_true(last_soc > first_soc + 1);
	assert_true(last_hi > first_hi + 0.01);
	assert_true(first_temp < 13);
	assert_true(last_temp > first_temp + 2);
	assert_true(last_temp < 18.1);
}

static void test_set_moves_the_model(void **state)
{
	Fixture *f = *state;
	g_autoptr(GHashTable) t = NULL;

	harness_send(f->sim, "set " S1 " /Soc 50.0");
	harness_send(f->sim, "set " S1 " /Dc/0/Temperature 0.0");
	g_usleep(500000);
	t = snapshot(f->h, S1);
	check_cells(t);
	/* 50 % and a little: the flat part, all cells within mV of 3.3 V
	 * (plus 50 mV of I R); the ambient now 0 C, 8 C of rise ahead. */
	assert_true(number(t, "/Soc") >= 50 && number(t, "/Soc") < 51.5);
	assert_true(number(t, "/System/MaxCellVoltage") < 3.36);
	assert_true(number(t, "/Dc/0/Temperature") < 6);
}

static void test_without_cells_as_before(void **state)
{
	Fixture *f = *state;
	g_autoptr(GHashTable) t = NULL;

	g_usleep(500000); /* a tick or two */
	t = snapshot(f->h, S2);
	assert_null(g_hash_table_lookup(t, "/Voltages/Cell1"));
	assert_null(g_hash_table_lookup(t, "/System/NrOfCellsPerBattery"));
	assert_null(g_hash_table_lookup(t, "/System/MaxCellTemperature"));
	/* emf + I R, no noise. */
	assert_float_equal(number(t, "/Dc/0/Voltage"), 52.1, 1e-6);
	assert_true(number(t, "/System/MaxCellVoltage") > number(t, "/System/MinCellVoltage"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_consistent_and_runner_climbs, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_set_moves_the_model, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_without_cells_as_before, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
