/* SPDX-License-Identifier: MIT */
/*
 * The "ir" current-ratio method and the internal-resistance estimator behind
 * it (SPEC.md 5.4).  Each battery's resistance comes from a total least
 * squares fit of its voltage against its current over its last ten
 * significantly different voltage samples; batteries in parallel share the
 * bank current in inverse proportion to their resistance.  When a battery
 * carries more than its own limit, its resistance is corrected downwards
 * until the next accepted fit or a reconnect.  A battery's accepted fit, its
 * window and its correction are saved (save_member) and given back when it
 * comes back after a restart (restore_member).
 *
 * What it knows of a member lives in the member's slot of the daemon
 * (member_state_size, BataggHost.member_state()): zeroed when the member
 * joins, kept over a reconnect, freed when it leaves.  The instance keeps
 * no table of members and no pointer to a slot beyond a call: the daemon
 * frees the slots as members leave, and all of them at once, without
 * member_removed(), when it drops its engine before destroy().  So
 * reset(NULL), which must reach every member, counts instead: the
 * instance's reset count goes up by one, and a member whose slot has taken
 * in fewer resets forgets when it is next looked up, before anything reads
 * it.  Nothing reads a member but through that lookup, so every member
 * behaves as if it had been forgotten at once.
 */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
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

/* How the instance keeps a slot; what forgetting a member keeps. */
typedef struct {
	/* member_added() set the slot up: a slot still zeroed is a member the
	 * instance does not know. */
	bool known;
	uint64_t resets; /* the instance's resets (Ir.resets) it has taken in */
} Tag;

/* A member's state: its slot. */
typedef struct {
	Tag tag;
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
	uint64_t resets;   /* reset(NULL) calls so far */
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
	free(state);
}

/* What nothing has been learned about yet. */
static void forget(Member *m)
{
	Tag tag = m->tag;

	memset(m, 0, sizeof(*m));
	m->tag = tag;
	m->correction = 1;
}

/* The member's slot, NULL when the daemon has none for it. */
static Member *slot(const Ir *ir, const BataggMember *member)
{
	if (!ir->host || !ir->host->member_state)
		return NULL;
	return ir->host->member_state(ir->host, member);
}

/* The member's state, NULL when the instance does not know the member;
 * forgotten first when a reset(NULL) came since it was last looked up. */
static Member *find(const Ir *ir, const BataggMember *member)
{
	Member *m = slot(ir, member);

	if (!m || !m->tag.known)
		return NULL;
	if (m->tag.resets != ir->resets) {
		forget(m);
		m->tag.resets = ir->resets;
	}
	return m;
}

/* A new member, or one that reconnected (its slot kept), starts afresh. */
static void member_added(void *state, const BataggMember *member)
{
	const Ir *ir = state;
	Member *m = slot(ir, member);

	if (!m)
		return;
	m->tag = (Tag){.known = true, .resets = ir->resets};
	forget(m);
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
	Member *m = find(ir, member);

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
	Member *m = find(ir, member);
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
		const Member *m = find(ir, &in->members[k]);

		/* One battery without an estimate leaves the total unknown. */
		if (!m || !(resistance(m) > 0))
			return;
		inverse_total += 1 / resistance(m);
	}
	for (size_t k = 0; k < in->n; k++) {
		const Member *m = find(ir, &in->members[k]);

		out[k] = (BataggNum){.value = resistance(m) * inverse_total, .valid = true};
	}
}

static int diagnose(void *state, const BataggMember *member, BataggMemberDiag *out)
{
	const Member *m = find(state, member);

	if (!m)
		return -1;
	out->correction = (BataggNum){.value = m->correction, .valid = true};
	out->resistance = (BataggNum){.value = resistance(m), .valid = m->r > 0};
	out->emf = (BataggNum){.value = m->emf, .valid = m->r > 0};
	return 0;
}

/* ---- state that survives a restart ------------------------------------- */

/* The saved text, format 1: "ir 1 r=R err=E emf=V correction=C kept=K",
 * then the window's min(K, WINDOW) samples " V/I", oldest first.  K is the
 * number of samples kept, up to WINDOW + 1 (a full window that has fitted).
 * Numbers are written with 17 digits: they read back exactly. */
#define FORMAT "ir 1"

typedef struct {
	char *buf;
	size_t len, used; /* used may pass len: the length it would need */
} Out;

static void put(Out *o, const char *fmt, ...) BATAGG_PRINTF(2, 3);
static void put(Out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->used < o->len ? o->buf + o->used : NULL,
	              o->used < o->len ? o->len - o->used : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used += (size_t)n;
}

/* The window's samples in the order they came: a window that has wrapped
 * starts at the next position. */
static size_t in_window(const Member *m, size_t *first)
{
	size_t n = m->appended < WINDOW ? m->appended : WINDOW;

	*first = m->appended < WINDOW ? 0 : m->next;
	return n;
}

static int save_member(void *state, const BataggMember *member, char *buf, size_t len)
{
	const Member *m = find(state, member);
	Out o = {buf, len, 0};
	size_t first, n;

	if (!m)
		return -1;
	/* Only an accepted fit is worth keeping. */
	if (m->r == 0)
		return 0;
	n = in_window(m, &first);
	put(&o, FORMAT " r=%.17g err=%.17g emf=%.17g correction=%.17g kept=%zu", m->r, m->err,
	    m->emf, m->correction, m->appended < WINDOW + 1 ? m->appended : WINDOW + 1);
	for (size_t k = 0; k < n; k++) {
		const Sample *s = &m->ring[(first + k) % WINDOW];

		put(&o, " %.17g/%.17g", s->v, s->i);
	}
	if (len && o.used >= len)
		buf[len - 1] = '\0';
	return o.used > (size_t)INT_MAX ? INT_MAX : (int)o.used;
}

/* Reads word, then a finite number, from *p. */
static bool read_number(const char **p, const char *word, double *x)
{
	size_t n = strlen(word);
	char *end;

	if (strncmp(*p, word, n) != 0)
		return false;
	*x = strtod(*p + n, &end);
	if (end == *p + n || !isfinite(*x))
		return false;
	*p = end;
	return true;
}

/* The saved text, checked whole: every number finite, the fit one this
 * instance would accept (its options may have changed since), the
 * correction in its bounds, the voltages above 0.  Then m takes it. */
static bool parse(const Ir *ir, const char *text, Member *m)
{
	const char *p = text;
	double kept, v, i;
	Member got = {.tag = m->tag};

	if (strncmp(p, FORMAT " ", strlen(FORMAT) + 1) != 0)
		return false;
	p += strlen(FORMAT);
	if (!read_number(&p, " r=", &got.r) || !read_number(&p, " err=", &got.err) ||
	    !read_number(&p, " emf=", &got.emf) ||
	    !read_number(&p, " correction=", &got.correction) || !read_number(&p, " kept=", &kept))
		return false;
	if (!(got.r >= R_MIN && got.r <= R_MAX) || !(got.err >= 0) ||
	    !(got.err / got.r <= ir->max_error) || !(got.emf > 0) ||
	    !(got.correction >= CORRECTION_MIN && got.correction <= 1) ||
	    !(kept >= 0 && kept <= WINDOW + 1) || kept != floor(kept))
		return false;
	got.appended = (size_t)kept;
	for (; got.next < got.appended && got.next < WINDOW; got.next++) {
		if (!read_number(&p, " ", &v) || !read_number(&p, "/", &i) || !(v > 0))
			return false;
		got.ring[got.next] = (Sample){v, i};
		got.last_v = v;
	}
	if (*p)
		return false;
	/* Oldest first from ring[0]: a full window wraps to its start. */
	got.next %= WINDOW;
	*m = got;
	return true;
}

static int restore_member(void *state, const BataggMember *member, const char *text)
{
	Ir *ir = state;
	Member *m = find(ir, member);

	if (!m || !text || !parse(ir, text, m))
		return -1;
	if (ir->host && ir->host->log)
		ir->host->log(ir->host, BATAGG_LOG_INFO,
		              "internal resistance of %s as saved: %g +- %g ohm (correction %g)",
		              member->label, m->r, m->err, m->correction);
	return BATAGG_ESTIMATE_CHANGED | BATAGG_RECOMPUTE_CCL | BATAGG_RECOMPUTE_DCL;
}

/* One member: at once.  Every member: counted, each forgets when next
 * looked up (find()). */
static void reset(void *state, const BataggMember *member)
{
	Ir *ir = state;
	Member *m;

	if (!member) {
		ir->resets++;
		return;
	}
	m = find(ir, member);
	if (m)
		forget(m);
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
                        .sample = sample,
                        .member_state_size = sizeof(Member),
                },
        .ratios = ratios,
        .fallback = "capacity",
        .current = current,
        .diagnose = diagnose,
        .save_member = save_member,
        .restore_member = restore_member,
        .reset = reset,
};

static const BataggStrategy *const strategies[] = {&method.head, NULL};

BATAGG_PLUGIN_DEFINE("ccl_ir", "2.0", "Current ratios by internal resistance", strategies);
