/* SPDX-License-Identifier: MIT */
/*
 * An example ratio method, "measured": each battery's share of the bank
 * current is the share it has been seen to carry, from a moving average of
 * the currents it reports (sample()), rather than a model of its resistance
 * or capacity.  Until every connected battery has enough samples it serves
 * none, and the daemon asks its fallback (capacity).
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

typedef struct {
	BataggMemberId id;
	double average; /* A, of the magnitude of its current */
	unsigned seen;  /* samples taken */
} Member;

typedef struct {
	const BataggHost *host;
	double smoothing;   /* weight of a new sample */
	double min_current; /* A: smaller currents say nothing of a share */
	unsigned samples;   /* needed before a member is served */
	Member *members;
	size_t n;
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

static void destroy(void *state)
{
	Measured *m = state;

	free(m->members);
	free(m);
}

static Member *find(Measured *m, BataggMemberId id)
{
	for (size_t i = 0; i < m->n; i++) {
		if (m->members[i].id == id)
			return &m->members[i];
	}
	return NULL;
}

/* A battery that joins or reconnects starts afresh. */
static void member_added(void *state, const BataggMember *member)
{
	Measured *m = state;
	Member *mb = find(m, member->id);

	if (!mb) {
		Member *grown = realloc(m->members, (m->n + 1) * sizeof(*grown));

		if (!grown)
			return;
		m->members = grown;
		mb = &m->members[m->n++];
	}
	*mb = (Member){.id = member->id};
}

static void member_removed(void *state, const BataggMember *member)
{
	Measured *m = state;
	Member *mb = find(m, member->id);

	if (mb)
		*mb = m->members[--m->n];
}

static int sample(void *state, const BataggMember *member, double voltage, double current)
{
	Measured *m = state;
	Member *mb = find(m, member->id);
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
		const Member *mb = find(m, in->members[i].id);

		if (!mb || mb->seen < m->samples || !(mb->average > 0))
			return; /* the share of one unknown: every share unknown */
		total += mb->average;
	}
	for (size_t i = 0; i < in->n; i++)
		out[i] = (BataggNum){.value = total / find(m, in->members[i].id)->average,
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
                        .destroy = destroy,
                        .member_added = member_added,
                        .member_removed = member_removed,
                        .sample = sample,
                },
        .ratios = ratios,
        .fallback = "capacity",
};

static const BataggStrategy *const strategies[] = {&measured.head, NULL};

BATAGG_PLUGIN_DEFINE("ratio_measured", "1.0", "Example: current ratios as measured", strategies);
