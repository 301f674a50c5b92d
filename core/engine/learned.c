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

/* What an instance keeps of a member: its head's functions (every kind,
 * SDK 3), else a ratio method's own (2.1). */
typedef struct {
	int (*save)(void *state, const BataggMember *m, char *buf, size_t len);
	int (*restore)(void *state, const BataggMember *m, const char *text);
	void (*reset)(void *state, const BataggMember *m);
} Keeping;

static Keeping keeping_of(const StrategyUse *u)
{
	const BataggStrategy *t = u->table;
	const BataggRatioMethod *r = (const BataggRatioMethod *)t;

	if (t->save_member || t->restore_member || t->reset || t->kind != BATAGG_KIND_RATIO)
		return (Keeping){t->save_member, t->restore_member, t->reset};
	return (Keeping){r->save_member, r->restore_member, r->reset};
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
		Keeping k = keeping_of(u);
		const char *text =
		        k.restore ? state_file_get(e->state, in->service, serial, u->table->name)
		                  : NULL;
		int bits;

		if (!text)
			continue;
		bits = k.restore(u->state, &m, text);
		if (bits < 0) {
			g_warning("%s: %s '%s' refused the state saved for it; it learns afresh",
			          in->service, kind_name(u->table->kind), u->table->name);
			continue;
		}
		g_info("%s: %s '%s' has the state saved for it", in->service,
		       kind_name(u->table->kind), u->table->name);
		e->method_bits |= bits;
		e->need_estimates = true;
	}
}

void learned_restore_due(Engine *e)
{
	if (!e->restore_due)
		return;
	e->restore_due = false;
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
static void tell(Engine *e, const BataggStrategy *t, const char *why)
{
	if (!g_hash_table_add(e->told, g_strdup(t->name)))
		return;
	g_warning("%s '%s': what it saves is not kept: %s", kind_name(t->kind), t->name, why);
}

/* Keeps what r saves about member in; TRUE when the state file changed. */
static bool save(Engine *e, const StrategyUse *u, const Keeping *k, EngineInput *in,
                 const char *serial, char *buf)
{
	BataggMember m = inputs_member(in);
	int n;

	buf[0] = '\0';
	n = k->save(u->state, &m, buf, BATAGG_MEMBER_STATE_MAX);
	if (n < 0)
		return false;
	if (n == 0)
		return state_file_set(e->state, in->service, serial, u->table->name, NULL);
	if (n >= BATAGG_MEMBER_STATE_MAX) {
		tell(e, u->table, "it is longer than BATAGG_MEMBER_STATE_MAX");
		return false;
	}
	buf[n] = '\0';
	if (!g_utf8_validate(buf, -1, NULL)) {
		tell(e, u->table, "it is not UTF-8");
		return false;
	}
	return state_file_set(e->state, in->service, serial, u->table->name, buf);
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
		for (size_t j = 0; j < e->s.n_used; j++) {
			const StrategyUse *u = &e->s.used[j];
			Keeping k = keeping_of(u);

			if (k.save)
				changed = save(e, u, &k, in, serial, buf) || changed;
		}
	}
	return changed;
}

void learned_reset(Engine *e)
{
	for (size_t i = 0; i < e->s.n_used; i++) {
		const StrategyUse *u = &e->s.used[i];
		Keeping k = keeping_of(u);

		if (k.reset)
			k.reset(u->state, NULL);
	}
	if (e->state)
		state_file_forget(e->state, NULL);
	feeds_due(e, L_CCL);
	feeds_due(e, L_DCL);
	e->need_estimates = true;
}
