/* SPDX-License-Identifier: MIT */
/*
 * The "ir" current-ratio method and the internal-resistance estimator behind
 * it (SPEC.md 5.4).  Each battery's resistance comes from a total least
 * squares fit of its voltage against its current over its last ten
 * significantly different voltage samples; batteries in parallel share the
 * bank current in inverse proportion to their resistance.  When a battery
 * carries more than its own limit, its resistance is corrected downwards
 * until the next accepted fit or a reconnect.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batagg/plugin.h"

#define WINDOW 10
/* A fit is accepted only within what batteries are: 10 uOhm to 1 Ohm, from a
 * window whose currents span at least 0.5 A (a fit over a current that
 * hardly changes says nothing about the resistance). */
#define R_MIN 1e-5
#define R_MAX 1.0
#define MIN_CURRENT_SPAN 0.5
/* The over-current correction never shrinks a resistance below a tenth. */
#define CORRECTION_MIN 0.1

typedef struct {
	double v, i;
} Sample;

typedef struct {
	BataggMemberId id;
	Sample ring[WINDOW];
	size_t next;     /* ring position of the next sample */
	size_t appended; /* samples kept so far */
	double last_v;
	double r, err, emf; /* the last accepted fit; r == 0: none yet */
	double correction;
} Member;

typedef struct {
	const BataggHost *host;
	double max_error;  /* accepted err/R */
	double min_change; /* V between kept samples */
	Member *members;
	size_t n, cap;
} Ir;

/* The options and what each must be. */
static const struct {
	const char *key;
	double min; /* the value must be above it (maxPercentageError), or at
	             * least it (minVoltageChange) */
	bool above;
} options[] = {
        {"maxPercentageError", 0, true},
        {"minVoltageChange", 0, false},
};

static const BataggOptionHelp help[] = {
        {"maxPercentageError", "number",
         "a fit is accepted when its error / R is at most this (0.1)"},
        {"minVoltageChange", "number", "volts between two kept samples (0.02)"},
        {NULL, NULL, NULL},
};

static void *create(const BataggHost *host, const BataggOption *opts, size_t n_opts,
                    BataggError *err)
{
	Ir *ir = calloc(1, sizeof(*ir));

	if (!ir)
		return NULL;
	ir->host = host;
	ir->max_error = 0.1;
	ir->min_change = 0.02;
	for (size_t k = 0; k < n_opts; k++) {
		size_t o = 0;
		double x = opts[k].number;

		while (o < sizeof(options) / sizeof(options[0]) &&
		       strcmp(opts[k].key, options[o].key) != 0)
			o++;
		if (o == sizeof(options) / sizeof(options[0]))
			snprintf(
			        err->message, sizeof(err->message),
			        "unknown option '%s' (known: maxPercentageError, minVoltageChange)",
			        opts[k].key);
		else if (opts[k].type != BATAGG_OPTION_NUMBER)
			snprintf(err->message, sizeof(err->message), "expected a number");
		else if (options[o].above ? !(x > options[o].min) : !(x >= options[o].min))
			snprintf(err->message, sizeof(err->message), "must be %s %g, got %s",
			         options[o].above ? ">" : ">=", options[o].min, opts[k].text);
		else {
			*(o == 0 ? &ir->max_error : &ir->min_change) = x;
			continue;
		}
		err->option = (int)k;
		free(ir);
		return NULL;
	}
	return ir;
}

static void destroy(void *state)
{
	Ir *ir = state;

	free(ir->members);
	free(ir);
}

static Member *find(Ir *ir, BataggMemberId id)
{
	for (size_t k = 0; k < ir->n; k++) {
		if (ir->members[k].id == id)
			return &ir->members[k];
	}
	return NULL;
}

/* A new member, or one that reconnected, starts afresh. */
static void member_added(void *state, const BataggMember *member)
{
	Ir *ir = state;
	BataggMemberId id = member->id;
	Member *m = find(ir, id);

	if (!m) {
		if (ir->n == ir->cap) {
			size_t cap = ir->cap ? ir->cap * 2 : 8;
			Member *grown = realloc(ir->members, cap * sizeof(*grown));

			if (!grown)
				return;
			ir->members = grown;
			ir->cap = cap;
		}
		m = &ir->members[ir->n++];
	}
	memset(m, 0, sizeof(*m));
	m->id = id;
	m->correction = 1;
}

static void member_removed(void *state, const BataggMember *member)
{
	Ir *ir = state;
	Member *m = find(ir, member->id);

	if (m)
		*m = ir->members[--ir->n];
}

static double resistance(const Member *m)
{
	return m->correction * m->r;
}

/* Total least squares over the window; returns BATAGG_* bits. */
static int fit(Ir *ir, Member *m, const char *label)
{
	const double n = WINDOW;
	double mean_v = 0, mean_i = 0, svv = 0, sii = 0, svi = 0;
	double low = INFINITY, high = -INFINITY;
	double k, r, err;
	bool changed;

	for (size_t s = 0; s < WINDOW; s++) {
		mean_v += m->ring[s].v;
		mean_i += m->ring[s].i;
		low = fmin(low, m->ring[s].i);
		high = fmax(high, m->ring[s].i);
	}
	if (high - low < MIN_CURRENT_SPAN)
		return 0;
	mean_v /= n;
	mean_i /= n;
	for (size_t s = 0; s < WINDOW; s++) {
		double dv = m->ring[s].v - mean_v;
		double di = m->ring[s].i - mean_i;

		svv += dv * dv;
		sii += di * di;
		svi += 2 * dv * di;
	}
	if (svi == 0)
		return 0;
	k = (svv - sii) / svi;
	r = k + sqrt(k * k + 1);
	/* The residual sum is >= 0; for samples on an exact line rounding
	 * can take it a hair below, and its root would be NaN. */
	err = sqrt(fmax(r * r * sii - r * svi + svv, 0) / (n - 2)) * (1 + r * r) /
	      sqrt(r * r * svv + r * svi + sii);
	if (!(r >= R_MIN && r <= R_MAX) || !(err / r <= ir->max_error) || !isfinite(err))
		return 0;
	changed = fabs(r - m->r) > hypot(err, m->err);
	m->r = r;
	m->err = err;
	m->emf = mean_v + mean_i * r;
	/* A fresh fit replaces any over-current correction (the Python daemon
	 * kept shrinking the factor until a restart). */
	m->correction = 1;
	if (ir->host && ir->host->log)
		ir->host->log(ir->host, BATAGG_LOG_INFO, "internal resistance of %s: %g +- %g ohm",
		              label, r, err);
	return BATAGG_ESTIMATE_CHANGED |
	       (changed ? BATAGG_RECOMPUTE_CCL | BATAGG_RECOMPUTE_DCL : 0);
}

static int sample(void *state, const BataggMember *member, double v, double i)
{
	Ir *ir = state;
	Member *m = find(ir, member->id);

	if (!m || !(v > 0) || !isfinite(v) || !isfinite(i))
		return 0;
	if (m->appended && fabs(v - m->last_v) < ir->min_change)
		return 0;
	m->ring[m->next] = (Sample){v, i};
	m->next = (m->next + 1) % WINDOW;
	m->last_v = v;
	/* The window is full once an eleventh sample has pushed out the first. */
	if (++m->appended <= WINDOW)
		return 0;
	return fit(ir, m, member->label);
}

static int current(void *state, const BataggMember *member, double i, BataggNum ccl, BataggNum dcl)
{
	Ir *ir = state;
	Member *m = find(ir, member->id);
	BataggNum limit = i > 0 ? ccl : dcl;

	if (!m || !isfinite(i) || i == 0 || !limit.valid || !isfinite(limit.value) ||
	    !(limit.value > 0) || fabs(i) <= limit.value || m->r == 0)
		return 0;
	if (m->correction <= CORRECTION_MIN)
		return 0;
	m->correction = fmax(m->correction * limit.value / fabs(i), CORRECTION_MIN);
	return BATAGG_ESTIMATE_CHANGED | (i > 0 ? BATAGG_RECOMPUTE_CCL : BATAGG_RECOMPUTE_DCL);
}

static void ratios(void *state, const BataggRatioInput *in, BataggNum *out)
{
	Ir *ir = state;
	double inverse_total = 0;

	for (size_t k = 0; k < in->n; k++)
		out[k].valid = false;
	for (size_t k = 0; k < in->n; k++) {
		const Member *m = find(ir, in->members[k].id);

		/* One battery without an estimate leaves the total unknown. */
		if (!m || !(resistance(m) > 0))
			return;
		inverse_total += 1 / resistance(m);
	}
	for (size_t k = 0; k < in->n; k++) {
		const Member *m = find(ir, in->members[k].id);

		out[k] = (BataggNum){.value = resistance(m) * inverse_total, .valid = true};
	}
}

static int diagnose(void *state, const BataggMember *member, BataggMemberDiag *out)
{
	const Member *m = find(state, member->id);

	if (!m)
		return -1;
	out->correction = (BataggNum){.value = m->correction, .valid = true};
	out->resistance = (BataggNum){.value = resistance(m), .valid = m->r > 0};
	out->emf = (BataggNum){.value = m->emf, .valid = m->r > 0};
	return 0;
}

static const BataggRatioMethod method = {
        .head =
                {
                        .struct_size = sizeof(BataggRatioMethod),
                        .kind = BATAGG_KIND_RATIO,
                        .name = "ir",
                        .summary = "shares in inverse proportion to the estimated internal "
                                   "resistance",
                        .options = help,
                        .create = create,
                        .destroy = destroy,
                        .member_added = member_added,
                        .member_removed = member_removed,
                        .sample = sample,
                },
        .ratios = ratios,
        .fallback = "capacity",
        .current = current,
        .diagnose = diagnose,
};

static const BataggStrategy *const strategies[] = {&method.head, NULL};

BATAGG_PLUGIN_DEFINE("ccl_ir", "2.0", "Current ratios by internal resistance", strategies);
