/* SPDX-License-Identifier: MIT */
/*
 * The virtual-battery hooks of SPEC.md section 6: a fixed value for one
 * path, and charge and discharge current limits chosen by the merged
 * voltage or temperature from thresholds in the config's "classes" options.
 * Their names are the ids existing configs use ("hooks.FixedValueHook", ...).
 * As in the Python daemon, the fixed value holds its path wherever it is
 * listed, and a charging limit holds until another threshold matches.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batagg/plugin.h"

#define CCL_PATH "/Info/MaxChargeCurrent"
#define DCL_PATH "/Info/MaxDischargeCurrent"
#define MAX_STEPS 32

static bool parse_number(const char *s, double *out)
{
	char *end;

	if (!s || !*s)
		return false;
	errno = 0;
	*out = strtod(s, &end);
	return errno == 0 && *end == '\0';
}

/* ---- fixed value --------------------------------------------------------- */

typedef struct {
	char path[128];
	BataggValue value;
	char text[128];
} Fixed;

static const BataggOptionHelp fixed_help[] = {
        {"path", "text", "the D-Bus path, such as /Info/MaxChargeVoltage"},
        {"value", "number", "its value (a number, or a text)"},
        {NULL, NULL, NULL},
};

static void *fixed_create(const BataggHost *host, const BataggOption *opts, size_t n_opts,
                          BataggError *err)
{
	Fixed *f = calloc(1, sizeof(*f));
	const BataggOption *path = NULL;

	if (!f)
		return NULL;
	for (size_t i = 0; i < n_opts; i++) {
		if (strcmp(opts[i].key, "path") == 0) {
			path = &opts[i];
		} else if (strcmp(opts[i].key, "value") == 0) {
			if (opts[i].type == BATAGG_OPTION_TEXT) {
				batagg_text_copy(f->text, sizeof(f->text), opts[i].text);
				f->value =
				        (BataggValue){.type = BATAGG_VALUE_TEXT, .text = f->text};
			} else {
				f->value = (BataggValue){.type = BATAGG_VALUE_NUMBER,
				                         .number = opts[i].number};
			}
		} else {
			snprintf(err->message, sizeof(err->message),
			         "unknown option '%s' (known: path, value)", opts[i].key);
			err->option = (int)i;
			free(f);
			return NULL;
		}
	}
	if (!path || path->type != BATAGG_OPTION_TEXT || path->text[0] != '/' ||
	    strlen(path->text) >= sizeof(f->path)) {
		snprintf(err->message, sizeof(err->message),
		         "option 'path' (a D-Bus path such as \"/Soc\") is required");
		err->option = path ? (int)(path - opts) : -1;
		free(f);
		return NULL;
	}
	strcpy(f->path, path->text);
	return f;
}

static bool fixed_provides(void *state, const char *path)
{
	const Fixed *f = state;

	return strcmp(f->path, path) == 0;
}

static void fixed_value(void *state, const char *path, const BataggValue *key,
                        const BataggValue *previous, BataggValue *out, char *text, size_t text_len)
{
	const Fixed *f = state;

	*out = f->value;
	if (f->value.type == BATAGG_VALUE_TEXT) {
		batagg_text_copy(text, text_len, f->text);
		out->text = text;
	}
}

/* ---- charging limits by voltage or temperature --------------------------- */

typedef struct {
	double threshold;
	double limit;
} Step;

typedef struct {
	Step ccl[MAX_STEPS];
	size_t n_ccl;
	Step dcl[MAX_STEPS];
	size_t n_dcl;
} Charging;

static const BataggOptionHelp charging_help[] = {
        {"ccls/<threshold>", "number", "the CCL (A) from this threshold up"},
        {"dcls/<threshold>", "number", "the DCL (A) from this threshold up"},
        {NULL, NULL, NULL},
};

/* Options arrive flattened in the config's order: "ccls/52.0" -> 100.  A
 * limit written as text ("100") counts as the Python hooks read it. */
static bool add_step(Step *steps, size_t *n, const char *threshold, const BataggOption *o)
{
	Step s = {.limit = o->number};

	if (*n >= MAX_STEPS || !parse_number(threshold, &s.threshold) ||
	    o->type == BATAGG_OPTION_BOOL ||
	    (o->type == BATAGG_OPTION_TEXT && !parse_number(o->text, &s.limit)))
		return false;
	steps[(*n)++] = s;
	return true;
}

static void *charging_create(const BataggHost *host, const BataggOption *opts, size_t n_opts,
                             BataggError *err)
{
	Charging *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	for (size_t i = 0; i < n_opts; i++) {
		const char *k = opts[i].key;
		bool ok;

		if (strncmp(k, "ccls/", 5) == 0)
			ok = add_step(c->ccl, &c->n_ccl, k + 5, &opts[i]);
		else if (strncmp(k, "dcls/", 5) == 0)
			ok = add_step(c->dcl, &c->n_dcl, k + 5, &opts[i]);
		else
			ok = false;
		if (!ok) {
			snprintf(err->message, sizeof(err->message),
			         "expected \"ccls\" or \"dcls\", objects of threshold (text) -> "
			         "limit (number), at most %d each",
			         MAX_STEPS);
			err->option = (int)i;
			free(c);
			return NULL;
		}
	}
	return c;
}

static bool charging_provides(void *state, const char *path)
{
	const Charging *c = state;

	return (c->n_ccl && strcmp(path, CCL_PATH) == 0) ||
	       (c->n_dcl && strcmp(path, DCL_PATH) == 0);
}

/* The limit of the last threshold, in the config's order, at or below the
 * key.  When none is (the key fell below every threshold, or is invalid:
 * no merged voltage or temperature), the limit given last holds, as in the
 * Python daemon: a limit chosen for the last known state is kept rather
 * than handed back to the battery's own at every dip or gap in the
 * readings.  Before it has given any (at start, and after a reload, which
 * starts every hook again), the hook gives none. */
static void charging_value(void *state, const char *path, const BataggValue *key,
                           const BataggValue *previous, BataggValue *out, char *text,
                           size_t text_len)
{
	const Charging *c = state;
	bool dcl = strcmp(path, DCL_PATH) == 0;
	const Step *steps = dcl ? c->dcl : c->ccl;
	size_t n = dcl ? c->n_dcl : c->n_ccl;

	if (previous->type == BATAGG_VALUE_NUMBER)
		*out = *previous;
	if (key->type != BATAGG_VALUE_NUMBER)
		return;
	for (size_t i = 0; i < n; i++) {
		if (key->number >= steps[i].threshold) {
			out->type = BATAGG_VALUE_NUMBER;
			out->number = steps[i].limit;
		}
	}
}

#define HOOK(var, name_, summary_, key_, placement_, help_, create_, provides_, value_)            \
	static const BataggHook var = {                                                            \
	        .head = {.struct_size = sizeof(BataggHook),                                        \
	                 .kind = BATAGG_KIND_HOOK,                                                 \
	                 .name = name_,                                                            \
	                 .summary = summary_,                                                      \
	                 .options = help_,                                                         \
	                 .create = create_,                                                        \
	                 .destroy = free},                                                         \
	        .key_path = key_,                                                                  \
	        .placement = placement_,                                                           \
	        .provides = provides_,                                                             \
	        .value = value_,                                                                   \
	}

/* The fixed value wins over every member's, wherever it is listed (a
 * fixed CVL below the BMS's, say); one the daemon's sanitizing refuses (a
 * CVL of 0 V), like none at all, lets the members' value through.  The
 * charging limits count at their place among the members. */
HOOK(fixed, "hooks.FixedValueHook", "a fixed value for one path", NULL, BATAGG_HOOK_OVERRIDES,
     fixed_help, fixed_create, fixed_provides, fixed_value);
HOOK(by_voltage, "hooks.CustomChargingHook", "CCL/DCL by the merged voltage", "/Dc/0/Voltage",
     BATAGG_HOOK_IN_ORDER, charging_help, charging_create, charging_provides, charging_value);
HOOK(by_temperature, "hooks.TemperatureChargingHook", "CCL/DCL by the merged temperature",
     "/Dc/0/Temperature", BATAGG_HOOK_IN_ORDER, charging_help, charging_create, charging_provides,
     charging_value);

static const BataggStrategy *const strategies[] = {&fixed.head, &by_voltage.head,
                                                   &by_temperature.head, NULL};

BATAGG_PLUGIN_DEFINE("hooks", "2.0", "Virtual-battery hooks: fixed values, charging limits",
                     strategies);
