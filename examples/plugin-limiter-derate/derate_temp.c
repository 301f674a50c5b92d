/* SPDX-License-Identifier: MIT */
/*
 * An example limiter, "derate_temp": a battery that gets hot charges at a
 * capped current.  When a member's /Dc/0/Temperature reaches "above" (°C),
 * its CCL is capped to "current" (A).  The cap rises again only when the
 * temperature has come back by "margin" (°C: hysteresis, so that a
 * temperature hovering at the threshold does not make the limit flap) and
 * the cap has held for at least "hold" seconds.  When the temperature is
 * back before the hold ends, the limiter asks to be called again when it
 * ends (call_again()): the cap rises then, even when nothing else changes.
 *
 *	{"limiters": ["derate_temp"],
 *	 "strategyOptions": {"derate_temp":
 *	     {"above": 45, "margin": 5, "current": 20, "hold": 300}}}
 *
 * It needs only <batagg/plugin.h>.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <batagg/plugin.h>

#define TEMPERATURE "/Dc/0/Temperature"

typedef struct {
	const BataggHost *host;
	double above;   /* °C: the cap falls at this temperature */
	double margin;  /* °C: it rises below above - margin */
	double current; /* A: the cap */
	double hold;    /* s: the cap holds at least this long */
} Derate;

/* Each member's state, kept by batagg (member_state_size): zeroed when the
 * member joins, freed when it leaves. */
typedef struct {
	bool capped;
	double since; /* host->now() when the cap fell */
	double hot;   /* °C that made it fall, for the limitation text */
} MemberState;

static const BataggOptionHelp options[] = {
        {"above", "number", "the temperature (°C) at which the CCL is capped (45)"},
        {"margin", "number", "how far (°C) below 'above' it must cool before the cap rises (5)"},
        {"current", "number", "the CCL cap (A) while hot (0: no charging)"},
        {"hold", "number", "the least time (s) a cap holds once it fell (300)"},
        {NULL, NULL, NULL},
};

static void *create(const BataggHost *host, const BataggOption *opts, size_t n_opts,
                    BataggError *err)
{
	Derate *d = malloc(sizeof(*d));

	if (!d)
		return NULL;
	*d = (Derate){.host = host, .above = 45, .margin = 5, .current = 0, .hold = 300};
	for (size_t i = 0; i < n_opts; i++) {
		const BataggOption *o = &opts[i];
		double *target = strcmp(o->key, "above") == 0     ? &d->above
		                 : strcmp(o->key, "margin") == 0  ? &d->margin
		                 : strcmp(o->key, "current") == 0 ? &d->current
		                 : strcmp(o->key, "hold") == 0    ? &d->hold
		                                                  : NULL;

		if (!target)
			snprintf(err->message, sizeof(err->message),
			         "unknown option (known: above, margin, current, hold)");
		else if (o->type != BATAGG_OPTION_NUMBER)
			snprintf(err->message, sizeof(err->message), "expected a number");
		else if (target != &d->above && o->number < 0)
			snprintf(err->message, sizeof(err->message), "must be >= 0, got %s",
			         o->text);
		else if (target == &d->hold && o->number > 86400)
			snprintf(err->message, sizeof(err->message),
			         "at most a day (86400 s), got %s", o->text);
		else {
			*target = o->number;
			continue;
		}
		err->option = (int)i;
		free(d);
		return NULL;
	}
	host->log(host, BATAGG_LOG_INFO, "CCL %.0f A from %.1f °C until %.1f °C and %.0f s",
	          d->current, d->above, d->above - d->margin, d->hold);
	return d;
}

static void caps(void *state, const BataggMember *m, const BataggLimitInput *in, BataggCaps *out)
{
	Derate *d = state;
	const BataggHost *host = d->host;
	MemberState *ms = host->member_state(host, m);
	BataggNum t = batagg_member_number(host, m, TEMPERATURE);
	bool known = t.valid;
	double now = host->now(host);

	if (!ms)
		return;
	if (known && t.value >= d->above) {
		if (!ms->capped) {
			host->log(host, BATAGG_LOG_INFO, "%s: %.1f °C, CCL capped to %.0f A",
			          m->label, t.value, d->current);
			*ms = (MemberState){.capped = true, .since = now, .hot = t.value};
		}
		if (t.value > ms->hot)
			ms->hot = t.value;
	} else if (ms->capped && known && t.value <= d->above - d->margin) {
		/* Cool again; the cap rises once it has held long enough. */
		double left = ms->since + d->hold - now;

		if (left > 0) {
			host->call_again(host, left);
		} else {
			host->log(host, BATAGG_LOG_INFO, "%s: %.1f °C, cap lifted", m->label,
			          t.value);
			ms->capped = false;
		}
	}
	/* Otherwise (between the two temperatures, or no temperature) the cap
	 * stays as it is. */
	if (ms->capped) {
		out->ccl = (BataggNum){.value = d->current, .valid = true};
		snprintf(out->why, sizeof(out->why), "%.1f °C", ms->hot);
	}
}

static const char *const reads[] = {TEMPERATURE, NULL};

static const BataggLimiter derate = {
        .head =
                {
                        .struct_size = sizeof(BataggLimiter),
                        .kind = BATAGG_KIND_LIMITER,
                        .name = "derate_temp",
                        .summary = "caps a hot battery's CCL, with hysteresis and a hold time",
                        .options = options,
                        .create = create,
                        .destroy = free,
                        .reads = reads,
                        .member_state_size = sizeof(MemberState),
                },
        .caps = caps,
};

static const BataggStrategy *const strategies[] = {&derate.head, NULL};

BATAGG_PLUGIN_DEFINE("limiter_derate", "1.0", "Example: a temperature derating of the CCL",
                     strategies);
