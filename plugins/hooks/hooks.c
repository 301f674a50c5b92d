/* SPDX-License-Identifier: MIT */
/*
 * The virtual-battery hooks of SPEC.md section 6, as merge policies that
 * supply values of their own: a fixed value for one path, and charge and
 * discharge current limits chosen by the merged voltage or temperature from
 * thresholds in the config's "classes" options.  Their names are the ids
 * existing configs use ("hooks.FixedValueHook", ...).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batagg/plugin.h"

#define CCL_PATH "/Info/MaxChargeCurrent"
#define DCL_PATH "/Info/MaxDischargeCurrent"
#define MAX_STEPS 32

/* ---- fixed value --------------------------------------------------------- */

typedef struct {
	char path[128];
	BataggValue value;
	char text[128];
} Fixed;

static bool parse_number(const char *s, double *out)
{
	char *end;

	if (!s || !*s)
		return false;
	errno = 0;
	*out = strtod(s, &end);
	return errno == 0 && *end == '\0';
}

static void *fixed_create(const BataggHost *host, const BataggOption *opts, size_t n_opts,
                          char *err, size_t err_len)
{
	Fixed *f = calloc(1, sizeof(*f));
	const char *path = NULL, *value = NULL;

	if (!f)
		return NULL;
	for (size_t i = 0; i < n_opts; i++) {
		if (strcmp(opts[i].key, "path") == 0)
			path = opts[i].value;
		else if (strcmp(opts[i].key, "value") == 0)
			value = opts[i].value;
	}
	if (!path || path[0] != '/' || strlen(path) >= sizeof(f->path)) {
		snprintf(err, err_len, "option 'path' (a D-Bus path such as \"/Soc\") is required");
		free(f);
		return NULL;
	}
	strcpy(f->path, path);
	if (value && parse_number(value, &f->value.number)) {
		f->value.type = BATAGG_VALUE_NUMBER;
	} else if (value) {
		batagg_text_copy(f->text, sizeof(f->text), value);
		f->value.type = BATAGG_VALUE_TEXT;
		f->value.text = f->text;
	}
	return f;
}

static bool fixed_provides(void *state, const char *path)
{
	const Fixed *f = state;

	return strcmp(f->path, path) == 0;
}

static void fixed_merge(void *state, const BataggMergeInput *in, BataggValue *out, char *text,
                        size_t text_len)
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

/* Options arrive flattened in the config's order: "ccls/52.0" -> "100". */
static bool add_step(Step *steps, size_t *n, const char *threshold, const char *limit)
{
	Step s;

	if (*n >= MAX_STEPS || !parse_number(threshold, &s.threshold) ||
	    !parse_number(limit, &s.limit))
		return false;
	steps[(*n)++] = s;
	return true;
}

static void *charging_create(const BataggHost *host, const BataggOption *opts, size_t n_opts,
                             char *err, size_t err_len)
{
	Charging *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	for (size_t i = 0; i < n_opts; i++) {
		const char *k = opts[i].key;
		bool ok;

		if (strncmp(k, "ccls/", 5) == 0)
			ok = add_step(c->ccl, &c->n_ccl, k + 5, opts[i].value);
		else if (strncmp(k, "dcls/", 5) == 0)
			ok = add_step(c->dcl, &c->n_dcl, k + 5, opts[i].value);
		else
			ok = false;
		if (!ok) {
			snprintf(err, err_len,
			         "option '%s': expected \"ccls\" or \"dcls\", objects of "
			         "threshold (text) -> limit (number), at most %d each",
			         k, MAX_STEPS);
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

/* The limit of the last threshold, in the config's order, at or below x. */
static void charging_merge(void *state, const BataggMergeInput *in, BataggValue *out, char *text,
                           size_t text_len)
{
	const Charging *c = state;
	bool dcl = in->path && strcmp(in->path, DCL_PATH) == 0;
	const Step *steps = dcl ? c->dcl : c->ccl;
	size_t n = dcl ? c->n_dcl : c->n_ccl;
	const BataggValue *x = in->keys && in->n ? &in->keys[0] : NULL;

	out->type = BATAGG_VALUE_INVALID;
	if (!x || x->type != BATAGG_VALUE_NUMBER)
		return;
	for (size_t i = 0; i < n; i++) {
		if (x->number >= steps[i].threshold) {
			out->type = BATAGG_VALUE_NUMBER;
			out->number = steps[i].limit;
		}
	}
}

static const BataggMergePolicy fixed_value = {
        .struct_size = sizeof(BataggMergePolicy),
        .name = "hooks.FixedValueHook",
        .summary = "a fixed value for one path (options: path, value)",
        .create = fixed_create,
        .destroy = free,
        .merge = fixed_merge,
        .provides = fixed_provides,
};

static const BataggMergePolicy by_voltage = {
        .struct_size = sizeof(BataggMergePolicy),
        .name = "hooks.CustomChargingHook",
        .summary = "CCL/DCL by the merged voltage (options: ccls, dcls)",
        .key_path = "/Dc/0/Voltage",
        .create = charging_create,
        .destroy = free,
        .merge = charging_merge,
        .provides = charging_provides,
};

static const BataggMergePolicy by_temperature = {
        .struct_size = sizeof(BataggMergePolicy),
        .name = "hooks.TemperatureChargingHook",
        .summary = "CCL/DCL by the merged temperature (options: ccls, dcls)",
        .key_path = "/Dc/0/Temperature",
        .create = charging_create,
        .destroy = free,
        .merge = charging_merge,
        .provides = charging_provides,
};

static const BataggMergePolicy *const policies[] = {&fixed_value, &by_voltage, &by_temperature,
                                                    NULL};

BATAGG_PLUGIN_DEFINE("hooks", "1.0", "Virtual-battery hooks: fixed values, charging limits", NULL,
                     NULL, policies);
