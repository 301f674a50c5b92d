/* SPDX-License-Identifier: MIT */
/*
 * The aggregate's combiner: each battery path merged from the members by
 * its policy (then primary and auxiliary services), the limits CCL, DCL and
 * CVL computed from the members when an input of theirs changed (SPEC
 * 5.4-5.7), and the bank description when membership changed.  The limit
 * rules themselves are limits.c's.
 */
#include "engine/aggregate.h"

#include <math.h>
#include <string.h>

#include "engine/bank.h"
#include "engine/caps.h"
#include "engine/inputs.h"
#include "engine/learned.h"
#include "engine/limitation.h"
#include "engine/merged.h"
#include "engine/outputs.h"

static void compute_path(Engine *e, int p)
{
	Value agg = VALUE_INIT;
	bool any = false;

	if (e->s.has_capacity && (p == P_CAPACITY || p == P_INSTALLED_CAPACITY)) {
		/* A fixed bank capacity replaces what members say. */
		if (p == P_INSTALLED_CAPACITY)
			agg = value_double(e->s.capacity);
		any = agg.type != VALUE_INVALID;
	} else {
		agg = merged_run(e, e->s.policy[p], e->s.policy_state[p], e->members, p, &any,
		                 e->text, sizeof(e->text));
	}
	merged_publish(e, p, &agg, any);
}

static bool same_ratios(const BataggNum *a, const BataggNum *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i].valid != b[i].valid || (a[i].valid && a[i].value != b[i].value))
			return false;
	}
	return true;
}

/* The bank capacity the capacity method divides: the configured one, else
 * the sum over the BMS members (a shunt's capacity is no share of the bank
 * current). */
static BataggNum bank_capacity(const Engine *e, const LimitMember *lm, guint n)
{
	BataggNum sum = {0};

	if (e->s.has_capacity)
		return (BataggNum){.value = e->s.capacity, .valid = true};
	for (guint i = 0; i < n; i++) {
		if (lm[i].bms && lm[i].capacity.valid) {
			sum.value += lm[i].capacity.value;
			sum.valid = true;
		}
	}
	return sum;
}

static void publish_limitation(Engine *e, int x, char *text)
{
	Value v = value_text(text);

	g_free(text);
	outputs_set(e, N_BATTERY_PATHS + x, &v);
}

static void compute_current_limit(Engine *e, bool discharge)
{
	guint n = e->members->len;
	g_autofree LimitMember *lm = g_new0(LimitMember, n ? n : 1);
	g_autofree BataggNum *ratios = g_new0(BataggNum, n ? n : 1);
	g_autofree const char **labels = g_new0(const char *, n ? n : 1);
	g_autofree CapWhy *capped = g_new0(CapWhy, n ? n : 1);
	g_autofree const char **by = g_new0(const char *, n ? n : 1);
	g_autofree const char **said = g_new0(const char *, n ? n : 1);
	CapWhy bank;
	LimitId l = discharge ? L_DCL : L_CCL;
	int limit = limit_path(l);
	int allow = discharge ? P_ALLOW_TO_DISCHARGE : P_ALLOW_TO_CHARGE;
	BataggNum battery, r;
	Value v = VALUE_INIT;
	LimitWhy why;
	CurrentLimitation text = {.discharge = discharge,
	                          .why = &why,
	                          .labels = labels,
	                          .present = n,
	                          .expected = e->s.expected,
	                          .capped_by = by,
	                          .cap_why = said};

	for (guint i = 0; i < n; i++) {
		const EngineInput *m = e->members->pdata[i];

		lm[i].member = inputs_member(m);
		labels[i] = inputs_read_label(e, l, m);
		lm[i].bms = inputs_read_bms(e, l, m);
		lm[i].limit = inputs_read_num(e, l, m, limit);
		caps_member(e, l, m, &lm[i].limit, &capped[i]);
		by[i] = capped[i].by;
		said[i] = capped[i].why;
		lm[i].allow = inputs_read_num(e, l, m, allow);
		if (!e->s.has_capacity)
			lm[i].capacity = inputs_read_num(e, l, m, P_INSTALLED_CAPACITY);
	}
	battery = limits_current(lm, n, &e->s.ratios, discharge, bank_capacity(e, lm, n), ratios,
	                         &why);
	r = discharge ? limits_sane_current(battery)
	              : limits_ccl_mode(e->s.ccl_mode, battery, e->dvcc, e->user_ccl);
	text.user = !discharge && (e->s.ccl_mode == CCL_DVCC ||
	                           (r.valid && battery.valid && r.value < battery.value));
	caps_bank(e, l, &r, &bank);
	r = limits_sane_current(r);
	text.bank_by = bank.by;
	text.bank_why = bank.why;
	if (r.valid)
		v = value_double(r.value);
	outputs_read(e, l, allow); /* read by merged_publish() */
	merged_publish(e, limit, &v, r.valid);
	/* The text says what the published value is: a refusal makes it 0
	 * (merged_publish()), a primary service's value replaces the computed
	 * one, and then the computation is no reason. */
	text.result = value_num(&e->pub[limit]);
	text.refused = outputs_refuses(e, allow) && !(r.valid && r.value == 0);
	text.primary = !text.refused &&
	               (text.result.valid != r.valid || (r.valid && text.result.value != r.value));
	/* Made (formatted) only when what it is made of changed. */
	if (limitation_current_changed(&text, &e->limitation_key[l]))
		publish_limitation(e, discharge ? X_DISCHARGE_LIMITATION : X_CHARGE_LIMITATION,
		                   limitation_current(&text));
	/* Formatting the diagnosis costs more than computing it: only when it
	 * changed, and only when all is published (flush). */
	if (e->membership_changed || e->n_ratios[discharge] != n ||
	    !same_ratios(ratios, e->ratios[discharge], n)) {
		g_free(e->ratios[discharge]);
		e->ratios[discharge] = g_steal_pointer(&ratios);
		e->n_ratios[discharge] = n;
		e->ratios_changed[discharge] = true;
	}
}

static void compute_cvl(Engine *e)
{
	guint n = e->members->len;
	g_autofree BataggNum *cvl = g_new0(BataggNum, n ? n : 1);
	g_autofree const char **modes = g_new0(const char *, n ? n : 1);
	const Value *bank_mode = outputs_read(e, L_CVL, P_CHARGE_MODE);
	g_autofree BataggMember *members = g_new0(BataggMember, n ? n : 1);
	g_autofree const char **labels = g_new0(const char *, n ? n : 1);
	BataggCvlInput in = {
	        .n = n,
	        .members = members,
	        .cvl = cvl,
	        .charge_mode = modes,
	        .balancing = value_num(outputs_read(e, L_CVL, P_BALANCING)),
	        .bank_charge_mode = bank_mode->type == VALUE_TEXT ? bank_mode->u.s : NULL,
	        .user_cap = e->dvcc ? e->user_cvl : 0,
	};
	g_autofree CapWhy *capped = g_new0(CapWhy, n ? n : 1);
	g_autofree const char **by = g_new0(const char *, n ? n : 1);
	g_autofree const char **said = g_new0(const char *, n ? n : 1);
	CapWhy bank;
	BataggNum r;
	Value v = VALUE_INIT;

	for (guint i = 0; i < n; i++) {
		const EngineInput *m = e->members->pdata[i];
		const Value *mode = inputs_read(e, L_CVL, m, P_CHARGE_MODE);

		members[i] = inputs_member(m);
		labels[i] = inputs_read_label(e, L_CVL, m);
		cvl[i] = inputs_read_num(e, L_CVL, m, P_CVL);
		caps_member(e, L_CVL, m, &cvl[i], &capped[i]);
		by[i] = capped[i].by;
		said[i] = capped[i].why;
		modes[i] = mode->type == VALUE_TEXT ? mode->u.s : NULL;
	}
	r = limits_sane_voltage(e->s.cvl->cvl(e->s.cvl_state, &in));
	caps_bank(e, L_CVL, &r, &bank);
	if (r.valid)
		v = value_double(r.value);
	merged_publish(e, P_CVL, &v, r.valid);
	{
		VoltageLimitation text = {
		        .result = value_num(&e->pub[P_CVL]),
		        .cvl = cvl,
		        .labels = labels,
		        .n = n,
		        .mode = e->s.cvl->head.name,
		        .balancing = value_num(&e->pub[P_BALANCING]),
		        .user = r.valid && in.user_cap > 0 && fabs(r.value - in.user_cap) < 1e-9,
		        .expected = e->s.expected,
		        .primary = value_num(&e->pub[P_CVL]).valid != r.valid ||
		                   (r.valid && value_num(&e->pub[P_CVL]).value != r.value),
		        .capped_by = by,
		        .cap_why = said,
		        .bank_by = bank.by,
		        .bank_why = bank.why,
		};

		if (limitation_voltage_changed(&text, &e->limitation_key[L_CVL]))
			publish_limitation(e, X_VOLTAGE_LIMITATION, limitation_voltage(&text));
	}
}

/* The paths engine_flush_safety() publishes, besides the limits: the alarms
 * and allow flags, and the CVL's inputs among the merged paths. */
static uint64_t safety_paths(void)
{
	uint64_t paths = BIT(P_ALLOW_TO_CHARGE) | BIT(P_ALLOW_TO_DISCHARGE) | BIT(P_BALANCING) |
	                 BIT(P_CHARGE_MODE);

	for (int p = P_ALARM_CELL_IMBALANCE; p <= P_ALARM_INTERNAL_FAILURE; p++)
		paths |= BIT(p);
	return paths;
}

/* All, or (all false) the limits and safety_paths(), the rest left dirty
 * for the next flush that does all.  Membership changes are done in full
 * at once. */
static void flush(Engine *e, bool all)
{
	int bits;
	uint64_t limits = BIT(P_CCL) | BIT(P_DCL) | BIT(P_CVL);
	uint64_t now;

	/* A new estimate is published with everything else (the limits it
	 * changes are asked for with BATAGG_RECOMPUTE_*). */
	e->need_estimates = e->need_estimates || (e->method_bits & BATAGG_ESTIMATE_CHANGED);
	e->method_bits &= ~BATAGG_ESTIMATE_CHANGED;
	/* Nothing that can tighten changed (the common case: a member's
	 * voltage or current): nothing to do before the tick. */
	if (!all && !e->membership_changed && !e->restore_due && !e->method_bits &&
	    !e->need[L_CCL] && !e->need[L_DCL] && !e->need[L_CVL] &&
	    !(e->dirty & (safety_paths() | limits)))
		return;
	/* A member's saved state counts in the first limits it is part of. */
	learned_restore_due(e);
	bits = e->method_bits;
	if (e->membership_changed) {
		e->dirty |= ALL_BATTERY_PATHS;
		e->need_estimates = true;
		all = true;
	}
	now = all ? ALL_BATTERY_PATHS : safety_paths();
	if (bits & BATAGG_RECOMPUTE_CCL)
		feeds_due(e, L_CCL);
	if (bits & BATAGG_RECOMPUTE_DCL)
		feeds_due(e, L_DCL);

	/* The merged paths first: the limits read some of them (feeds_table),
	 * and publishing one that changed makes its limits due. */
	for (int p = 0; p < N_BATTERY_PATHS; p++) {
		if ((e->dirty & now & BIT(p)) && !(limits & BIT(p)))
			compute_path(e, p);
	}
	if (e->membership_changed)
		bank_publish_members(e, e->members, true);
	/* A primary or auxiliary service's limit. */
	for (int l = 0; l < N_LIMITS; l++) {
		if (e->dirty & BIT(limit_path(l)))
			e->need[l] = true;
	}
	if (e->need[L_CCL])
		compute_current_limit(e, false);
	if (e->need[L_DCL])
		compute_current_limit(e, true);
	if (e->need[L_CVL])
		compute_cvl(e);
	e->dirty &= ~(now | limits);
	e->method_bits = 0;
	e->membership_changed = false;
	for (int l = 0; l < N_LIMITS; l++)
		e->need[l] = false;
	if (!all)
		return;
	for (int discharge = 0; discharge < 2; discharge++) {
		if (e->ratios_changed[discharge])
			bank_publish_ratios(e, discharge);
		e->ratios_changed[discharge] = false;
	}
	if (e->need_estimates)
		bank_publish_estimates(e);
	e->need_estimates = false;
}

static bool publishes_all(int i)
{
	return true;
}

const Combiner aggregate_combiner = {
        .flush = flush,
        .publishes = publishes_all,
        .lists_sources = false,
};
