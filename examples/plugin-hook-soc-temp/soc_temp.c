/* SPDX-License-Identifier: MIT */
/*
 * An example hook over two key paths, "soc_temp_taper": in a virtual
 * battery, a charge current limit from both its state of charge and its
 * temperature.  "current" amps up to "fromSoc" percent, falling in a
 * straight line to "atFull" amps at 100 %; and while the battery is at or
 * below "cold" °C (charging cold lithium cells plates them), at most
 * "coldCurrent" amps.  Without a state of charge it gives nothing, and the
 * next member's limit counts; without a temperature, the taper alone.
 *
 *	{"virtualBatteries": {"com.victronenergy.battery.bank":
 *	     ["class:soc_temp_taper", "com.victronenergy.battery.bms"]},
 *	 "classes": {"soc_temp_taper": {"current": 100, "fromSoc": 90, "atFull": 10,
 *	                                "cold": 5, "coldCurrent": 20}}}
 *
 * It needs only <batagg/plugin.h>.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <batagg/plugin.h>

#define CCL_PATH "/Info/MaxChargeCurrent"

/* The virtual battery's merged values values() is given, in this order. */
static const char *const key_paths[] = {"/Soc", "/Dc/0/Temperature", NULL};
enum { KEY_SOC, KEY_TEMPERATURE };

typedef struct {
	double current, from_soc, at_full, cold, cold_current;
} Taper;

static const BataggOptionHelp options[] = {
        {"current", "number", "the CCL (A) up to fromSoc; required"},
        {"fromSoc", "number", "where the taper starts, % (90)"},
        {"atFull", "number", "the CCL (A) at 100 % (0)"},
        {"cold", "number", "at or below this temperature (°C) the CCL is capped (5)"},
        {"coldCurrent", "number", "the CCL cap (A) while cold (0)"},
        {NULL, NULL, NULL},
};

static void *create(const BataggHost *host, const BataggOption *opts, size_t n_opts,
                    BataggError *err)
{
	Taper *t = calloc(1, sizeof(*t));
	bool have_current = false;

	if (!t)
		return NULL;
	*t = (Taper){.current = 0, .from_soc = 90, .at_full = 0, .cold = 5, .cold_current = 0};
	for (size_t i = 0; i < n_opts; i++) {
		const BataggOption *o = &opts[i];
		double *target = strcmp(o->key, "current") == 0       ? &t->current
		                 : strcmp(o->key, "fromSoc") == 0     ? &t->from_soc
		                 : strcmp(o->key, "atFull") == 0      ? &t->at_full
		                 : strcmp(o->key, "cold") == 0        ? &t->cold
		                 : strcmp(o->key, "coldCurrent") == 0 ? &t->cold_current
		                                                      : NULL;

		if (!target)
			snprintf(err->message, sizeof(err->message),
			         "unknown option (known: current, fromSoc, atFull, cold, "
			         "coldCurrent)");
		else if (o->type != BATAGG_OPTION_NUMBER)
			snprintf(err->message, sizeof(err->message), "expected a number");
		else if (target != &t->cold && o->number < 0)
			snprintf(err->message, sizeof(err->message), "must be >= 0, got %s",
			         o->text);
		else {
			*target = o->number;
			have_current |= target == &t->current;
			continue;
		}
		err->option = (int)i;
		free(t);
		return NULL;
	}
	if (!have_current || t->from_soc >= 100) {
		snprintf(err->message, sizeof(err->message),
		         "needs \"current\" (A), and \"fromSoc\" below 100");
		err->option = -1;
		free(t);
		return NULL;
	}
	return t;
}

static bool provides(void *state, const char *path)
{
	return strcmp(path, CCL_PATH) == 0;
}

/* Never called: with key_paths set, batagg calls values() instead.  The
 * table still requires value() (it is the hook's one required function
 * since 2.0), so it is here, doing nothing. */
static void value(void *state, const char *path, const BataggValue *soc,
                  const BataggValue *previous, BataggValue *out, char *text, size_t text_len)
{
}

static void values(void *state, const char *path, const BataggValue *keys, size_t n_keys,
                   const char *const *services, size_t n_services, const BataggValue *previous,
                   BataggValue *out, char *text, size_t text_len)
{
	const Taper *t = state;
	const BataggValue *soc = &keys[KEY_SOC];
	const BataggValue *temp = &keys[KEY_TEMPERATURE];
	double ccl;

	if (n_keys < 2 || soc->type != BATAGG_VALUE_NUMBER)
		return;
	if (soc->number <= t->from_soc)
		ccl = t->current;
	else if (soc->number >= 100)
		ccl = t->at_full;
	else
		ccl = t->current +
		      (soc->number - t->from_soc) / (100 - t->from_soc) * (t->at_full - t->current);
	if (temp->type == BATAGG_VALUE_NUMBER && temp->number <= t->cold && ccl > t->cold_current)
		ccl = t->cold_current;
	out->type = BATAGG_VALUE_NUMBER;
	out->number = ccl;
}

static const BataggHook taper = {
        .head =
                {
                        .struct_size = sizeof(BataggHook),
                        .kind = BATAGG_KIND_HOOK,
                        .name = "soc_temp_taper",
                        .summary = "a CCL from the state of charge and the temperature",
                        .options = options,
                        .create = create,
                        .destroy = free,
                },
        .placement = BATAGG_HOOK_IN_ORDER,
        .provides = provides,
        .value = value,
        .key_paths = key_paths,
        .values = values,
};

static const BataggStrategy *const strategies[] = {&taper.head, NULL};

BATAGG_PLUGIN_DEFINE("hook_soc_temp", "1.0",
                     "Example: a CCL from the state of charge and the temperature", strategies);
