/* SPDX-License-Identifier: MIT */
/*
 * An example batagg strategy plugin: a CVL mode "fixed" that asks for one
 * charge voltage whatever the batteries say (still capped by the user's DVCC
 * limit), with the voltage as an option.  It needs only <batagg/plugin.h>.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <batagg/plugin.h>

typedef struct {
	double volts;
} Fixed;

static void *create(const BataggHost *host, const BataggOption *opts, size_t n_opts, char *err,
                    size_t err_len)
{
	Fixed *f = malloc(sizeof(*f));

	if (!f)
		return NULL;
	f->volts = 54.0;
	for (size_t i = 0; i < n_opts; i++) {
		if (strcmp(opts[i].key, "volts") == 0)
			f->volts = atof(opts[i].value);
	}
	if (host && host->log)
		host->log(BATAGG_LOG_INFO, "cvl_fixed: charge voltage limit %.2f V", f->volts);
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
        .struct_size = sizeof(BataggCvlMode),
        .name = "fixed",
        .summary = "a fixed charge voltage limit (54 V)",
        .create = create,
        .destroy = free,
        .cvl = fixed_cvl,
};

static const BataggCvlMode *const cvl_modes[] = {&fixed, NULL};

BATAGG_PLUGIN_DEFINE("cvl_fixed", "1.0", "Example: a fixed charge voltage limit", NULL, cvl_modes,
                     NULL);
