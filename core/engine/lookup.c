/* SPDX-License-Identifier: MIT */
/*
 * What a strategy instance's host looks up (SDK 3): a member's value of a
 * path, and its state of an instance.
 */
#include "engine/lookup.h"

#include "engine/feeds.h"

static EngineInput *member_by_id(const Engine *e, BataggMemberId id)
{
	for (guint i = 0; i < e->members->len; i++) {
		EngineInput *in = e->members->pdata[i];

		if (in->id == id)
			return in;
	}
	return NULL;
}

bool lookup_value(const Engine *e, BataggMemberId id, const char *path, BataggValue *out)
{
	const EngineInput *in = member_by_id(e, id);
	int p = paths_find(path);
	int x = p < 0 ? feeds_extra_find(e, path) : -1;

	*out = (BataggValue){0};
	if (!in || (p < 0 && x < 0))
		return false;
	*out = value_view(p >= 0 ? &in->values[p] : &in->extra[x]);
	return true;
}

void *lookup_slot(const Engine *e, BataggMemberId id, const void *state)
{
	const EngineInput *in = member_by_id(e, id);

	for (size_t k = 0; in && k < e->s.n_used; k++) {
		if (e->s.used[k].state == state)
			return in->slots[k];
	}
	return NULL;
}
