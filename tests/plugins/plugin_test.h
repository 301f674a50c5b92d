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

static inline void quiet_log(int level, const char *fmt, ...)
{
}

static const BataggHost test_host = {.struct_size = sizeof(BataggHost), .log = quiet_log};

static inline const BataggMergePolicy *merge_policy(const char *name)
{
	for (const BataggMergePolicy *const *p = batagg_plugin.merge_policies; p && *p; p++) {
		if (strcmp((*p)->name, name) == 0)
			return *p;
	}
	fail_msg("no merge policy %s", name);
	return NULL;
}

static inline const BataggCvlMode *cvl_mode(const char *name)
{
	for (const BataggCvlMode *const *p = batagg_plugin.cvl_modes; p && *p; p++) {
		if (strcmp((*p)->name, name) == 0)
			return *p;
	}
	fail_msg("no CVL mode %s", name);
	return NULL;
}

static inline const BataggRatioMethod *ratio_method(const char *name)
{
	for (const BataggRatioMethod *const *p = batagg_plugin.ratio_methods; p && *p; p++) {
		if (strcmp((*p)->name, name) == 0)
			return *p;
	}
	fail_msg("no ratio method %s", name);
	return NULL;
}

static inline void expect_num(const char *what, BataggNum got, BataggNum want)
{
	if (got.valid != want.valid)
		fail_msg("%s: expected %s, got %s", what, want.valid ? "a value" : "invalid",
		         got.valid ? "a value" : "invalid");
	if (want.valid && fabs(got.value - want.value) > 1e-9 * fmax(1, fabs(want.value)))
		fail_msg("%s: expected %.12g, got %.12g", what, want.value, got.value);
}

#endif
