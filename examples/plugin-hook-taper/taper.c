/* SPDX-License-Identifier: MIT */
/*
 * An example hook, "soc_taper": in a virtual battery, a charge current
 * limit that tapers with the merged state of charge, from "current" amps at
 * "fromSoc" percent down to "atFull" amps at 100 %.  Below fromSoc it gives
 * nothing, and the next member's limit counts.
 *
 *	{"virtualBatteries": {"com.victronenergy.battery.bank":
 *	     ["class:soc_taper", "com.victronenergy.battery.bms"]},
 *	 "classes": {"soc_taper": {"fromSoc": 90, "current": 100, "atFull": 10}}}
 *
 * It needs only <batagg/plugin.h>.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <batagg/plugin.h>

#define CCL_PATH "/Info/MaxChargeCurrent"

typedef struct {
	double from_soc, current, at_full;
} Taper;

static const BataggOptionHelp options[] = {
        {"current", "number", "the CCL (A) at fromSoc; required"},
        {"fromSoc", "number", "where the taper starts, % (90)"},
        {"atFull", "number", "the CCL (A) at 100 % (0)"},
        {NULL, NULL, NULL},
};

static void *create(const BataggHost *host, const BataggOption *opts, size_t n_opts,
                    BataggError *err)
{
	Taper *t = calloc(1, sizeof(*t));
	int have_current = 0;

	if (!t)
		return NULL;
	t->from_soc = 90;
	for (size_t i = 0; i < n_opts; i++) {
		double *target = strcmp(opts[i].key, "current") == 0   ? &t->current
		                 : strcmp(opts[i].key, "fromSoc") == 0 ? &t->from_soc
		                 : strcmp(opts[i].key, "atFull") == 0  ? &t->at_full
		                                                       : NULL;

		if (!target || opts[i].type != BATAGG_OPTION_NUMBER || opts[i].number < 0) {
			snprintf(err->message, sizeof(err->message), "%s",
			         target ? "expected a number >= 0"
			                : "unknown option (known: current, fromSoc, atFull)");
			err->option = (int)i;
			free(t);
			return NULL;
		}
		*target = opts[i].number;
		have_current |= target == &t->current;
	}
	if (!have_current || t->from_soc >= 100) {
		snprintf(err->message, sizeof(err->message),
		         "needs \"current\" (A), and \"fromSoc\" below 100");
		free(t);
		return NULL;
	}
	return t;
}

static bool provides(void *state, const char *path)
{
	return strcmp(path, CCL_PATH) == 0;
}

static void value(void *state, const char *path, const BataggValue *soc,
                  const BataggValue *previous, BataggValue *out, char *text, size_t text_len)
{
	const Taper *t = state;
	double x;

	if (soc->type != BATAGG_VALUE_NUMBER || soc->number < t->from_soc)
		return;
	x = soc->number > 100 ? 1 : (soc->number - t->from_soc) / (100 - t->from_soc);
	out->type = BATAGG_VALUE_NUMBER;
	out->number = t->current + x * (t->at_full - t->current);
}

static const BataggHook taper = {
        .head =
                {
                        .struct_size = sizeof(BataggHook),
                        .kind = BATAGG_KIND_HOOK,
                        .name = "soc_taper",
                        .summary = "a CCL that tapers with the state of charge",
                        .options = options,
                        .create = create,
                        .destroy = free,
                },
        .key_path = "/Soc",
        .placement = BATAGG_HOOK_IN_ORDER,
        .provides = provides,
        .value = value,
};

static const BataggStrategy *const strategies[] = {&taper.head, NULL};

BATAGG_PLUGIN_DEFINE("hook_taper", "1.0", "Example: a CCL tapering with the state of charge",
                     strategies);
