/* SPDX-License-Identifier: MIT */
/*
 * batsim: simulated Venus OS services on a D-Bus, for rehearsing a config,
 * for the demo and for the tests.  It publishes battery services exactly as
 * a scenario file describes them (the acceptance check's format, plus
 * "models" that make values drift like real batteries), a minimal
 * localsettings (AddSetting; device instances kept unique within their
 * class as localsettings keeps them) and a system service (/Control/Dvcc).  Scenario steps play in
 * order; commands on stdin change things at any time (see usage()).
 */
#include <glib-unix.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include <unistd.h>

#include "bus/bus_service.h"
#include "bus/dbus_value.h"
#include "bus/dbus_glib.h"

#define SETTINGS "com.victronenergy.settings"
#define SYSTEM "com.victronenergy.system"

typedef struct {
	double emf, resistance, noise, capacity;
	double mean, amplitude, period, phase;
	double soc;
	guint32 seed;
	/* The cells ("cells"; 0: none): each one's SoC offset from the
	 * pack's, in %, from "imbalance". */
	int cells;
	double *offset;
	/* The temperature ("temperature", or "cells" alone): it tends to
	 * ambient + rise * I^2 R with time constant tau; the cell sensors
	 * span spread around it. */
	gboolean thermal;
	double ambient, rise, tau, spread;
	double temp;
} Model;

typedef struct {
	char *name;
	DBusConnection *conn;
	BusService *svc;
	Model *model; /* NULL: values change only when told */
	guint stall;  /* while stalled: the source that ends it */
	/* A battery of a batsim --writable: every path takes SetValue. */
	gboolean writable;
} Sim;

typedef struct {
	GMainLoop *loop;
	GHashTable *sims; /* name -> Sim */
	/* The default each device instance setting was last added with (path
	 * -> text); kept while localsettings restarts, as it keeps them. */
	GHashTable *instance_defaults;
	yajl_val scenario;
	yajl_val steps;
	size_t next_step;
	double settle;
	double tick;
	double t; /* model time, s */
	gboolean loop_steps;
	gboolean quiet;
	gboolean writable; /* --writable */
	GString *input;    /* stdin not yet a whole line */
	int exit_code;
} Batsim;

/* The scenario's keys, for usage() and --help. */
static const char scenario_keys[] =
        "Scenario keys: \"batteries\" {SERVICE: {PATH: JSON}}; \"steps\" [{\"wait\": SECONDS,\n"
        "\"label\", \"set\", \"settings\", \"add\", \"remove\"}]; \"loop\"; \"settle\"; \"tick\"\n"
        "(seconds between model steps, 1); \"dvcc\"; \"userMaxChargeCurrent\"; "
        "\"userMaxChargeVoltage\";\n"
        "\"slow\" {SERVICE: SECONDS} stalls a battery from its start; \"models\" {SERVICE: MODEL}\n"
        "makes a battery's values drift every tick.  MODEL keys (defaults):\n"
        "  emf (52), resistance (0.01 ohm, the pack's), noise (0.002 V), capacity (100 Ah):\n"
        "      voltage = emf + resistance * current + noise; SoC counts the current\n"
        "  current {mean (0), amplitude (10), period (60 s)}: a sine, in A (+ charges)\n"
        "  cells (none): N cells in series, each an LFP-like curve of its SoC (2.80 V at\n"
        "      0 %, 3.20 at 10, 3.29 at 50, 3.35 at 95, 3.45 at 98, 3.60 at 100) plus\n"
        "      current * resistance / N; the voltage is their sum (emf unused);\n"
        "      publishes /Voltages/Cell1..N, /Voltages/Sum, /Voltages/Diff, min/max\n"
        "      cell voltage and cell ids (C1..CN), /System/NrOfCellsPerBattery\n"
        "  imbalance {cell (1), soc (0), spread (0)}: that cell's SoC is soc % above\n"
        "      the pack's (a runner; below it when negative), every cell's within\n"
        "      +-spread/2 %\n"
        "  temperature NUMBER | {ambient (/Dc/0/Temperature, else 25 C), rise (0 C/W),\n"
        "      tau (600 s), spread (1 C)}: /Dc/0/Temperature tends to ambient + rise *\n"
        "      current^2 * resistance with time constant tau; min/max cell temperature\n"
        "      spread around it (with cells and no temperature: ambient, no rise)\n"
        "  A set (a step, a command, a SetValue with --writable) of /Soc moves a\n"
        "  model's SoC; of /Dc/0/Temperature sets its ambient and temperature now.\n";

static void usage(void)
{
	fputs("usage: batsim [--no-settings] [--no-system] [--quiet] [--writable] [SCENARIO.json | "
	      "-]\n"
	      "--writable: the batteries' paths take SetValue from any client, e.g.\n"
	      "  dbus-send --print-reply --dest=com.victronenergy.battery.ttyS1 "
	      "/Dc/0/Temperature \\\n"
	      "      com.victronenergy.BusItem.SetValue variant:double:50\n"
	      "stdin commands, one per line:\n"
	      "  set SERVICE PATH JSON          one value (one ItemsChanged)\n"
	      "  setmany SERVICE {PATH: JSON}   several values in one ItemsChanged\n"
	      "  props SERVICE PATH JSON        a value sent with PropertiesChanged only\n"
	      "  add SERVICE {PATH: JSON}       a new battery service\n"
	      "  remove SERVICE                 it vanishes (values not invalidated first)\n"
	      "  stall SERVICE SECONDS          it answers nothing for a while (a stuck driver)\n"
	      "  restart SERVICE SECONDS [{PATH: JSON}]\n"
	      "                                 it leaves and comes back after SECONDS with its\n"
	      "                                 values, changed by the JSON (null: the path is "
	      "gone)\n"
	      "  garbage SERVICE                it sends an ItemsChanged of the wrong signature\n"
	      "  settings PATH JSON | system PATH JSON\n"
	      "                                 a value as if it had always been there (a device\n"
	      "                                 instance too: only AddSetting and SetValue keep\n"
	      "                                 them unique)\n"
	      "  quit\n"
	      "JSON values: numbers (with '.' or exponent: double, else int32), strings,\n"
	      "null (invalid), true/false (int), arrays and objects (sent as such: a wrong\n"
	      "type, for testing consumers); with set and props also nan, inf and -inf.\n",
	      stderr);
	fputs(scenario_keys, stderr);
}

/* ---- values -------------------------------------------------------------- */

/* The Value a JSON scalar stands for; arrays and objects have none. */
static gboolean json_value(yajl_val v, Value *out)
{
	*out = VALUE_INIT;
	if (YAJL_IS_NULL(v))
		return TRUE;
	if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) {
		*out = value_int(YAJL_IS_TRUE(v));
		return TRUE;
	}
	if (YAJL_IS_INTEGER(v) && !strpbrk(YAJL_GET_NUMBER(v), ".eE")) {
		*out = value_int(YAJL_GET_INTEGER(v));
		return TRUE;
	}
	if (YAJL_IS_NUMBER(v)) {
		*out = value_double(YAJL_GET_DOUBLE(v));
		return TRUE;
	}
	if (YAJL_IS_STRING(v)) {
		*out = value_text(YAJL_GET_STRING(v));
		return TRUE;
	}
	return FALSE;
}

/* A wrong-typed value, sent as a signal: a non-empty array or a dict. */
static void append_weird(DBusMessageIter *it, yajl_val v)
{
	DBusMessageIter var, arr;

	if (YAJL_IS_ARRAY(v)) {
		dbus_message_iter_open_container(it, DBUS_TYPE_VARIANT, "ad", &var);
		dbus_message_iter_open_container(&var, DBUS_TYPE_ARRAY, "d", &arr);
		for (size_t i = 0; i < v->u.array.len; i++) {
			double d = YAJL_IS_NUMBER(v->u.array.values[i])
			                   ? YAJL_GET_DOUBLE(v->u.array.values[i])
			                   : 0;

			dbus_message_iter_append_basic(&arr, DBUS_TYPE_DOUBLE, &d);
		}
	} else {
		dbus_message_iter_open_container(it, DBUS_TYPE_VARIANT, "a{sv}", &var);
		dbus_message_iter_open_container(&var, DBUS_TYPE_ARRAY, "{sv}", &arr);
		for (size_t i = 0; YAJL_IS_OBJECT(v) && i < v->u.object.len; i++) {
			DBusMessageIter entry;
			Value inner = VALUE_INIT;

			json_value(v->u.object.values[i], &inner);
			dbus_message_iter_open_container(&arr, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
			dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING,
			                               &v->u.object.keys[i]);
			dbus_value_append_variant(&entry, &inner);
			dbus_message_iter_close_container(&arr, &entry);
			value_clear(&inner);
		}
	}
	dbus_message_iter_close_container(&var, &arr);
	dbus_message_iter_close_container(it, &var);
}

static void emit_weird(Sim *s, const char *path, yajl_val v)
{
	DBusMessage *sig =
	        dbus_message_new_signal("/", "com.victronenergy.BusItem", "ItemsChanged");
	DBusMessageIter it, outer, entry, props, prop;
	const char *value_key = "Value";

	dbus_message_iter_init_append(sig, &it);
	dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "{sa{sv}}", &outer);
	dbus_message_iter_open_container(&outer, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
	dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &path);
	dbus_message_iter_open_container(&entry, DBUS_TYPE_ARRAY, "{sv}", &props);
	dbus_message_iter_open_container(&props, DBUS_TYPE_DICT_ENTRY, NULL, &prop);
	dbus_message_iter_append_basic(&prop, DBUS_TYPE_STRING, &value_key);
	append_weird(&prop, v);
	dbus_message_iter_close_container(&props, &prop);
	dbus_message_iter_close_container(&entry, &props);
	dbus_message_iter_close_container(&outer, &entry);
	dbus_message_iter_close_container(&it, &outer);
	dbus_connection_send(s->conn, sig, NULL);
	dbus_message_unref(sig);
}

static BusWriteFn settings_write_fn(const char *path);
static void model_follow(Sim *s, const char *path, const Value *v);

static gboolean write_any(BusService *svc, const char *path, const Value *v, void *ud)
{
	return TRUE;
}

/* A battery's path written by a client (--writable): a model follows it. */
static gboolean write_battery(BusService *svc, const char *path, const Value *v, void *ud)
{
	model_follow(ud, path, v);
	return TRUE;
}

static void sim_set_value(Sim *s, const char *path, const Value *v)
{
	if (bus_service_get(s->svc, path))
		bus_service_set(s->svc, path, v);
	else if (strcmp(s->name, SETTINGS) == 0)
		bus_service_add(s->svc, path, v, UNIT_NONE, settings_write_fn(path), NULL);
	else
		bus_service_add(s->svc, path, v, UNIT_NONE, s->writable ? write_battery : NULL, s);
}

/* Sets path on s; a path it did not have is added (writable for names). */
static void sim_set(Sim *s, const char *path, yajl_val v)
{
	Value value;

	if (!json_value(v, &value)) {
		value = VALUE_INIT;
		if (bus_service_get(s->svc, path))
			bus_service_set(s->svc, path, &value);
		bus_service_flush(s->svc);
		emit_weird(s, path, v);
		return;
	}
	sim_set_value(s, path, &value);
	model_follow(s, path, &value);
	value_clear(&value);
}

/* An ItemsChanged that is not a{sa{sv}}: a broken publisher. */
static void emit_garbage(Sim *s)
{
	DBusMessage *sig =
	        dbus_message_new_signal("/", "com.victronenergy.BusItem", "ItemsChanged");
	DBusMessageIter it, dict, entry;
	const char *key = "/Dc/0/Voltage";
	Value v = value_double(1.0);

	dbus_message_iter_init_append(sig, &it);
	dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "{sv}", &dict);
	dbus_message_iter_open_container(&dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry);
	dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &key);
	dbus_value_append_variant(&entry, &v);
	dbus_message_iter_close_container(&dict, &entry);
	dbus_message_iter_close_container(&it, &dict);
	dbus_connection_send(s->conn, sig, NULL);
	dbus_message_unref(sig);
}

static gboolean on_unstall(gpointer data)
{
	dbus_glib_attach(((Sim *)data)->conn);
	((Sim *)data)->stall = 0;
	return G_SOURCE_REMOVE;
}

/* The service reads and answers nothing for a while: its calls wait. */
static void stall(Sim *s, double seconds)
{
	if (s->stall)
		return;
	dbus_connection_flush(s->conn);
	dbus_glib_detach(s->conn);
	s->stall = g_timeout_add((guint)(seconds * 1000), on_unstall, s);
}

/* ---- services ------------------------------------------------------------ */

static gboolean write_text(BusService *svc, const char *path, const Value *v, void *ud)
{
	return v->type == VALUE_TEXT;
}

static void sim_free(gpointer data)
{
	Sim *s = data;

	if (s->stall) {
		g_source_remove(s->stall);
		dbus_glib_attach(s->conn);
	}
	bus_service_free(s->svc);

	dbus_glib_close(s->conn);
	if (s->model)
		g_free(s->model->offset);
	g_free(s->model);
	g_free(s->name);
	g_free(s);
}

/* A service with the values of a JSON object, and those of kept (path ->
 * Value *, as a restart keeps them), in place before it takes its name. */
static Sim *sim_new(Batsim *b, const char *name, yajl_val values, GHashTable *kept, GError **error)
{
	GHashTableIter it;
	gpointer key, value;
	Sim *s = g_new0(Sim, 1);

	s->name = g_strdup(name);
	s->conn = dbus_glib_open(error);
	if (!s->conn) {
		g_free(s->name);
		g_free(s);
		return NULL;
	}
	s->svc = bus_service_new(s->conn, name);
	s->writable = b->writable && g_str_has_prefix(name, "com.victronenergy.battery.");
	/* As velib's drivers: ItemsChanged and PropertiesChanged both. */
	bus_service_use_properties_changed(s->svc, TRUE);
	for (size_t i = 0; YAJL_IS_OBJECT(values) && i < values->u.object.len; i++) {
		const char *path = values->u.object.keys[i];
		Value v = VALUE_INIT;

		json_value(values->u.object.values[i], &v);
		bus_service_add(s->svc, path, &v, UNIT_NONE,
		                strcmp(path, "/CustomName") == 0 ? write_text
		                : s->writable                    ? write_battery
		                                                 : NULL,
		                s);
		value_clear(&v);
	}
	if (kept)
		g_hash_table_iter_init(&it, kept);
	while (kept && g_hash_table_iter_next(&it, &key, &value))
		bus_service_add(s->svc, key, value, UNIT_NONE,
		                strcmp(key, "/CustomName") == 0 ? write_text : write_any, NULL);
	if (g_str_has_prefix(name, "com.victronenergy.battery.") &&
	    !bus_service_get(s->svc, "/CustomName")) {
		Value empty = value_text("");

		bus_service_add(s->svc, "/CustomName", &empty, UNIT_NONE, write_text, NULL);
		value_clear(&empty);
	}
	if (!bus_service_register(s->svc, error)) {
		sim_free(s);
		return NULL;
	}
	g_hash_table_replace(b->sims, s->name, s);
	return s;
}

static Sim *find_sim(Batsim *b, const char *name)
{
	return g_hash_table_lookup(b->sims, name);
}

/* ---- device instances, as localsettings keeps them ------------------------
 *
 * A setting /Settings/Devices/<device>/ClassAndVrmInstance holds
 * "<class>:<instance>", and no two devices of a class have the same one:
 *   - AddSetting of a new one takes the instance of its default, or the
 *     next higher one that no other device of the class has;
 *   - AddSetting of an existing one with the same default changes nothing
 *     (even when another device has its instance meanwhile); with another
 *     default, it keeps its value but moves it up the same way if another
 *     device has it;
 *   - SetValue to an instance another device has stores the next free one
 *     (and returns 0); a value that is not "<class>:<number>" is refused;
 *   - a default that is not "<class>:<number>" is refused (-6).
 * Other paths, and values set by a scenario or the "settings" command (as
 * if the settings file had been edited), are not checked. */

static gboolean is_instance_setting(const char *path)
{
	const char *device = path + strlen("/Settings/Devices/");
	const char *slash;

	if (!g_str_has_prefix(path, "/Settings/Devices/"))
		return FALSE;
	slash = strchr(device, '/');
	return slash && slash > device && strcmp(slash, "/ClassAndVrmInstance") == 0;
}

/* "<class>:<integer>", exactly one ':'; *cls (transfer full) and *n set. */
static gboolean parse_class_instance(const Value *v, char **cls, long *n)
{
	const char *colon;
	char *end = NULL;

	if (v->type != VALUE_TEXT || !(colon = strchr(v->u.s, ':')) || strchr(colon + 1, ':'))
		return FALSE;
	*n = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end)
		return FALSE;
	*cls = g_strndup(v->u.s, (size_t)(colon - v->u.s));
	return TRUE;
}

typedef struct {
	const char *self;   /* the setting being given an instance */
	const char *prefix; /* "<class>:" */
	GPtrArray *taken;   /* borrowed texts */
} Taken;

static void collect_taken(const char *path, const Value *v, void *ud)
{
	Taken *t = ud;

	if (g_str_has_prefix(path, "/Settings/Devices/") &&
	    g_str_has_suffix(path, "/ClassAndVrmInstance") && strcmp(path, t->self) != 0 &&
	    v->type == VALUE_TEXT && g_str_has_prefix(v->u.s, t->prefix))
		g_ptr_array_add(t->taken, v->u.s);
}

/* The value for the instance setting at path that wants cls:n: that one, or
 * the next higher one no other device of the class has.  (transfer full) */
static char *free_instance(BusService *settings, const char *path, const char *cls, long n)
{
	g_autofree char *prefix = g_strdup_printf("%s:", cls);
	g_autoptr(GPtrArray) taken = g_ptr_array_new();
	Taken t = {path, prefix, taken};

	bus_service_foreach(settings, collect_taken, &t);
	for (;; n++) {
		char *candidate = g_strdup_printf("%s:%ld", cls, n);
		gboolean used = FALSE;

		for (guint i = 0; i < taken->len && !used; i++)
			used = strcmp(taken->pdata[i], candidate) == 0;
		if (!used)
			return candidate;
		g_free(candidate);
	}
}

/* Moves the instance setting at path to a free instance if another device
 * of its class has its value. */
static void keep_instance_free(BusService *settings, const char *path)
{
	const Value *v = bus_service_get(settings, path);
	g_autofree char *cls = NULL;
	g_autofree char *value = NULL;
	long n;

	if (!v || !parse_class_instance(v, &cls, &n))
		return;
	value = free_instance(settings, path, cls, n);
	if (strcmp(value, v->u.s) != 0) {
		Value moved = value_text(value);

		bus_service_set(settings, path, &moved);
		value_clear(&moved);
	}
}

static gboolean write_instance(BusService *svc, const char *path, const Value *v, void *ud)
{
	const Value *now = bus_service_get(svc, path);
	g_autofree char *cls = NULL;
	g_autofree char *value = NULL;
	Value stored;
	long n;

	if (!parse_class_instance(v, &cls, &n))
		return FALSE;
	if (now && value_equal(now, v))
		return TRUE;
	value = free_instance(svc, path, cls, n);
	stored = value_text(value);
	bus_service_set(svc, path, &stored);
	value_clear(&stored);
	return TRUE;
}

static BusWriteFn settings_write_fn(const char *path)
{
	return is_instance_setting(path) ? write_instance : write_any;
}

/* AddSetting of a device instance: the rules above.  Returns 0 or
 * localsettings' -6 (an invalid default). */
static dbus_int32_t add_instance_setting(Batsim *b, BusService *settings, const char *path,
                                         const Value *def)
{
	g_autofree char *cls = NULL;
	const char *before;
	long n;

	if (!parse_class_instance(def, &cls, &n))
		return -6;
	before = g_hash_table_lookup(b->instance_defaults, path);
	if (!bus_service_get(settings, path)) {
		g_autofree char *value = free_instance(settings, path, cls, n);
		Value v = value_text(value);

		bus_service_add(settings, path, &v, UNIT_NONE, write_instance, NULL);
		value_clear(&v);
	} else if (!before || strcmp(before, def->u.s) != 0) {
		keep_instance_free(settings, path);
	}
	g_hash_table_replace(b->instance_defaults, g_strdup(path), g_strdup(def->u.s));
	return 0;
}

/* AddSetting(s group, s name, v default, s type, v min, v max) -> i on
 * /Settings (0, or localsettings' error code); other calls fall through to
 * the BusItem tree. */
static DBusHandlerResult on_settings_call(DBusConnection *conn, DBusMessage *msg, void *data)
{
	Batsim *b = data;
	Sim *s = find_sim(b, SETTINGS);
	const char *member = dbus_message_get_member(msg);
	const char *group, *name, *type;
	DBusMessageIter it;
	Value def = VALUE_INIT;
	g_autofree char *path = NULL;
	DBusMessage *reply;
	dbus_int32_t rc = 0;

	if (!s || dbus_message_get_type(msg) != DBUS_MESSAGE_TYPE_METHOD_CALL || !member ||
	    (strcmp(member, "AddSetting") != 0 && strcmp(member, "AddSilentSetting") != 0))
		return DBUS_HANDLER_RESULT_NOT_YET_HANDLED;
	if (!dbus_message_has_signature(msg, "ssvsvv")) {
		reply = dbus_message_new_error(msg, DBUS_ERROR_INVALID_ARGS,
		                               "AddSetting takes ssvsvv");
		dbus_connection_send(conn, reply, NULL);
		dbus_message_unref(reply);
		return DBUS_HANDLER_RESULT_HANDLED;
	}
	dbus_message_iter_init(msg, &it);
	dbus_message_iter_get_basic(&it, &group);
	dbus_message_iter_next(&it);
	dbus_message_iter_get_basic(&it, &name);
	dbus_message_iter_next(&it);
	dbus_value_read(&it, &def);
	dbus_message_iter_next(&it);
	dbus_message_iter_get_basic(&it, &type);
	path = g_strdup_printf("/Settings/%s/%s", group, name);
	while (strstr(path, "//"))
		memmove(strstr(path, "//"), strstr(path, "//") + 1, strlen(strstr(path, "//")));
	/* Refused as localsettings refuses them: an element starting with '_'
	 * (its escape for XML), and a path D-Bus cannot carry. */
	if (strstr(path, "/_"))
		rc = -2;
	else if (!dbus_validate_path(path, NULL))
		rc = -4;
	if (rc == 0 && is_instance_setting(path))
		rc = add_instance_setting(b, s->svc, path, &def);
	else if (rc == 0 && !bus_service_get(s->svc, path))
		bus_service_add(s->svc, path, &def, UNIT_NONE, write_any, NULL);
	value_clear(&def);
	reply = dbus_message_new_method_return(msg);
	dbus_message_append_args(reply, DBUS_TYPE_INT32, &rc, DBUS_TYPE_INVALID);
	dbus_connection_send(conn, reply, NULL);
	dbus_message_unref(reply);
	return DBUS_HANDLER_RESULT_HANDLED;
}

static const DBusObjectPathVTable settings_vtable = {
        .message_function = on_settings_call,
};

static gboolean start_settings(Batsim *b, GError **error)
{
	Sim *s = sim_new(b, SETTINGS, NULL, NULL, error);
	yajl_val v;
	Value ccl, cvl;

	if (!s)
		return FALSE;
	v = yajl_tree_get(b->scenario, (const char *[]){"userMaxChargeCurrent", NULL}, yajl_t_any);
	if (!v || !json_value(v, &ccl))
		ccl = value_int(-1);
	v = yajl_tree_get(b->scenario, (const char *[]){"userMaxChargeVoltage", NULL}, yajl_t_any);
	if (!v || !json_value(v, &cvl))
		cvl = value_double(0);
	bus_service_add(s->svc, "/Settings/SystemSetup/MaxChargeCurrent", &ccl, UNIT_NONE,
	                write_any, NULL);
	bus_service_add(s->svc, "/Settings/SystemSetup/MaxChargeVoltage", &cvl, UNIT_NONE,
	                write_any, NULL);
	value_clear(&ccl);
	value_clear(&cvl);
	dbus_connection_register_object_path(s->conn, "/Settings", &settings_vtable, b);
	return TRUE;
}

static gboolean start_system(Batsim *b, GError **error)
{
	Sim *s = sim_new(b, SYSTEM, NULL, NULL, error);
	yajl_val v;
	Value dvcc;

	if (!s)
		return FALSE;
	v = yajl_tree_get(b->scenario, (const char *[]){"dvcc", NULL}, yajl_t_any);
	if (!v || !json_value(v, &dvcc))
		dvcc = value_int(1);
	bus_service_add(s->svc, "/Control/Dvcc", &dvcc, UNIT_NONE, write_any, NULL);
	value_clear(&dvcc);
	return TRUE;
}

/* ---- models -------------------------------------------------------------- */

static void step_model(Sim *s, double t, double dt);

static double number_or(yajl_val obj, const char *key, double fallback)
{
	yajl_val v = yajl_tree_get(obj, (const char *[]){key, NULL}, yajl_t_number);

	return v ? YAJL_GET_DOUBLE(v) : fallback;
}

/* A deterministic noise source, so that runs repeat. */
static double noise(Model *m)
{
	m->seed = m->seed * 1103515245u + 12345u;
	return ((m->seed >> 8) / (double)(1u << 24)) * 2 - 1;
}

/* An LFP-like cell's open-circuit voltage over its SoC (%): steep below
 * 10 % and above 95 %, nearly flat (3.20 to 3.35 V) between; linear between
 * the points, the ends held outside 0..100 %. */
static double cell_ocv(double soc)
{
	static const double curve[][2] = {
	        {0, 2.80},  {5, 3.10},  {10, 3.20}, {20, 3.25}, {30, 3.27}, {50, 3.29},  {70, 3.31},
	        {90, 3.33}, {95, 3.35}, {97, 3.40}, {98, 3.45}, {99, 3.52}, {100, 3.60},
	};
	size_t k = 1;

	if (soc <= curve[0][0])
		return curve[0][1];
	while (k < G_N_ELEMENTS(curve) - 1 && soc > curve[k][0])
		k++;
	if (soc >= curve[k][0])
		return curve[k][1];
	return curve[k - 1][1] + (curve[k][1] - curve[k - 1][1]) * (soc - curve[k - 1][0]) /
	                                 (curve[k][0] - curve[k - 1][0]);
}

/* "cells", "imbalance" and "temperature" of a model (see usage()). */
static void attach_cells(Sim *s, yajl_val m)
{
	Model *model = s->model;
	yajl_val imb = yajl_tree_get(m, (const char *[]){"imbalance", NULL}, yajl_t_object);
	yajl_val temp = yajl_tree_get(m, (const char *[]){"temperature", NULL}, yajl_t_any);
	const Value *now = bus_service_get(s->svc, "/Dc/0/Temperature");
	int runner = (int)number_or(imb, "cell", 1);
	double x;

	model->cells = (int)CLAMP(number_or(m, "cells", 0), 0, 64);
	if (model->cells) {
		double spread = number_or(imb, "spread", 0);

		model->offset = g_new0(double, model->cells);
		for (int k = 0; k < model->cells; k++)
			model->offset[k] = spread * noise(model) / 2;
		if (runner >= 1 && runner <= model->cells)
			model->offset[runner - 1] += number_or(imb, "soc", 0);
	}
	if (!model->cells && !temp)
		return;
	model->thermal = TRUE;
	model->ambient = now && value_number(now, &x) ? x : 25;
	if (YAJL_IS_NUMBER(temp))
		model->ambient = YAJL_GET_DOUBLE(temp);
	model->ambient = number_or(temp, "ambient", model->ambient);
	model->rise = number_or(temp, "rise", 0);
	model->tau = MAX(number_or(temp, "tau", 600), 1);
	model->spread = number_or(temp, "spread", 1);
	model->temp = model->ambient;
}

static void attach_model(Sim *s, yajl_val m, double t)
{
	yajl_val cur = yajl_tree_get(m, (const char *[]){"current", NULL}, yajl_t_object);
	const Value *soc = bus_service_get(s->svc, "/Soc");
	double x;

	s->model = g_new0(Model, 1);
	s->model->emf = number_or(m, "emf", 52.0);
	s->model->resistance = number_or(m, "resistance", 0.01);
	s->model->noise = number_or(m, "noise", 0.002);
	s->model->capacity = number_or(m, "capacity", 100);
	s->model->mean = number_or(cur, "mean", 0);
	s->model->amplitude = number_or(cur, "amplitude", 10);
	s->model->period = number_or(cur, "period", 60);
	s->model->seed = g_str_hash(s->name);
	s->model->phase = (s->model->seed % 628) / 100.0;
	s->model->soc = soc && value_number(soc, &x) ? x : 50;
	attach_cells(s, m);
	/* Cells and temperatures from the start, not one tick later. */
	if (s->model->cells || s->model->thermal)
		step_model(s, t, 0);
}

/* A value set by a step or a command that the model follows: a SoC moves
 * the pack's (the cells keep their offsets); a temperature is the new
 * ambient and the temperature now. */
static void model_follow(Sim *s, const char *path, const Value *v)
{
	double x;

	if (!s->model || !value_number(v, &x))
		return;
	if (strcmp(path, "/Soc") == 0)
		s->model->soc = CLAMP(x, 0, 100);
	else if (strcmp(path, "/Dc/0/Temperature") == 0 && s->model->thermal)
		s->model->ambient = s->model->temp = x;
}

/* A value a model publishes; a path it adds takes no SetValue (only those
 * the scenario gives do, with --writable). */
static void model_publish(Sim *s, const char *path, const Value *v)
{
	if (bus_service_get(s->svc, path))
		bus_service_set(s->svc, path, v);
	else
		bus_service_add(s->svc, path, v, UNIT_NONE, NULL, NULL);
}

static void set_number(Sim *s, const char *path, double x)
{
	Value v = value_double(round(x * 1000) / 1000);

	model_publish(s, path, &v);
}

static void set_text(Sim *s, const char *path, const char *text)
{
	Value v = value_text(text);

	model_publish(s, path, &v);
	value_clear(&v);
}

/* Each cell: its OCV at the pack's SoC plus its offset, plus the current
 * through its share of the resistance, plus its share of the noise; the
 * pack's voltage is their sum (of the values as published, to the mV). */
static double step_cells(Sim *s, double i)
{
	Model *m = s->model;
	double sum = 0, hi = -INFINITY, lo = INFINITY;
	int hi_k = 0, lo_k = 0;
	char path[32], id[16];

	for (int k = 0; k < m->cells; k++) {
		double v = cell_ocv(m->soc + m->offset[k]) + m->resistance / m->cells * i +
		           m->noise / m->cells * noise(m);

		v = round(v * 1000) / 1000;
		sum += v;
		if (v > hi) {
			hi = v;
			hi_k = k;
		}
		if (v < lo) {
			lo = v;
			lo_k = k;
		}
		g_snprintf(path, sizeof(path), "/Voltages/Cell%d", k + 1);
		set_number(s, path, v);
	}
	set_number(s, "/Voltages/Sum", sum);
	set_number(s, "/Voltages/Diff", hi - lo);
	set_number(s, "/System/MaxCellVoltage", hi);
	set_number(s, "/System/MinCellVoltage", lo);
	g_snprintf(id, sizeof(id), "C%d", hi_k + 1);
	set_text(s, "/System/MaxVoltageCellId", id);
	g_snprintf(id, sizeof(id), "C%d", lo_k + 1);
	set_text(s, "/System/MinVoltageCellId", id);
	if (!bus_service_get(s->svc, "/System/NrOfCellsPerBattery")) {
		Value n = value_int(m->cells);

		model_publish(s, "/System/NrOfCellsPerBattery", &n);
	}
	return sum;
}

/* The pack's temperature after dt: towards ambient + rise * I^2 R. */
static void step_temperature(Sim *s, double i, double dt)
{
	Model *m = s->model;
	double target = m->ambient + m->rise * i * i * m->resistance;

	m->temp += (target - m->temp) * (1 - exp(-dt / m->tau));
	/* To 0.1 degree, as BMSes tell them. */
	set_number(s, "/Dc/0/Temperature", round(m->temp * 10) / 10);
	set_number(s, "/System/MaxCellTemperature", round((m->temp + m->spread / 2) * 10) / 10);
	set_number(s, "/System/MinCellTemperature", round((m->temp - m->spread / 2) * 10) / 10);
}

static void step_model(Sim *s, double t, double dt)
{
	Model *m = s->model;
	double i = m->mean + m->amplitude * sin(2 * G_PI * t / m->period + m->phase);
	double v;

	m->soc = CLAMP(m->soc + i * dt / 3600 / m->capacity * 100, 0, 100);
	if (m->cells)
		v = step_cells(s, i);
	else
		v = m->emf + m->resistance * i + m->noise * noise(m);
	set_number(s, "/Dc/0/Current", i);
	set_number(s, "/Dc/0/Voltage", v);
	set_number(s, "/Dc/0/Power", v * i);
	set_number(s, "/Soc", m->soc);
	set_number(s, "/ConsumedAmphours", m->capacity * (100 - m->soc) / 100);
	if (!m->cells) {
		set_number(s, "/System/MinCellVoltage", v / 16 - 0.008 - 0.002 * fabs(noise(m)));
		set_number(s, "/System/MaxCellVoltage", v / 16 + 0.008 + 0.002 * fabs(noise(m)));
	}
	if (m->thermal)
		step_temperature(s, i, dt);
}

static gboolean on_tick(gpointer data)
{
	Batsim *b = data;
	GHashTableIter it;
	gpointer value;

	b->t += b->tick;
	g_hash_table_iter_init(&it, b->sims);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		Sim *s = value;

		if (s->model)
			step_model(s, b->t, b->tick);
	}
	return G_SOURCE_CONTINUE;
}

/* ---- actions (steps and commands) ---------------------------------------- */

static void stall_if_slow(Batsim *b, Sim *s)
{
	yajl_val v =
	        yajl_tree_get(b->scenario, (const char *[]){"slow", s->name, NULL}, yajl_t_number);

	if (v)
		stall(s, YAJL_GET_DOUBLE(v));
}

static void set_many(Batsim *b, const char *service, yajl_val values)
{
	Sim *s = find_sim(b, service);

	if (!s) {
		fprintf(stderr, "batsim: no service %s\n", service);
		return;
	}
	for (size_t i = 0; YAJL_IS_OBJECT(values) && i < values->u.object.len; i++)
		sim_set(s, values->u.object.keys[i], values->u.object.values[i]);
}

static void add_battery(Batsim *b, const char *service, yajl_val values)
{
	g_autoptr(GError) error = NULL;
	yajl_val model = yajl_tree_get(b->scenario, (const char *[]){"models", service, NULL},
	                               yajl_t_object);
	Sim *s;

	if (find_sim(b, service)) {
		fprintf(stderr, "batsim: %s exists already\n", service);
		return;
	}
	s = sim_new(b, service, values, NULL, &error);
	if (!s) {
		fprintf(stderr, "batsim: %s\n", error->message);
		return;
	}
	if (model)
		attach_model(s, model, b->t);
	stall_if_slow(b, s);
}

/* A service that left and comes back: what it had, and the changes. */
typedef struct {
	Batsim *b;
	char *name;
	GHashTable *values; /* path -> Value * */
} Return;

static void value_free(gpointer data)
{
	value_clear(data);
	g_free(data);
}

static void keep_value(const char *path, const Value *v, void *ud)
{
	Value *copy = g_new0(Value, 1);

	value_copy(copy, v);
	g_hash_table_insert(ud, g_strdup(path), copy);
}

static gboolean on_return(gpointer data)
{
	Return *r = data;
	g_autoptr(GError) error = NULL;
	gboolean settings = strcmp(r->name, SETTINGS) == 0;
	Sim *s;
	GHashTableIter it;
	gpointer path, value;

	if (settings)
		start_settings(r->b, &error);
	else if (strcmp(r->name, SYSTEM) == 0)
		start_system(r->b, &error);
	else
		sim_new(r->b, r->name, NULL, r->values, &error);
	s = find_sim(r->b, r->name);
	if (!s) {
		fprintf(stderr, "batsim: %s cannot come back: %s\n", r->name,
		        error ? error->message : "?");
		return G_SOURCE_REMOVE;
	}
	/* The settings and system services start as at first, then get their
	 * kept values back. */
	if (settings || strcmp(r->name, SYSTEM) == 0) {
		g_hash_table_iter_init(&it, r->values);
		while (g_hash_table_iter_next(&it, &path, &value))
			bus_service_add(s->svc, path, value, UNIT_NONE,
			                settings ? settings_write_fn(path) : write_any, NULL);
	}
	return G_SOURCE_REMOVE;
}

static void return_free(gpointer data)
{
	Return *r = data;

	g_hash_table_destroy(r->values);
	g_free(r->name);
	g_free(r);
}

/* The service leaves (its name is released) and comes back after a while
 * with its values, changed by changes (a JSON object; null removes). */
static void restart(Batsim *b, const char *service, double seconds, yajl_val changes)
{
	Sim *s = find_sim(b, service);
	Return *r;

	if (!s) {
		fprintf(stderr, "batsim: no service %s\n", service);
		return;
	}
	r = g_new0(Return, 1);
	r->b = b;
	r->name = g_strdup(service);
	r->values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, value_free);
	bus_service_foreach(s->svc, keep_value, r->values);
	for (size_t i = 0; YAJL_IS_OBJECT(changes) && i < changes->u.object.len; i++) {
		Value *v = g_new0(Value, 1);

		if (YAJL_IS_NULL(changes->u.object.values[i]) ||
		    !json_value(changes->u.object.values[i], v)) {
			g_hash_table_remove(r->values, changes->u.object.keys[i]);
			if (strcmp(service, SETTINGS) == 0)
				g_hash_table_remove(b->instance_defaults,
				                    changes->u.object.keys[i]);
			g_free(v);
			continue;
		}
		g_hash_table_replace(r->values, g_strdup(changes->u.object.keys[i]), v);
	}
	g_hash_table_remove(b->sims, service);
	g_timeout_add_full(G_PRIORITY_DEFAULT, (guint)(seconds * 1000), on_return, r, return_free);
}

static void remove_battery(Batsim *b, const char *service)
{
	if (!g_hash_table_remove(b->sims, service))
		fprintf(stderr, "batsim: no service %s\n", service);
}

static void play(Batsim *b, yajl_val step)
{
	static const char *const kinds[] = {"set", "settings"};
	yajl_val v;

	for (size_t k = 0; k < G_N_ELEMENTS(kinds); k++) {
		v = yajl_tree_get(step, (const char *[]){kinds[k], NULL}, yajl_t_object);
		for (size_t i = 0; v && i < v->u.object.len; i++)
			set_many(b, v->u.object.keys[i], v->u.object.values[i]);
	}
	v = yajl_tree_get(step, (const char *[]){"remove", NULL}, yajl_t_array);
	for (size_t i = 0; v && i < v->u.array.len; i++) {
		if (YAJL_IS_STRING(v->u.array.values[i]))
			remove_battery(b, YAJL_GET_STRING(v->u.array.values[i]));
	}
	v = yajl_tree_get(step, (const char *[]){"add", NULL}, yajl_t_object);
	for (size_t i = 0; v && i < v->u.object.len; i++)
		add_battery(b, v->u.object.keys[i], v->u.object.values[i]);
	v = yajl_tree_get(step, (const char *[]){"label", NULL}, yajl_t_string);
	if (v && !b->quiet)
		printf("batsim: step %s\n", YAJL_GET_STRING(v));
	fflush(stdout);
}

static void schedule_step(Batsim *b);

static gboolean on_step(gpointer data)
{
	Batsim *b = data;

	play(b, b->steps->u.array.values[b->next_step++]);
	if (b->next_step == b->steps->u.array.len && b->loop_steps)
		b->next_step = 0;
	schedule_step(b);
	return G_SOURCE_REMOVE;
}

static void schedule_step(Batsim *b)
{
	yajl_val step;
	double wait;

	if (!b->steps || b->next_step >= b->steps->u.array.len)
		return;
	step = b->steps->u.array.values[b->next_step];
	wait = number_or(step, "wait", b->settle);
	g_timeout_add((guint)(wait * 1000), on_step, b);
}

/* The numbers JSON cannot write. */
static gboolean non_finite(const char *text, double *x)
{
	static const struct {
		const char *word;
		double value;
	} words[] = {{"nan", NAN}, {"inf", INFINITY}, {"-inf", -INFINITY}};

	for (size_t i = 0; i < G_N_ELEMENTS(words); i++) {
		if (strcmp(text, words[i].word) == 0) {
			*x = words[i].value;
			return TRUE;
		}
	}
	return FALSE;
}

/* One stdin line: "verb SERVICE [PATH] [JSON]". */
static void command(Batsim *b, char *line)
{
	g_auto(GStrv) words = g_strsplit(g_strstrip(line), " ", 3);
	char err[256] = "";
	yajl_val json = NULL;
	const char *verb = words[0];
	int n = (int)g_strv_length(words);
	g_autofree char *path_json = NULL;

	if (!verb || !*verb)
		return;
	if (strcmp(verb, "quit") == 0) {
		g_main_loop_quit(b->loop);
		return;
	}
	if (n >= 2 && strcmp(verb, "remove") == 0) {
		remove_battery(b, words[1]);
		return;
	}
	if (n >= 2 && strcmp(verb, "garbage") == 0 && find_sim(b, words[1])) {
		emit_garbage(find_sim(b, words[1]));
		return;
	}
	if (n >= 3 && strcmp(verb, "stall") == 0 && find_sim(b, words[1])) {
		stall(find_sim(b, words[1]), g_ascii_strtod(words[2], NULL));
		return;
	}
	if (n >= 3 && strcmp(verb, "restart") == 0) {
		g_auto(GStrv) rest = g_strsplit(words[2], " ", 2);

		json = rest[1] ? yajl_tree_parse(rest[1], err, sizeof(err)) : NULL;
		if (rest[1] && !json)
			fprintf(stderr, "batsim: bad JSON in \"%s\": %s\n", line, err);
		else
			restart(b, words[1], g_ascii_strtod(rest[0], NULL), json);
		yajl_tree_free(json);
		return;
	}

	if (n < 3) {
		fprintf(stderr, "batsim: bad command: %s\n", line);
		usage();
		return;
	}
	if (strcmp(verb, "settings") == 0 || strcmp(verb, "system") == 0) {
		/* "settings PATH JSON": the service is implied. */
		path_json = g_strdup_printf("{\"%s\": %s}", words[1], words[2]);
		json = yajl_tree_parse(path_json, err, sizeof(err));
		if (json)
			set_many(b, strcmp(verb, "settings") == 0 ? SETTINGS : SYSTEM, json);
	} else if (strcmp(verb, "set") == 0 || strcmp(verb, "props") == 0) {
		g_auto(GStrv) rest = g_strsplit(words[2], " ", 2);
		Sim *s = find_sim(b, words[1]);
		double x;

		if (!rest[0] || !rest[1] || !s) {
			fprintf(stderr, "batsim: bad command (or no such service): %s\n", line);
			return;
		}
		bus_service_use_items_changed(s->svc, strcmp(verb, "set") == 0);
		if (non_finite(rest[1], &x)) {
			Value v = value_double(x);

			sim_set_value(s, rest[0], &v);
			bus_service_flush(s->svc);
			bus_service_use_items_changed(s->svc, TRUE);
			return;
		}
		path_json = g_strdup_printf("{\"%s\": %s}", rest[0], rest[1]);
		json = yajl_tree_parse(path_json, err, sizeof(err));
		if (json) {
			set_many(b, words[1], json);
			bus_service_flush(s->svc);
		}
		bus_service_use_items_changed(s->svc, TRUE);
	} else if (strcmp(verb, "setmany") == 0 || strcmp(verb, "add") == 0) {
		json = yajl_tree_parse(words[2], err, sizeof(err));
		if (json && strcmp(verb, "setmany") == 0)
			set_many(b, words[1], json);
		else if (json)
			add_battery(b, words[1], json);
	} else {
		fprintf(stderr, "batsim: unknown command %s\n", verb);
		usage();
		return;
	}
	if (!json)
		fprintf(stderr, "batsim: bad JSON in \"%s\": %s\n", line, err);
	yajl_tree_free(json);
}

static gboolean on_stdin(gint fd, GIOCondition cond, gpointer data)
{
	Batsim *b = data;
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));
	char *nl;

	if (n <= 0)
		return G_SOURCE_REMOVE; /* stdin closed: keep running */
	g_string_append_len(b->input, buf, n);
	while ((nl = memchr(b->input->str, '\n', b->input->len))) {
		g_autofree char *line = g_strndup(b->input->str, nl - b->input->str);

		g_string_erase(b->input, 0, nl - b->input->str + 1);
		command(b, line);
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_signal(gpointer data)
{
	g_main_loop_quit(((Batsim *)data)->loop);
	return G_SOURCE_CONTINUE;
}

/* ---- start --------------------------------------------------------------- */

static yajl_val load_scenario(const char *path)
{
	g_autofree char *text = NULL;
	g_autoptr(GError) error = NULL;
	char err[512] = "";
	yajl_val v;

	if (!path || strcmp(path, "-") == 0)
		return yajl_tree_parse("{}", err, sizeof(err));
	if (!g_file_get_contents(path, &text, NULL, &error)) {
		fprintf(stderr, "batsim: %s\n", error->message);
		return NULL;
	}
	v = yajl_tree_parse(text, err, sizeof(err));
	if (!v)
		fprintf(stderr, "batsim: %s: %s\n", path, err);
	else if (!YAJL_IS_OBJECT(v)) {
		fprintf(stderr, "batsim: %s: the scenario must be a JSON object\n", path);
		yajl_tree_free(v);
		v = NULL;
	}
	return v;
}

static gboolean start_batteries(Batsim *b, GError **error)
{
	yajl_val batteries =
	        yajl_tree_get(b->scenario, (const char *[]){"batteries", NULL}, yajl_t_object);

	for (size_t i = 0; batteries && i < batteries->u.object.len; i++) {
		const char *name = batteries->u.object.keys[i];
		yajl_val model = yajl_tree_get(b->scenario, (const char *[]){"models", name, NULL},
		                               yajl_t_object);
		Sim *s = sim_new(b, name, batteries->u.object.values[i], NULL, error);

		if (!s)
			return FALSE;
		if (model)
			attach_model(s, model, b->t);
		stall_if_slow(b, s);
	}
	return TRUE;
}

int main(int argc, char **argv)
{
	gboolean no_settings = FALSE, no_system = FALSE;
	const GOptionEntry entries[] = {
	        {"no-settings", 0, 0, G_OPTION_ARG_NONE, &no_settings,
	         "Do not publish com.victronenergy.settings", NULL},
	        {"no-system", 0, 0, G_OPTION_ARG_NONE, &no_system,
	         "Do not publish com.victronenergy.system", NULL},
	        {NULL},
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("[SCENARIO.json | -]");
	g_autofree char *description = NULL;
	g_autoptr(GError) error = NULL;
	Batsim b = {0};
	gboolean quiet = FALSE;
	const GOptionEntry more[] = {
	        {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print nothing but errors", NULL},
	        {"writable", 'w', 0, G_OPTION_ARG_NONE, &b.writable,
	         "Every battery path takes SetValue (change values with dbus-send)", NULL},
	        {NULL},
	};

	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_add_main_entries(ctx, more, NULL);
	description =
	        g_strconcat("Commands on stdin, one per line: set SERVICE PATH JSON | setmany "
	                    "SERVICE {PATH: JSON} | props SERVICE PATH JSON | add SERVICE "
	                    "{PATH: JSON} | remove SERVICE | stall SERVICE SECONDS | restart "
	                    "SERVICE SECONDS [{PATH: JSON}] | garbage SERVICE | settings PATH "
	                    "JSON | system PATH JSON | quit (a bad one prints more).\n\n",
	                    scenario_keys, NULL);
	g_option_context_set_description(ctx, description);
	if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc > 2) {
		fprintf(stderr, "batsim: %s\n", error ? error->message : "too many arguments");
		usage();
		return 2;
	}
	b.quiet = quiet;
	b.scenario = load_scenario(argc == 2 ? argv[1] : NULL);
	if (!b.scenario)
		return 2;
	b.sims = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, sim_free);
	b.instance_defaults = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	b.loop = g_main_loop_new(NULL, FALSE);
	b.input = g_string_new(NULL);
	b.settle = number_or(b.scenario, "settle", 1.0);
	b.tick = number_or(b.scenario, "tick", 1.0);
	b.loop_steps =
	        yajl_tree_get(b.scenario, (const char *[]){"loop", NULL}, yajl_t_true) != NULL;
	b.steps = yajl_tree_get(b.scenario, (const char *[]){"steps", NULL}, yajl_t_array);
	if ((!no_settings && !start_settings(&b, &error)) ||
	    (!no_system && !start_system(&b, &error)) || !start_batteries(&b, &error)) {
		fprintf(stderr, "batsim: %s\n", error->message);
		b.exit_code = 1;
		goto out;
	}
	printf("batsim: ready\n");
	fflush(stdout);
	schedule_step(&b);
	if (yajl_tree_get(b.scenario, (const char *[]){"models", NULL}, yajl_t_object))
		g_timeout_add((guint)(b.tick * 1000), on_tick, &b);
	g_unix_fd_add(0, G_IO_IN | G_IO_HUP, on_stdin, &b);
	g_unix_signal_add(SIGTERM, on_signal, &b);
	g_unix_signal_add(SIGINT, on_signal, &b);
	g_main_loop_run(b.loop);
out:
	g_hash_table_destroy(b.sims);
	g_hash_table_destroy(b.instance_defaults);
	g_main_loop_unref(b.loop);
	g_string_free(b.input, TRUE);
	yajl_tree_free(b.scenario);
	return b.exit_code;
}
