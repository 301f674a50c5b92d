/* SPDX-License-Identifier: MIT */
/*
 * The bank description paths (SPEC 5.1): the members' names as a JSON list,
 * their counts, and per member the current ratios and the estimator's
 * diagnosis as JSON lists (null, or 0 for the Python daemon's paths, where
 * a member has none).  Texts are formatted only when published.
 */
#include "engine/bank.h"

#include "engine/inputs.h"
#include "engine/outputs.h"

#include <math.h>

static void append_json_number(GString *s, BataggNum n, const char *unknown)
{
	g_autofree char *text = NULL;
	Value v = value_double(n.value);

	/* JSON has no NaN or infinity. */
	if (!n.valid || !isfinite(n.value)) {
		g_string_append(s, unknown);
		return;
	}
	text = value_format(&v, UNIT_NONE);
	g_string_append(s, text);
}

static void publish_text(Engine *e, int x, GString *s)
{
	Value v = value_text(s->str);

	outputs_set(e, N_BATTERY_PATHS + x, &v);
}

void bank_publish_ratios(Engine *e, bool discharge)
{
	g_autoptr(GString) s = g_string_new("[");

	for (guint i = 0; i < e->members->len; i++) {
		if (i)
			g_string_append(s, ", ");
		append_json_number(s, e->ratios[discharge][i], "null");
	}
	g_string_append_c(s, ']');
	publish_text(e, discharge ? X_DISCHARGE_RATIOS : X_CHARGE_RATIOS, s);
}

static void append_services(GString *s, GPtrArray *inputs)
{
	gboolean first = TRUE;

	for (guint i = 0; i < inputs->len; i++) {
		const EngineInput *m = inputs->pdata[i];
		g_autofree char *quoted = NULL;

		if (m->hook)
			continue;
		quoted = g_strescape(m->service, NULL);
		g_string_append_printf(s, "%s\"%s\"", first ? "" : ", ", quoted);
		first = FALSE;
	}
}

/* The members' own module count (a string's; 1 for a battery) when they
 * all have the same; else the largest, with a warning. */
static int64_t modules_in_series(const Engine *e)
{
	int64_t lo = 0, hi = 0;

	for (guint i = 0; i < e->members->len; i++) {
		BataggNum n =
		        value_num(&((EngineInput *)e->members->pdata[i])->values[P_MEMBER_SERIES]);
		int64_t k = n.valid && n.value >= 1 && n.value < 1e6 ? (int64_t)n.value : 1;

		lo = i ? MIN(lo, k) : k;
		hi = i ? MAX(hi, k) : k;
	}
	if (lo != hi)
		g_warning("the bank's members have %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT
		          " modules in series: " PATH_BATTERIES_SERIES " shows %" G_GINT64_FORMAT
		          "; strings of one bank should match",
		          lo, hi, hi);
	return e->members->len ? hi : 1;
}

void bank_publish_members(Engine *e, GPtrArray *inputs, bool counts)
{
	g_autoptr(GString) s = g_string_new("[");
	Value v;

	append_services(s, inputs);
	g_string_append_c(s, ']');
	publish_text(e, X_BATTERIES, s);
	if (!counts)
		return;
	v = value_int(e->members->len);
	outputs_set(e, N_BATTERY_PATHS + X_NR_OF_BATTERIES, &v);
	v = value_int(e->members->len);
	outputs_set(e, N_BATTERY_PATHS + X_BATTERIES_PARALLEL, &v);
	v = value_int(modules_in_series(e));
	outputs_set(e, N_BATTERY_PATHS + X_BATTERIES_SERIES, &v);
}

/* The diagnosis of the configured ratio method when it has one, else the
 * estimator's.  An unknown estimate is published as 0, as the Python daemon
 * did and as existing dashboards expect. */
/* The same number as append_json_number() writes it. */
static bool same_num(BataggNum a, BataggNum b)
{
	bool shown_a = a.valid && isfinite(a.value);
	bool shown_b = b.valid && isfinite(b.value);

	return shown_a == shown_b && (!shown_a || a.value == b.value);
}

/* Asks for every member's diagnosis into e->diag; TRUE when some number
 * differs from the last published (or the members changed). */
static bool diagnose_all(Engine *e,
                         int (*diagnosis)(void *, const BataggMember *, BataggMemberDiag *),
                         void *state)
{
	guint n = e->members->len;
	bool changed = n != e->n_diag;

	if (n > e->diag_len) {
		e->diag_len = n * 2;
		e->diag = g_renew(BataggMemberDiag, e->diag, e->diag_len);
	}
	for (guint i = 0; i < n; i++) {
		const EngineInput *m = e->members->pdata[i];
		BataggMember member = inputs_member(m);
		BataggMemberDiag d = {0};

		if (diagnosis)
			diagnosis(state, &member, &d);
		changed = changed || !same_num(d.resistance, e->diag[i].resistance) ||
		          !same_num(d.emf, e->diag[i].emf) ||
		          !same_num(d.correction, e->diag[i].correction);
		e->diag[i] = d;
	}
	e->n_diag = n;
	return changed;
}

void bank_publish_estimates(Engine *e)
{
	g_autoptr(GString) irs = NULL;
	g_autoptr(GString) emfs = NULL;
	g_autoptr(GString) corr = NULL;
	const RatioChain *chain = &e->s.ratios;
	gboolean configured = chain->n > 0 && chain->method[0]->diagnose;
	int (*diagnosis)(void *, const BataggMember *, BataggMemberDiag *) =
	        configured       ? chain->method[0]->diagnose
	        : e->s.estimator ? e->s.estimator->diagnose
	                         : NULL;
	void *state = configured ? chain->state[0] : e->s.estimator_state;

	/* Every estimate the method makes asks for them; formatted only when
	 * a number in them changed (the texts are made of nothing else). */
	if (!diagnose_all(e, diagnosis, state) &&
	    e->pub[N_BATTERY_PATHS + X_INTERNAL_RESISTANCES].type == VALUE_TEXT)
		return;
	irs = g_string_new("[");
	emfs = g_string_new("[");
	corr = g_string_new("[");
	for (guint i = 0; i < e->members->len; i++) {
		const BataggMemberDiag *d = &e->diag[i];
		const char *sep = i ? ", " : "";

		g_string_append(irs, sep);
		g_string_append(emfs, sep);
		g_string_append(corr, sep);
		append_json_number(irs, d->resistance, "0");
		append_json_number(emfs, d->emf, "0");
		append_json_number(corr, d->correction, "null");
	}
	g_string_append_c(irs, ']');
	g_string_append_c(emfs, ']');
	g_string_append_c(corr, ']');
	publish_text(e, X_INTERNAL_RESISTANCES, irs);
	publish_text(e, X_EMFS, emfs);
	publish_text(e, X_IR_CORRECTIONS, corr);
}
