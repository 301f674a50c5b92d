/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the strategy plugins' unit tests: each test links one plugin's
 * source and reaches its entries through the descriptor, as the daemon does.
 */
#ifndef BATAGG_PLUGIN_TEST_H
#define BATAGG_PLUGIN_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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

/* A host with members, as the daemon's for one instance: log() is quiet,
 * value() knows no path, now() is the test's clock (now), call_again()
 * does nothing, and member_state() gives member id 1 to 15 its own
 * size bytes, zeroed on first use and kept until fake_host_left() says the
 * member left (NULL when size is 0, as for a strategy that declares none). */
typedef struct {
	BataggHost host; /* first: what the plugin is given */
	size_t size;     /* the strategy's member_state_size */
	double now;
	void *slot[16];
} FakeHost;

static inline bool fake_host_value(const BataggHost *host, const BataggMember *m, const char *path,
                                   BataggValue *out)
{
	*out = (BataggValue){.type = BATAGG_VALUE_INVALID};
	return false;
}

static inline double fake_host_now(const BataggHost *host)
{
	return ((const FakeHost *)(const void *)host)->now;
}

static inline void fake_host_call_again(const BataggHost *host, double seconds)
{
}

static inline void *fake_host_member_state(const BataggHost *host, const BataggMember *m)
{
	FakeHost *h = (FakeHost *)(void *)host;

	if (!m || m->id >= sizeof(h->slot) / sizeof(h->slot[0]) || h->size == 0)
		return NULL;
	if (!h->slot[m->id])
		h->slot[m->id] = test_calloc(1, h->size);
	return h->slot[m->id];
}

/* A fake host for an instance of strategy s. */
static inline FakeHost *fake_host_new(const BataggStrategy *s)
{
	FakeHost *h = test_calloc(1, sizeof(*h));

	h->host = (BataggHost){.struct_size = sizeof(BataggHost),
	                       .log = quiet_log,
	                       .value = fake_host_value,
	                       .now = fake_host_now,
	                       .call_again = fake_host_call_again,
	                       .member_state = fake_host_member_state};
	h->size = s->member_state_size;
	return h;
}

/* Member id left: its slot is freed (a later use gets a zeroed one). */
static inline void fake_host_left(FakeHost *h, BataggMemberId id)
{
	if (id < sizeof(h->slot) / sizeof(h->slot[0])) {
		test_free(h->slot[id]);
		h->slot[id] = NULL;
	}
}

/* After the instance's destroy(): every slot goes, as the daemon's engine
 * frees them. */
static inline void fake_host_free(FakeHost *h)
{
	if (!h)
		return;
	for (BataggMemberId id = 0; id < sizeof(h->slot) / sizeof(h->slot[0]); id++)
		fake_host_left(h, id);
	test_free(h);
}

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
