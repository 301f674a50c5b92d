/* SPDX-License-Identifier: MIT */
/*
 * What the aggregate's ratio methods learn about each member, beyond the
 * life of their instances: given back from the state file when a member
 * first joins (restore_member()), kept in it (save_member()), and
 * forgotten on request (reset()).  The methods' texts are theirs; the
 * state file keeps them by service name, /Serial and method name.  No I/O
 * here: the daemon reads and writes the file.
 */
#include "engine/learned.h"

#include <string.h>

#include "base/kind.h"
#include "engine/inputs.h"

/* The ratio method an instance the aggregate uses is, or NULL. */
static const BataggRatioMethod *ratio_of(const StrategyUse *u)
{
	return u->table->kind == BATAGG_KIND_RATIO ? (const BataggRatioMethod *)u->table : NULL;
}

/* The member's /Serial as text, "" when it has none. */
static char *serial_of(const EngineInput *in)
{
	const Value *v = &in->values[P_SERIAL];
	double x;

	if (v->type == VALUE_TEXT)
		return g_strdup(v->u.s);
	if (value_number(v, &x))
		return g_strdup_printf("%.17g", x);
	return g_strdup("");
}

void learned_use(Engine *e, StateFile *sf)
{
	e->state = sf;
}

static void restore(Engine *e, EngineInput *in)
{
	BataggMember m = inputs_member(in);
	g_autofree char *serial = serial_of(in);
	const char *saved_serial = state_file_serial(e->state, in->service);

	if (!saved_serial)
		return;
	if (strcmp(saved_serial, serial) != 0) {
		g_info("%s: its state was saved for serial \"%s\", and it has \"%s\": it learns "
		       "afresh",
		       in->service, saved_serial, serial);
		return;
	}
	for (size_t i = 0; i < e->s.n_used; i++) {
		const StrategyUse *u = &e->s.used[i];
		const BataggRatioMethod *r = ratio_of(u);
		const char *text = r && r->restore_member ? state_file_get(e->state, in->service,
		                                                           serial, r->head.name)
		                                          : NULL;
		int bits;

		if (!text)
			continue;
		bits = r->restore_member(u->state, &m, text);
		if (bits < 0) {
			g_warning("%s: %s '%s' refused the state saved for it; it learns afresh",
			          in->service, kind_name(BATAGG_KIND_RATIO), r->head.name);
			continue;
		}
		g_info("%s: %s '%s' has the state saved for it", in->service,
		       kind_name(BATAGG_KIND_RATIO), r->head.name);
		e->method_bits |= bits;
		e->need_estimates = true;
	}
}

void learned_restore_due(Engine *e)
{
	for (guint i = 0; i < e->members->len; i++) {
		EngineInput *in = e->members->pdata[i];

		if (!in->restore_due)
			continue;
		in->restore_due = false;
		if (e->state)
			restore(e, in);
	}
}

/* Says once per method why what it saved is not kept. */
static void tell(Engine *e, const BataggRatioMethod *r, const char *why)
{
	if (!g_hash_table_add(e->told, g_strdup(r->head.name)))
		return;
	g_warning("%s '%s': what it saves is not kept: %s", kind_name(BATAGG_KIND_RATIO),
	          r->head.name, why);
}

/* Keeps what r saves about member in; TRUE when the state file changed. */
static bool save(Engine *e, const StrategyUse *u, const BataggRatioMethod *r, EngineInput *in,
                 const char *serial, char *buf)
{
	BataggMember m = inputs_member(in);
	int n;

	buf[0] = '\0';
	n = r->save_member(u->state, &m, buf, BATAGG_MEMBER_STATE_MAX);
	if (n < 0)
		return false;
	if (n == 0)
		return state_file_set(e->state, in->service, serial, r->head.name, NULL);
	if (n >= BATAGG_MEMBER_STATE_MAX) {
		tell(e, r, "it is longer than BATAGG_MEMBER_STATE_MAX");
		return false;
	}
	buf[n] = '\0';
	if (!g_utf8_validate(buf, -1, NULL)) {
		tell(e, r, "it is not UTF-8");
		return false;
	}
	return state_file_set(e->state, in->service, serial, r->head.name, buf);
}

bool learned_save(Engine *e)
{
	g_autofree char *buf = NULL;
	bool changed = false;

	if (!e->state)
		return false;
	buf = g_malloc(BATAGG_MEMBER_STATE_MAX);
	for (guint i = 0; i < e->members->len; i++) {
		EngineInput *in = e->members->pdata[i];
		g_autofree char *serial = serial_of(in);

		/* Not restored yet: what the methods have is not all it had. */
		if (in->restore_due)
			continue;
		for (size_t k = 0; k < e->s.n_used; k++) {
			const StrategyUse *u = &e->s.used[k];
			const BataggRatioMethod *r = ratio_of(u);

			if (r && r->save_member)
				changed = save(e, u, r, in, serial, buf) || changed;
		}
	}
	return changed;
}

void learned_reset(Engine *e)
{
	for (size_t i = 0; i < e->s.n_used; i++) {
		const StrategyUse *u = &e->s.used[i];
		const BataggRatioMethod *r = ratio_of(u);

		if (r && r->reset)
			r->reset(u->state, NULL);
	}
	if (e->state)
		state_file_forget(e->state, NULL);
	feeds_due(e, L_CCL);
	feeds_due(e, L_DCL);
	e->need_estimates = true;
}
