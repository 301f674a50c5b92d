/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the strategy plugins' unit tests: each test links one plugin's
 * source and reaches its entries through the descriptor, as the daemon does.
 */
#ifndef BATAGG_PLUGIN_TEST_H
#define BATAGG_PLUGIN_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "batagg/plugin.h"

extern const BataggPluginDesc batagg_plugin;

#define NUM(x) ((BataggNum){.value = (x), .valid = true})
#define NONE ((BataggNum){.value = 0, .valid = false})
#define VNUM(x) ((BataggValue){.type = BATAGG_VALUE_NUMBER, .number = (x)})
#define VTEXT(s) ((BataggValue){.type = BATAGG_VALUE_TEXT, .text = (s)})
#define VNONE ((BataggValue){.type = BATAGG_VALUE_INVALID})

static inline void quiet_log(const BataggHost *host, int level, const char *fmt, ...)
{
}

static const BataggHost test_host = {.struct_size = sizeof(BataggHost), .log = quiet_log};

/* The plugin's strategy of that kind and name, found as the daemon finds
 * it: through the descriptor. */
static inline const BataggStrategy *strategy(BataggKind kind, const char *name)
{
	for (const BataggStrategy *const *s = batagg_plugin.strategies; s && *s; s++) {
		if ((*s)->kind == kind && strcmp((*s)->name, name) == 0)
			return *s;
	}
	fail_msg("no strategy %s of kind %d", name, (int)kind);
	return NULL;
}

static inline const BataggMergePolicy *merge_policy(const char *name)
{
	return (const BataggMergePolicy *)strategy(BATAGG_KIND_MERGE, name);
}

static inline const BataggCvlMode *cvl_mode(const char *name)
{
	return (const BataggCvlMode *)strategy(BATAGG_KIND_CVL, name);
}

static inline const BataggRatioMethod *ratio_method(const char *name)
{
	return (const BataggRatioMethod *)strategy(BATAGG_KIND_RATIO, name);
}

static inline const BataggHook *hook(const char *name)
{
	return (const BataggHook *)strategy(BATAGG_KIND_HOOK, name);
}

/* Member id as the daemon passes it (ids 1 to 15). */
static inline const BataggMember *member(BataggMemberId id)
{
	static BataggMember members[16];

	members[id] = (BataggMember){id, "com.victronenergy.battery.test", "", "test"};
	return &members[id];
}

/* An option of each type, as the config gives them. */
#define OPT_NUMBER(k, x) ((BataggOption){k, BATAGG_OPTION_NUMBER, (x), #x})
#define OPT_TEXT(k, s) ((BataggOption){k, BATAGG_OPTION_TEXT, 0, (s)})

static inline void expect_num(const char *what, BataggNum got, BataggNum want)
{
	if (got.valid != want.valid)
		fail_msg("%s: expected %s, got %s", what, want.valid ? "a value" : "invalid",
		         got.valid ? "a value" : "invalid");
	if (want.valid && fabs(got.value - want.value) > 1e-9 * fmax(1, fabs(want.value)))
		fail_msg("%s: expected %.12g, got %.12g", what, want.value, got.value);
}

#endif
