/* SPDX-License-Identifier: MIT */
/*
 * The kinds of strategy, by name.
 */
#include "base/kind.h"

static const char *const names[KIND_N] = {
        [BATAGG_KIND_RATIO] = "current ratio method",
        [BATAGG_KIND_CVL] = "CVL mode",
        [BATAGG_KIND_MERGE] = "merge policy",
        [BATAGG_KIND_HOOK] = "hook",
        [BATAGG_KIND_LIMITER] = "limiter",
};

bool kind_known(uint32_t kind)
{
	return kind > 0 && kind < KIND_N;
}

const char *kind_name(uint32_t kind)
{
	return kind_known(kind) ? names[kind] : "strategy";
}
