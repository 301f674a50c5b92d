/* SPDX-License-Identifier: MIT */
/*
 * An example batagg strategy plugin: a CVL mode "fixed" that asks for one
 * charge voltage whatever the batteries say (still capped by the user's DVCC
 * limit), with the voltage as an option:
 *
 *	{"cvlMode": "fixed", "strategyOptions": {"fixed": {"volts": 54.4}}}
 *
 * It needs only <batagg/plugin.h>.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <batagg/plugin.h>

typedef struct {
	double volts;
} Fixed;

static const BataggOptionHelp options[] = {
        {"volts", "number", "the charge voltage limit (V), 54 without it"},
        {NULL, NULL, NULL},
};

static void *create(const BataggHost *host, const BataggOption *opts, size_t n_opts,
                    BataggError *err)
{
	Fixed *f = malloc(sizeof(*f));

	if (!f)
		return NULL;
	f->volts = 54.0;
	for (size_t i = 0; i < n_opts; i++) {
		if (strcmp(opts[i].key, "volts") != 0) {
			snprintf(err->message, sizeof(err->message),
			         "unknown option (known: volts)");
		} else if (opts[i].type != BATAGG_OPTION_NUMBER || !(opts[i].number > 0)) {
			snprintf(err->message, sizeof(err->message), "expected a voltage above 0");
		} else {
			f->volts = opts[i].number;
			continue;
		}
		err->option = (int)i;
		free(f);
		return NULL;
	}
	host->log(host, BATAGG_LOG_INFO, "charge voltage limit %.2f V", f->volts);
	return f;
}

static BataggNum fixed_cvl(void *state, const BataggCvlInput *in)
{
	const Fixed *f = state;
	BataggNum out = {.value = f->volts, .valid = true};

	if (in->user_cap > 0 && in->user_cap < out.value)
		out.value = in->user_cap;
	return out;
}

static const BataggCvlMode fixed = {
        .head =
                {
                        .struct_size = sizeof(BataggCvlMode),
                        .kind = BATAGG_KIND_CVL,
                        .name = "fixed",
                        .summary = "a fixed charge voltage limit (option volts, 54 V)",
                        .options = options,
                        .create = create,
                        .destroy = free,
                },
        .cvl = fixed_cvl,
};

static const BataggStrategy *const strategies[] = {&fixed.head, NULL};

BATAGG_PLUGIN_DEFINE("cvl_fixed", "2.0", "Example: a fixed charge voltage limit", strategies);
