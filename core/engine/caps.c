/* SPDX-License-Identifier: MIT */
/*
 * The limiters' caps on the members' limits and the bank's.
 */
#include "engine/caps.h"

#include <math.h>
#include <string.h>

#include "engine/inputs.h"

static BataggNum pick(const BataggCaps *c, LimitId l)
{
	return l == L_CCL ? c->ccl : l == L_DCL ? c->dcl : c->cvl;
}

/* Lowers *limit to cap c when c is a sane cap below it. */
static void lower(LimitId l, BataggNum c, BataggNum *limit, const char *by, const char *text,
                  CapWhy *why)
{
	/* No limit of its own stays none: with the member's limit unknown, the
	 * bank's is 0 or invalid (limits.c), and a cap would raise that. */
	if (!c.valid || !isfinite(c.value) || !limit->valid)
		return;
	if (l == L_CVL && c.value <= 0)
		return;
	c.value = fmax(c.value, 0);
	if (limit->value <= c.value)
		return;
	*limit = (BataggNum){.value = c.value, .valid = true};
	why->by = by;
	batagg_text_copy(why->why, sizeof(why->why), text);
}

void caps_member(Engine *e, LimitId l, const EngineInput *m, BataggNum *limit, CapWhy *why)
{
	BataggMember member;
	BataggLimitInput in;

	why->by = NULL;
	why->why[0] = '\0';
	if (e->s.n_limiters == 0)
		return;
	member = inputs_member(m);
	in = (BataggLimitInput){
	        .ccl = inputs_read_num(e, l, m, P_CCL),
	        .dcl = inputs_read_num(e, l, m, P_DCL),
	        .cvl = inputs_read_num(e, l, m, P_CVL),
	        .capacity = inputs_read_num(e, l, m, P_INSTALLED_CAPACITY),
	        .limit = (int)l,
	};
	for (size_t k = 0; k < e->s.n_limiters; k++) {
		const BataggLimiter *t = (const BataggLimiter *)e->s.limiters[k].table;
		BataggCaps c;

		memset(&c, 0, sizeof(c));

		t->caps(e->s.limiters[k].state, &member, &in, &c);
		c.why[sizeof(c.why) - 1] = '\0';
		lower(l, pick(&c, l), limit, t->head.name, c.why, why);
	}
}

void caps_bank(Engine *e, LimitId l, BataggNum *limit, CapWhy *why)
{
	/* The bank's limits as published, the one being computed as it is. */
	BataggLimitInput in = {
	        .ccl = l == L_CCL ? *limit : value_num(&e->pub[P_CCL]),
	        .dcl = l == L_DCL ? *limit : value_num(&e->pub[P_DCL]),
	        .cvl = l == L_CVL ? *limit : value_num(&e->pub[P_CVL]),
	        .capacity = value_num(&e->pub[P_INSTALLED_CAPACITY]),
	        .limit = (int)l,
	};

	why->by = NULL;
	why->why[0] = '\0';
	for (size_t k = 0; k < e->s.n_limiters; k++) {
		const BataggLimiter *t = (const BataggLimiter *)e->s.limiters[k].table;
		BataggCaps c;

		memset(&c, 0, sizeof(c));

		if (!t->bank_caps)
			continue;
		t->bank_caps(e->s.limiters[k].state, &in, &c);
		c.why[sizeof(c.why) - 1] = '\0';
		lower(l, pick(&c, l), limit, t->head.name, c.why, why);
	}
	/* The config's caps for busbars, fuses and cables (by: ""). */
	if (l != L_CVL && e->s.max_current[l] > 0)
		lower(l, (BataggNum){.value = e->s.max_current[l], .valid = true}, limit, "", "",
		      why);
}
