/* SPDX-License-Identifier: MIT */
/*
 * batwatch: every battery service on the bus side by side, refreshed every
 * second: plain batteries first, then each series battery after its
 * modules, the aggregate last.  It follows the services with the same
 * Monitor the daemon uses and keeps their values in a small table.
 */
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bus/dbus_glib.h"
#include "bus/monitor.h"

#define COLUMN 22
#define NARROW 15 /* with more than WIDE_MAX columns */
#define WIDE_MAX 6
/* On a terminal too narrow for the table: the labels' width, and the least
 * a column is given. */
#define LABEL_NARROW 16
#define COLUMN_MIN 10

typedef struct {
	const char *label;
	const char *path;
	Unit unit;
} Row;

static const Row rows[] = {
        {"Name", "/CustomName", UNIT_NONE},
        {"Voltage", "/Dc/0/Voltage", UNIT_VOLT},
        {"Current", "/Dc/0/Current", UNIT_AMP},
        {"Power", "/Dc/0/Power", UNIT_WATT},
        {"SoC", "/Soc", UNIT_PERCENT},
        {"Temperature", "/Dc/0/Temperature", UNIT_NONE},
        {"Installed cap.", "/InstalledCapacity", UNIT_AH},
        {"CCL", "/Info/MaxChargeCurrent", UNIT_AMP},
        {"DCL", "/Info/MaxDischargeCurrent", UNIT_AMP},
        {"CVL", "/Info/MaxChargeVoltage", UNIT_VOLT},
        {"Charge mode", "/Info/ChargeMode", UNIT_NONE},
        {"Allow charge", "/Io/AllowToCharge", UNIT_NONE},
        {"Allow discharge", "/Io/AllowToDischarge", UNIT_NONE},
        {"Max cell", "/System/MaxCellVoltage", UNIT_VOLT},
        {"Min cell", "/System/MinCellVoltage", UNIT_VOLT},
        {"Cell temp.", "/System/MinCellTemperature", UNIT_NONE},
        {"Batteries", "/System/NrOfBatteries", UNIT_NONE},
        {"In series", "/System/BatteriesSeries", UNIT_NONE},
        {"Low V alarm", "/Alarms/LowVoltage", UNIT_NONE},
        {"BMS cable alarm", "/Alarms/BmsCable", UNIT_NONE},
};

/* Rows that show a second value after the first: the cell's id after its
 * voltage, the warmest cell's temperature after the coldest's. */
static const struct {
	const char *path, *then, *sep;
} then[] = {
        {"/System/MaxCellVoltage", "/System/MaxVoltageCellId", " "},
        {"/System/MinCellVoltage", "/System/MinVoltageCellId", " "},
        {"/System/MinCellTemperature", "/System/MaxCellTemperature", ".."},
};

/* The aggregate's diagnosis lists, one entry per member in the order of
 * its /System/Batteries: shown in each member's own column. */
static const Row per_member[] = {
        {"IR (ohm)", "/System/InternalResistances", UNIT_NONE},
        {"IR correction", "/System/InternalResistanceCorrections", UNIT_NONE},
        {"Charge ratio", "/System/ChargeCurrentRatios", UNIT_NONE},
        {"Discharge ratio", "/System/DischargeCurrentRatios", UNIT_NONE},
};

/* The aggregate's reasons, one line each below the table. */
static const Row reasons[] = {
        {"Charge limit", "/Info/ChargeLimitation", UNIT_NONE},
        {"Discharge limit", "/Info/DischargeLimitation", UNIT_NONE},
        {"Charge voltage", "/Info/ChargeVoltageLimitation", UNIT_NONE},
};

typedef struct {
	GMainLoop *loop;
	GHashTable *services; /* name -> GHashTable path -> Value * */
	const char *aggregate;
	gboolean once;
	gboolean tty;
} Watch;

static void value_free_ptr(gpointer p)
{
	value_clear(p);
	g_free(p);
}

static MonitorInterest want(void *ud, const char *service, const char *const **paths)
{
	return g_str_has_prefix(service, "com.victronenergy.battery.") ? MONITOR_ALL
	                                                               : MONITOR_IGNORE;
}

static void store(Watch *w, const char *service, const PathValue *items, size_t n)
{
	GHashTable *values = g_hash_table_lookup(w->services, service);

	if (!values) {
		values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, value_free_ptr);
		g_hash_table_insert(w->services, g_strdup(service), values);
	}
	for (size_t i = 0; i < n; i++) {
		Value *v = g_new0(Value, 1);

		value_copy(v, &items[i].value);
		g_hash_table_replace(values, g_strdup(items[i].path), v);
	}
}

static void on_added(void *ud, const char *service, const PathValue *items, size_t n)
{
	store(ud, service, items, n);
}

static void on_changed(void *ud, const char *service, const PathValue *items, size_t n)
{
	store(ud, service, items, n);
}

static void on_removed(void *ud, const char *service)
{
	g_hash_table_remove(((Watch *)ud)->services, service);
}

static gint by_name(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A series battery (more than one module in series, not the aggregate):
 * its modules as its /System/Batteries lists them, else NULL. */
static char **modules_of(Watch *w, const char *name)
{
	GHashTable *values = g_hash_table_lookup(w->services, name);
	const Value *series = g_hash_table_lookup(values, "/System/BatteriesSeries");
	const Value *list = g_hash_table_lookup(values, "/System/Batteries");
	double n;
	g_auto(GStrv) parts = NULL;
	GPtrArray *out;

	if (strcmp(name, w->aggregate) == 0 || !series || !value_number(series, &n) || n < 2 ||
	    !list || list->type != VALUE_TEXT)
		return NULL;
	/* ["a", "b"]: the names are every other piece between quotes. */
	parts = g_strsplit(list->u.s, "\"", -1);
	out = g_ptr_array_new();
	for (guint i = 1; parts[i]; i += 2)
		g_ptr_array_add(out, g_strdup(parts[i]));
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

/* The columns: plain batteries, each string after its modules, the
 * aggregate last. */
static GPtrArray *columns(Watch *w)
{
	g_autoptr(GPtrArray) all = g_ptr_array_new();
	g_autoptr(GHashTable) placed = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GPtrArray) strings = g_ptr_array_new();
	GPtrArray *out = g_ptr_array_new();
	GHashTableIter it;
	gpointer key;

	g_hash_table_iter_init(&it, w->services);
	while (g_hash_table_iter_next(&it, &key, NULL))
		g_ptr_array_add(all, key);
	g_ptr_array_sort(all, by_name);
	for (guint i = 0; i < all->len; i++) {
		g_auto(GStrv) modules = modules_of(w, all->pdata[i]);

		for (guint k = 0; modules && modules[k]; k++) {
			gpointer name = NULL;

			if (g_hash_table_lookup_extended(w->services, modules[k], &name, NULL) &&
			    g_hash_table_add(placed, name))
				g_ptr_array_add(strings, name);
		}
		if (modules && g_hash_table_add(placed, all->pdata[i]))
			g_ptr_array_add(strings, all->pdata[i]);
	}
	for (guint i = 0; i < all->len; i++) {
		if (!g_hash_table_contains(placed, all->pdata[i]) &&
		    strcmp(all->pdata[i], w->aggregate) != 0)
			g_ptr_array_add(out, all->pdata[i]);
	}
	for (guint i = 0; i < strings->len; i++)
		g_ptr_array_add(out, strings->pdata[i]);
	if (g_hash_table_contains(w->services, w->aggregate))
		g_ptr_array_add(out, (gpointer)w->aggregate);
	return out;
}

static void cell(GString *s, int width, const char *text)
{
	g_string_append_printf(s, "%-*.*s", width, width - 1, text);
}

/* The pieces of a JSON list of names or numbers ("[\"a\", 0.1, null]"),
 * quotes taken off; NULL when value is no such text. */
static char **list_items(const Value *v)
{
	g_autofree char *inner = NULL;
	char **items;
	size_t len;

	if (!v || v->type != VALUE_TEXT || (len = strlen(v->u.s)) < 2 || v->u.s[0] != '[')
		return NULL;
	inner = g_strndup(v->u.s + 1, len - 2);
	items = g_strsplit(inner, ",", -1);
	for (char **it = items; *it; it++) {
		g_strstrip(*it);
		if (**it == '"') {
			memmove(*it, *it + 1, strlen(*it));
			if (**it && (*it)[strlen(*it) - 1] == '"')
				(*it)[strlen(*it) - 1] = '\0';
		}
		if (strcmp(*it, "null") == 0)
			**it = '\0';
	}
	return items;
}

/* A member's entry of the aggregate's list at path, or "". */
static char *member_entry(Watch *w, const char *member, const char *path)
{
	GHashTable *agg = g_hash_table_lookup(w->services, w->aggregate);
	g_auto(GStrv) names =
	        agg ? list_items(g_hash_table_lookup(agg, "/System/Batteries")) : NULL;
	g_auto(GStrv) entries = agg ? list_items(g_hash_table_lookup(agg, path)) : NULL;

	for (guint k = 0; names && entries && names[k] && entries[k]; k++) {
		char *end;
		double x = g_ascii_strtod(entries[k], &end);

		if (strcmp(names[k], member) != 0)
			continue;
		/* Numbers to what a column holds. */
		if (*entries[k] && !*end)
			return g_strdup_printf("%.4g", x);
		return g_strdup(entries[k]);
	}
	return g_strdup("");
}

/* A row's text for a service's values: "" when it has none of them. */
static char *row_text(GHashTable *values, const Row *row)
{
	const Value *v = g_hash_table_lookup(values, row->path);
	const Value *v2 = NULL;
	const char *sep = "";
	g_autofree char *text = NULL;
	g_autofree char *text2 = NULL;

	for (size_t k = 0; k < G_N_ELEMENTS(then); k++) {
		if (strcmp(then[k].path, row->path) == 0) {
			v2 = g_hash_table_lookup(values, then[k].then);
			sep = then[k].sep;
		}
	}
	text = v ? value_format(v, row->unit) : g_strdup(v2 ? "?" : "");
	if (!v2)
		return g_steal_pointer(&text);
	text2 = value_format(v2, UNIT_NONE);
	return g_strconcat(text, sep, text2, NULL);
}

/* The widths of the labels and of the columns: on a terminal, so that the
 * table fits its width when it can; else by the number of columns. */
static void widths(Watch *w, guint n, int *label, int *width)
{
	struct winsize ws = {0};
	int cols;

	*label = COLUMN;
	*width = n > WIDE_MAX ? NARROW : COLUMN;
	if (!w->tty || n == 0 || ioctl(1, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0)
		return;
	cols = ws.ws_col;
	if (COLUMN + (int)n * COLUMN <= cols) {
		*width = COLUMN;
		return;
	}
	*label = LABEL_NARROW;
	*width = CLAMP((cols - LABEL_NARROW) / (int)n, COLUMN_MIN, COLUMN);
}

static gboolean draw(gpointer data)
{
	Watch *w = data;
	g_autoptr(GPtrArray) names = columns(w);
	g_autoptr(GString) s = g_string_new(w->tty ? "\033[H\033[2J" : "");
	int label, width;

	widths(w, names->len, &label, &width);
	cell(s, label, "");
	for (guint i = 0; i < names->len; i++) {
		const char *name = names->pdata[i];

		cell(s, width,
		     g_str_has_prefix(name, "com.victronenergy.battery.")
		             ? name + strlen("com.victronenergy.battery.")
		             : name);
	}
	g_string_append_c(s, '\n');
	for (size_t r = 0; r < G_N_ELEMENTS(rows); r++) {
		cell(s, label, rows[r].label);
		for (guint i = 0; i < names->len; i++) {
			GHashTable *values = g_hash_table_lookup(w->services, names->pdata[i]);
			g_autofree char *text = row_text(values, &rows[r]);

			cell(s, width, text);
		}
		g_string_append_c(s, '\n');
	}
	for (size_t r = 0; r < G_N_ELEMENTS(per_member); r++) {
		cell(s, label, per_member[r].label);
		for (guint i = 0; i < names->len; i++) {
			g_autofree char *text =
			        member_entry(w, names->pdata[i], per_member[r].path);

			cell(s, width, text);
		}
		g_string_append_c(s, '\n');
	}
	if (!g_hash_table_contains(w->services, w->aggregate)) {
		g_string_append_printf(s, "\n(waiting for %s)\n", w->aggregate);
	} else {
		GHashTable *agg = g_hash_table_lookup(w->services, w->aggregate);

		g_string_append_c(s, '\n');
		for (size_t r = 0; r < G_N_ELEMENTS(reasons); r++) {
			const Value *v = g_hash_table_lookup(agg, reasons[r].path);

			if (v && v->type == VALUE_TEXT)
				g_string_append_printf(s, "%-*s%s\n", COLUMN, reasons[r].label,
				                       v->u.s);
		}
	}
	fputs(s->str, stdout);
	fflush(stdout);
	if (w->once) {
		g_main_loop_quit(w->loop);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static gboolean on_signal(gpointer data)
{
	g_main_loop_quit(((Watch *)data)->loop);
	return G_SOURCE_REMOVE;
}

int main(int argc, char **argv)
{
	gboolean once = FALSE;
	double interval = 1.0;
	const GOptionEntry entries[] = {
	        {"once", '1', 0, G_OPTION_ARG_NONE, &once,
	         "Print one table after INTERVAL, then exit", NULL},
	        {"interval", 'i', 0, G_OPTION_ARG_DOUBLE, &interval, "Seconds between tables (1)",
	         "SEC"},
	        {NULL},
	};
	static const MonitorCallbacks callbacks = {
	        .want = want,
	        .added = on_added,
	        .changed = on_changed,
	        .removed = on_removed,
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("[AGGREGATE_SERVICE]");
	g_autoptr(GError) error = NULL;
	Watch w = {0};
	DBusConnection *conn;
	Monitor *mon;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc > 2 || interval <= 0) {
		fprintf(stderr, "batwatch: %s\n", error ? error->message : "bad arguments");
		return 2;
	}
	w.aggregate = argc == 2 ? argv[1] : "com.victronenergy.battery.aggregator";
	w.once = once;
	w.tty = isatty(1) && !once;
	conn = dbus_glib_open(&error);
	if (!conn) {
		fprintf(stderr, "batwatch: %s\n", error->message);
		return 1;
	}
	w.loop = g_main_loop_new(NULL, FALSE);
	w.services = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	                                   (GDestroyNotify)g_hash_table_unref);
	mon = monitor_new(conn, &callbacks, &w);
	monitor_start(mon);
	g_timeout_add((guint)(interval * 1000), draw, &w);
	g_unix_signal_add(SIGINT, on_signal, &w);
	g_unix_signal_add(SIGTERM, on_signal, &w);
	g_main_loop_run(w.loop);
	monitor_free(mon);
	g_hash_table_destroy(w.services);
	g_main_loop_unref(w.loop);
	dbus_glib_close(conn);
	return 0;
}
