/* SPDX-License-Identifier: MIT */
/*
 * An example ratio method, "measured": each battery's share of the bank
 * current is the share it has been seen to carry, from a moving average of
 * the currents it reports (sample()), rather than a model of its resistance
 * or capacity.  Until every connected battery has enough samples it serves
 * none, and the daemon asks its fallback (capacity).  Its averages are
 * per-member state that batagg keeps for it (member_state_size and
 * BataggHost.member_state()): no table of members of its own.
 *
 *	{"currentRatioMethod": "measured",
 *	 "strategyOptions": {"measured": {"smoothing": 0.2, "samples": 10}}}
 *
 * It needs only <batagg/plugin.h>.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <batagg/plugin.h>

/* Each member's state, kept by batagg (the head's member_state_size):
 * zeroed when the member joins, freed when it leaves. */
typedef struct {
	double average; /* A, of the magnitude of its current */
	unsigned seen;  /* samples taken */
} Member;

typedef struct {
	const BataggHost *host;
	double smoothing;   /* weight of a new sample */
	double min_current; /* A: smaller currents say nothing of a share */
	unsigned samples;   /* needed before a member is served */
} Measured;

static const BataggOptionHelp options[] = {
        {"smoothing", "number", "weight of a new sample in the average, in (0, 1] (0.2)"},
        {"minCurrent", "number", "samples below this many amps are not taken (1)"},
        {"samples", "number", "samples of each battery before it is served (10)"},
        {NULL, NULL, NULL},
};

/* Sets one option; a message in err when it is wrong. */
static int set_option(Measured *m, const BataggOption *o, BataggError *err)
{
	double x = o->number;

	if (o->type != BATAGG_OPTION_NUMBER)
		snprintf(err->message, sizeof(err->message), "expected a number");
	else if (strcmp(o->key, "smoothing") == 0 && x > 0 && x <= 1)
		m->smoothing = x;
	else if (strcmp(o->key, "minCurrent") == 0 && x >= 0)
		m->min_current = x;
	else if (strcmp(o->key, "samples") == 0 && x >= 1 && x == floor(x) && x < 1e6)
		m->samples = (unsigned)x;
	else if (strcmp(o->key, "smoothing") == 0)
		snprintf(err->message, sizeof(err->message), "must be in (0, 1], got %s", o->text);
	else if (strcmp(o->key, "minCurrent") == 0)
		snprintf(err->message, sizeof(err->message), "must be >= 0, got %s", o->text);
	else if (strcmp(o->key, "samples") == 0)
		snprintf(err->message, sizeof(err->message), "must be a whole number >= 1, got %s",
		         o->text);
	else
		snprintf(err->message, sizeof(err->message),
		         "unknown option '%s' (known: smoothing, minCurrent, samples)", o->key);
	return err->message[0] ? -1 : 0;
}

static void *create(const BataggHost *host, const BataggOption *opts, size_t n_opts,
                    BataggError *err)
{
	Measured *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->host = host;
	m->smoothing = 0.2;
	m->min_current = 1;
	m->samples = 10;
	for (size_t i = 0; i < n_opts; i++) {
		if (set_option(m, &opts[i], err) != 0) {
			err->option = (int)i;
			free(m);
			return NULL;
		}
	}
	return m;
}

static Member *find(Measured *m, const BataggMember *member)
{
	return m->host->member_state(m->host, member);
}

/* A battery that reconnects starts afresh (one that joins starts zeroed). */
static void member_added(void *state, const BataggMember *member)
{
	Member *mb = find(state, member);

	if (mb)
		*mb = (Member){0};
}

static int sample(void *state, const BataggMember *member, double voltage, double current)
{
	Measured *m = state;
	Member *mb = find(m, member);
	double x = fabs(current);

	if (!mb || x < m->min_current)
		return 0;
	mb->average = mb->seen ? mb->average + m->smoothing * (x - mb->average) : x;
	if (++mb->seen == m->samples)
		m->host->log(m->host, BATAGG_LOG_INFO, "%s: measured from now on", member->label);
	return mb->seen >= m->samples ? BATAGG_RECOMPUTE_CCL | BATAGG_RECOMPUTE_DCL : 0;
}

/* r_i = the bank's measured current / member i's. */
static void ratios(void *state, const BataggRatioInput *in, BataggNum *out)
{
	Measured *m = state;
	double total = 0;

	for (size_t i = 0; i < in->n; i++) {
		const Member *mb = find(m, &in->members[i]);

		if (!mb || mb->seen < m->samples || !(mb->average > 0))
			return; /* the share of one unknown: every share unknown */
		total += mb->average;
	}
	for (size_t i = 0; i < in->n; i++)
		out[i] = (BataggNum){.value = total / find(m, &in->members[i])->average,
		                     .valid = true};
}

static const BataggRatioMethod measured = {
        .head =
                {
                        .struct_size = sizeof(BataggRatioMethod),
                        .kind = BATAGG_KIND_RATIO,
                        .name = "measured",
                        .summary = "shares as the batteries were seen to carry current",
                        .options = options,
                        .create = create,
                        .destroy = free,
                        .member_added = member_added,
                        .sample = sample,
                        .member_state_size = sizeof(Member),
                },
        .ratios = ratios,
        .fallback = "capacity",
};

static const BataggStrategy *const strategies[] = {&measured.head, NULL};

BATAGG_PLUGIN_DEFINE("ratio_measured", "3.0", "Example: current ratios as measured", strategies);
