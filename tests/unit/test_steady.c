/* SPDX-License-Identifier: MIT */
/*
 * The steady state costs no allocation: K = 16 members of the default
 * config (the IR method) each send the 15 paths the benchmark's members
 * change (bench/batload.c), and the engine is flushed as the publisher
 * does (engine_flush_safety() after every member update, engine_flush()
 * at every tick).  A value sent again as it was changes nothing and marks
 * nothing; numbers that change allocate nothing, from inputs_set() to the
 * published values.  Allocations are counted by this program's own
 * malloc(), which GLib's g_malloc() reaches too (not under AddressSanitizer,
 * which has its own: there the values are checked, not the count).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine_fixture.h"

#if defined(__SANITIZE_ADDRESS__)
#define COUNTING 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COUNTING 0
#endif
#endif
#ifndef COUNTING
#define COUNTING 1
#endif

static long allocations;
static int counting;

#if COUNTING
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);

void *malloc(size_t n)
{
	allocations += counting;
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	allocations += counting;
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	allocations += counting;
	return __libc_realloc(p, n);
}

void free(void *p)
{
	__libc_free(p);
}
#endif

#define K 16
#define UPDATES 40 /* per member, after the warm-up */

typedef struct {
	const char *path;
	Value v;
} Item;

/* Member i's 15 paths at round r: every number moves, the current stays
 * (no new resistance estimate), the same members keep the extreme cells;
 * the cell ids are borrowed text, as the monitor hands them over. */
static size_t update(Item *items, int i, int r)
{
	double t = r * 0.37 + i;
	size_t n = 0;

	items[n++] = (Item){"/Dc/0/Voltage", value_double(52 + 0.01 * sin(t))};
	items[n++] = (Item){"/Dc/0/Current", value_double(10 + i)};
	items[n++] = (Item){"/Dc/0/Power", value_double((52 + 0.01 * sin(t)) * (10 + i))};
	items[n++] = (Item){"/Dc/0/Temperature", value_double(25 + cos(t))};
	items[n++] = (Item){"/Soc", value_double(50 + r * 0.01)};
	items[n++] = (Item){"/TimeToGo", value_double(3600 + r)};
	items[n++] = (Item){"/ConsumedAmphours", value_double(-10 - r * 0.01)};
	items[n++] = (Item){"/Capacity", value_double(50 + r * 0.01)};
	items[n++] =
	        (Item){"/System/MinCellVoltage", value_double(3.2 + 0.01 * i + 0.001 * sin(t))};
	items[n++] =
	        (Item){"/System/MaxCellVoltage", value_double(3.4 + 0.01 * i + 0.001 * sin(t))};
	items[n++] = (Item){"/System/MinVoltageCellId", {.type = VALUE_TEXT, .u.s = (char *)"C3"}};
	items[n++] = (Item){"/System/MaxVoltageCellId", {.type = VALUE_TEXT, .u.s = (char *)"C9"}};
	items[n++] = (Item){"/System/MinCellTemperature", value_double(20 + i + 0.1 * cos(t))};
	items[n++] = (Item){"/System/MaxCellTemperature", value_double(30 + i + 0.1 * cos(t))};
	items[n++] =
	        (Item){"/System/MinTemperatureCellId", {.type = VALUE_TEXT, .u.s = (char *)"T2"}};
	return n;
}

static void take_all(Engine *e)
{
	for (int i = outputs_take_changed(e, 0); i >= 0; i = outputs_take_changed(e, i + 1))
		;
}

/* One member update as the daemon handles it; returns how many values
 * changed. */
static int deliver(Engine *e, EngineInput *in, int i, int r)
{
	Item items[20];
	size_t n = update(items, i, r);
	int changed = 0;

	for (size_t k = 0; k < n; k++)
		changed += inputs_set(e, in, items[k].path, &items[k].v);
	if (changed)
		engine_flush_safety(e);
	take_all(e);
	return changed;
}

/* Rounds of every member's update, a tick after each round: rounds from,
 * from + 1, ... (moving), or round from again and again. */
static long run(Fixture *f, EngineInput **m, int from, int rounds, bool moving, int *changed)
{
	long before = allocations;

	*changed = 0;
	counting = 1;
	for (int k = 0; k < rounds; k++) {
		for (int i = 0; i < K; i++)
			*changed += deliver(f->e, m[i], i, moving ? from + k : from);
		engine_flush(f->e);
		take_all(f->e);
	}
	counting = 0;
	return allocations - before;
}

static void test_steady_state_allocates_nothing(void **state)
{
	Fixture *f = fixture_new("{}");
	EngineInput *m[K];
	long again, moving;
	int changed;
	double sum = 0;

#if COUNTING
	/* The counter sees GLib's allocations: the test can fail. */
	counting = 1;
	g_free(g_malloc(16));
	counting = 0;
	assert_int_equal(allocations, 1);
#endif
	for (int i = 0; i < K; i++) {
		g_autofree char *name = g_strdup_printf("com.victronenergy.battery.m%02d", i);

		m[i] = fixture_member(f, name,
		                      "/Info/MaxChargeCurrent=100; /Info/MaxDischargeCurrent=150; "
		                      "/Info/MaxChargeVoltage=55.2; /InstalledCapacity=100; "
		                      "/Io/AllowToCharge=1i; /Io/AllowToDischarge=1i; "
		                      "/Info/ChargeMode='Bulk'; /Balancing=0i");
	}
	/* Warm-up: scratch space grows to K members once. */
	fixture_flush(f);
	run(f, m, 0, 3, true, &changed);
	assert_true(changed > 0);

	/* The same values again: nothing changes, nothing is allocated. */
	again = run(f, m, 2, UPDATES, false, &changed);
	assert_int_equal(changed, 0);

	/* Numbers that move: the published numbers follow, nothing is
	 * allocated. */
	moving = run(f, m, 3, UPDATES, true, &changed);
	/* All but the current and the three cell ids. */
	assert_int_equal(changed, UPDATES * K * 11);
	for (int i = 0; i < K; i++)
		sum += 10 + i;
	expect_number(f, "/Dc/0/Current", sum);
	expect_number(f, "/Info/MaxChargeCurrent", 100 * K);
	expect_text(f, "/System/MinVoltageCellId", "m00 C3");
	expect_text(f, "/System/MaxVoltageCellId", "m15 C9");
	fprintf(stderr, "# allocations per member update: %.2f resent, %.2f moving (K = %d)\n",
	        (double)again / (UPDATES * K), (double)moving / (UPDATES * K), K);
#if COUNTING
	assert_int_equal(again, 0);
	assert_int_equal(moving, 0);
#endif
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_steady_state_allocates_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
