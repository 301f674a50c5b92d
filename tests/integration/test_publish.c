/* SPDX-License-Identifier: MIT */
/*
 * What the aggregate sends, as a consumer on the bus sees it: one
 * ItemsChanged per publication and no PropertiesChanged unless the config
 * asks for them; nothing while the bank is idle; a falling CCL at once, and
 * a rising one at the next tick (publishInterval), while GetValue answers
 * the latest value all along.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "bus/dbus_value.h"
#include "harness.h"

#define AGG "com.victronenergy.battery.aggregator"
#define S1 "com.victronenergy.battery.ttyS1"
#define S2 "com.victronenergy.battery.ttyS2"
#define CCL "/Info/MaxChargeCurrent"
#define WAIT_MS 10000

/* With the capacity method the bank CCL is min(100 * 380/280, 50 * 3.8). */
static const char scenario[] =
        "{\"batteries\": {"
        "\"" S1 "\": {\"/Dc/0/Voltage\": 53.1, \"/Dc/0/Current\": 10.0, \"/Soc\": 80.0,"
        " \"/InstalledCapacity\": 280.0, \"" CCL "\": 100.0,"
        " \"/Info/MaxDischargeCurrent\": 150.0, \"/Info/MaxChargeVoltage\": 55.2},"
        "\"" S2 "\": {\"/Dc/0/Voltage\": 53.3, \"/Dc/0/Current\": 5.0, \"/Soc\": 70.0,"
        " \"/InstalledCapacity\": 100.0, \"" CCL "\": 50.0,"
        " \"/Info/MaxDischargeCurrent\": 100.0, \"/Info/MaxChargeVoltage\": 55.0}}}";
static const double ccl_both = 100.0 * 380 / 280;
static const double ccl_low = 20.0 * 380 / 100; /* S2 at 20 A */

typedef struct {
	HarnessBank *bank;
	DBusConnection *watch; /* sees the aggregate's signals */
} Bank;

/* One signal of the aggregate's. */
typedef struct {
	gint64 at; /* g_get_monotonic_time() */
	bool items_changed;
	GHashTable *values; /* path -> double, of the numbers it carries */
} Signal;

static Bank *bank_start(const char *config)
{
	Bank *b = g_new0(Bank, 1);
	DBusError err;

	b->bank = harness_bank_start(
	        &(HarnessBankOptions){.scenario = scenario, .sim_ready = {S2}, .config = config});
	assert_true(harness_wait_number(b->bank->h, AGG, CCL, ccl_both, WAIT_MS));
	dbus_error_init(&err);
	b->watch = dbus_connection_open_private(g_getenv("DBUS_SESSION_BUS_ADDRESS"), &err);
	assert_non_null(b->watch);
	assert_true(dbus_bus_register(b->watch, &err));
	dbus_bus_add_match(b->watch,
	                   "type='signal',sender='" AGG "',interface='com.victronenergy.BusItem'",
	                   &err);
	assert_false(dbus_error_is_set(&err));
	return b;
}

static void bank_free(Bank *b)
{
	dbus_connection_close(b->watch);
	dbus_connection_unref(b->watch);
	harness_bank_free(b->bank);
	g_free(b);
}

static void signal_free(gpointer data)
{
	Signal *s = data;

	g_hash_table_destroy(s->values);
	g_free(s);
}

static void take_number(GHashTable *values, const char *path, DBusMessageIter *props)
{
	DBusMessageIter entry, var;
	const char *key;
	Value v = VALUE_INIT;
	double x;

	while (dbus_message_iter_get_arg_type(props) == DBUS_TYPE_DICT_ENTRY) {
		dbus_message_iter_recurse(props, &entry);
		dbus_message_iter_get_basic(&entry, &key);
		dbus_message_iter_next(&entry);
		dbus_message_iter_recurse(&entry, &var);
		if (strcmp(key, "Value") == 0) {
			dbus_value_read(&var, &v);
			if (value_number(&v, &x)) {
				double *copy = g_new(double, 1);

				*copy = x;
				g_hash_table_insert(values, g_strdup(path), copy);
			}
			value_clear(&v);
		}
		dbus_message_iter_next(props);
	}
}

static Signal *decode(DBusMessage *m)
{
	Signal *s = g_new0(Signal, 1);
	DBusMessageIter it, dict, entry, props;
	const char *path;

	s->at = g_get_monotonic_time();
	s->values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	s->items_changed = dbus_message_is_signal(m, "com.victronenergy.BusItem", "ItemsChanged");
	dbus_message_iter_init(m, &it);
	if (s->items_changed) {
		dbus_message_iter_recurse(&it, &dict);
		while (dbus_message_iter_get_arg_type(&dict) == DBUS_TYPE_DICT_ENTRY) {
			dbus_message_iter_recurse(&dict, &entry);
			dbus_message_iter_get_basic(&entry, &path);
			dbus_message_iter_next(&entry);
			dbus_message_iter_recurse(&entry, &props);
			take_number(s->values, path, &props);
			dbus_message_iter_next(&dict);
		}
	} else {
		dbus_message_iter_recurse(&it, &props);
		take_number(s->values, dbus_message_get_path(m), &props);
	}
	return s;
}

/* The aggregate's signals within ms (all of them, or until one carries
 * path when path is not NULL). */
static GPtrArray *collect(Bank *b, int ms, const char *path)
{
	GPtrArray *got = g_ptr_array_new_with_free_func(signal_free);
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	while (g_get_monotonic_time() < end) {
		DBusMessage *m;

		dbus_connection_read_write(b->watch, 20);
		while ((m = dbus_connection_pop_message(b->watch))) {
			if (dbus_message_get_type(m) == DBUS_MESSAGE_TYPE_SIGNAL &&
			    strcmp(dbus_message_get_interface(m), "com.victronenergy.BusItem") == 0)
				g_ptr_array_add(got, decode(m));
			dbus_message_unref(m);
		}
		if (path && got->len &&
		    g_hash_table_contains(((Signal *)got->pdata[got->len - 1])->values, path))
			break;
	}
	return got;
}

/* Waits until the aggregate has sent nothing for 3 s: an idle bank is
 * quiet (after its start-up has settled). */
static void wait_quiet(Bank *b)
{
	for (int i = 0; i < 8; i++) {
		g_autoptr(GPtrArray) got = collect(b, 3000, NULL);

		if (got->len == 0)
			return;
	}
	fail_msg("the aggregate never fell quiet while nothing changed");
}

static int count(GPtrArray *got, bool items_changed)
{
	int n = 0;

	for (guint i = 0; i < got->len; i++)
		n += ((Signal *)got->pdata[i])->items_changed == items_changed;
	return n;
}

static const double *carried(const Signal *s, const char *path)
{
	return g_hash_table_lookup(s->values, path);
}

/* One member's update in one step: one ItemsChanged with the bank's new
 * values, and (without publishPropertiesChanged) no PropertiesChanged; with
 * it, one PropertiesChanged per path of the ItemsChanged too. */
static void one_update(const char *config, bool properties_changed)
{
	Bank *b = bank_start(config);
	g_autoptr(GPtrArray) got = NULL;
	const Signal *s;

	wait_quiet(b);
	harness_send(b->bank->sim,
	             "setmany " S1 " {\"/Dc/0/Voltage\": 53.5, \"/Dc/0/Current\": 12.0,"
	             " \"/Soc\": 81}");
	got = collect(b, 3000, NULL);
	assert_int_equal(count(got, true), 1);
	s = got->pdata[0];
	assert_true(s->items_changed);
	assert_non_null(carried(s, "/Dc/0/Current"));
	assert_true(fabs(*carried(s, "/Dc/0/Current") - 17.0) < 1e-9);
	assert_non_null(carried(s, "/Dc/0/Voltage"));
	assert_true(fabs(*carried(s, "/Soc") - 75.5) < 1e-9);
	if (properties_changed)
		assert_int_equal(count(got, false), g_hash_table_size(s->values));
	else
		assert_int_equal(count(got, false), 0);
	bank_free(b);
}

static void test_one_items_changed_by_default(void **state)
{
	one_update("{\"currentRatioMethod\": \"capacity\"}", false);
}

static void test_properties_changed_when_asked(void **state)
{
	one_update("{\"currentRatioMethod\": \"capacity\", \"publishPropertiesChanged\": true}",
	           true);
}

/* publishInterval 5: after a change starts an interval, a falling CCL still
 * goes out at once; a rising one waits for the interval to end, while
 * GetValue has it at once. */
static void test_a_falling_limit_at_once_a_rising_one_at_the_tick(void **state)
{
	Bank *b = bank_start("{\"currentRatioMethod\": \"capacity\", \"publishInterval\": 5}");
	g_autoptr(GPtrArray) first = NULL;
	g_autoptr(GPtrArray) fall = NULL;
	g_autoptr(GPtrArray) early = NULL;
	g_autoptr(GPtrArray) rise = NULL;
	const Signal *s;
	gint64 sent;

	wait_quiet(b);
	/* After a quiet spell a change goes out at once, and starts the
	 * interval. */
	harness_send(b->bank->sim, "set " S1 " /Soc 79");
	first = collect(b, 3000, "/Soc");
	assert_int_equal(first->len, 1);
	/* The fall, well within the interval: at once. */
	sent = g_get_monotonic_time();
	harness_send(b->bank->sim, "set " S2 " " CCL " 20");
	fall = collect(b, 3000, CCL);
	assert_true(fall->len >= 1);
	s = fall->pdata[fall->len - 1];
	assert_non_null(carried(s, CCL));
	assert_true(fabs(*carried(s, CCL) - ccl_low) < 1e-9);
	if (s->at - sent > 2 * G_USEC_PER_SEC)
		fail_msg("the falling CCL took %.1f s", (s->at - sent) / 1e6);
	/* The rise: GetValue has it now, the bus hears of it at the tick, 5 s
	 * after the fall went out. */
	sent = s->at;
	harness_send(b->bank->sim, "set " S2 " " CCL " 50");
	assert_true(harness_wait_number(b->bank->h, AGG, CCL, ccl_both, WAIT_MS));
	early = collect(b, 2000, CCL);
	for (guint i = 0; i < early->len; i++)
		assert_null(carried(early->pdata[i], CCL));
	rise = collect(b, 6000, CCL);
	assert_true(rise->len >= 1);
	s = rise->pdata[rise->len - 1];
	assert_non_null(carried(s, CCL));
	assert_true(fabs(*carried(s, CCL) - ccl_both) < 1e-9);
	if (s->at - sent < 4.5 * G_USEC_PER_SEC)
		fail_msg("the rising CCL went out %.1f s after the fall, within the interval",
		         (s->at - sent) / 1e6);
	bank_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_one_items_changed_by_default),
	        cmocka_unit_test(test_properties_changed_when_asked),
	        cmocka_unit_test(test_a_falling_limit_at_once_a_rising_one_at_the_tick),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
