/* SPDX-License-Identifier: MIT */
/*
 * A virtual battery's combiner (SPEC 6): every battery path is the first
 * valid value of its inputs in config order, hooks among them supplying
 * values of their own from what is merged so far.
 */
#include "engine/precedence.h"

#include "engine/bank.h"
#include "engine/inputs.h"
#include "engine/merged.h"
#include "engine/outputs.h"

/* A hook of SDK 3: its key paths' merged values, and the services the
 * virtual battery is made of. */
static void ask_values(Engine *e, const EngineInput *h, int p, const BataggValue *prev,
                       BataggValue *out)
{
	const char *const *kp = h->hook->key_paths;
	size_t n_keys = 0, n = 0;
	g_autofree BataggValue *keys = NULL;
	g_autofree const char **services = g_new0(const char *, e->primary->len + 1);

	while (kp && kp[n_keys])
		n_keys++;
	keys = g_new0(BataggValue, n_keys + 1);
	for (size_t k = 0; k < n_keys; k++) {
		int id = paths_find(kp[k]);

		if (id >= 0 && id < N_BATTERY_PATHS)
			keys[k] = value_view(&e->pub[id]);
	}
	for (guint i = 0; i < e->primary->len; i++) {
		const EngineInput *in = e->primary->pdata[i];

		if (!in->hook)
			services[n++] = in->service;
	}
	h->hook->values(h->hook_state, battery_paths[p].path, keys, n_keys, services, n, prev, out,
	                e->text, sizeof(e->text));
}

/* Asks every hook for its values from the merged values published so far. */
static void run_hooks(Engine *e)
{
	for (guint i = 0; i < e->primary->len; i++) {
		EngineInput *h = e->primary->pdata[i];

		if (!h->hook)
			continue;
		for (int p = 0; p < N_BATTERY_PATHS; p++) {
			BataggValue prev = value_view(&h->values[p]);
			BataggValue key = {0};
			BataggValue out = {0};
			Value v;

			if (!(h->paths & BIT(p)))
				continue;
			if (h->hook_key >= 0)
				key = value_view(&e->pub[h->hook_key]);
			if (h->hook->values)
				ask_values(e, h, p, &prev, &out);
			else
				h->hook->value(h->hook_state, battery_paths[p].path, &key, &prev,
				               &out, e->text, sizeof(e->text));
			v = value_from_view(&out);
			paths_sanitize((PathId)p, &v);
			if (!value_equal(&v, &h->values[p])) {
				value_move(&h->values[p], &v);
				e->dirty |= BIT(p);
			}
			value_clear(&v);
		}
	}
}

/* Every path, always: a virtual battery has few inputs per path. */
static void flush(Engine *e, bool all)
{
	if (e->membership_changed)
		e->dirty |= ALL_BATTERY_PATHS;
	/* The hooks first, from the keys as published so far: a value that
	 * needs no key (a fixed one) is there before its path is first
	 * published, so that a hook that overrides is never preceded by a
	 * member's value.  Then, a hook's key being merged too (perhaps from
	 * a hook): settle in a few passes; a cycle is left for the next
	 * flush. */
	run_hooks(e);
	for (int pass = 0; pass < 3; pass++) {
		for (int p = 0; p < N_BATTERY_PATHS; p++) {
			if (e->dirty & BIT(p)) {
				Value none = VALUE_INIT;

				merged_publish(e, p, &none, false);
			}
		}
		e->dirty = 0;
		run_hooks(e);
		if (!e->dirty)
			break;
	}
	if (e->membership_changed)
		bank_publish_members(e, e->primary, false);
	e->membership_changed = false;
}

/* The battery paths and the list of its members. */
static bool publishes(int i)
{
	return i < N_BATTERY_PATHS || i == N_BATTERY_PATHS + X_BATTERIES;
}

const Combiner precedence_combiner = {
        .flush = flush,
        .publishes = publishes,
        .lists_sources = true,
};
