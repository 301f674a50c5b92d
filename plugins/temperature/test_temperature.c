/* SPDX-License-Identifier: MIT */
/* The limiter "temperature": its tables in both units, its hysteresis and
 * rate of rise, a member without a temperature, and every option it
 * refuses. */
#include <stdio.h>

#include "plugin_test.h"

static const BataggLimiter *limiter(void)
{
	return (const BataggLimiter *)strategy(BATAGG_KIND_LIMITER, "temperature");
}

/* A host whose one member has the values the test sets, a clock the test
 * moves, and a log it counts. */
static struct {
	BataggValue min_cell, max_cell, battery, capacity;
	double now;
	double again; /* the last call_again(), 0: none */
	int warnings;
	char last[256];
	/* The member's state, aligned as the daemon's (malloc'd) is. */
	_Alignas(max_align_t) unsigned char state[256];
} w;

static void log_fn(const BataggHost *host, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w.last, sizeof(w.last), fmt, ap);
	va_end(ap);
	if (level >= BATAGG_LOG_WARNING)
		w.warnings++;
}

static bool value_fn(const BataggHost *host, const BataggMember *m, const char *path,
                     BataggValue *out)
{
	*out = strcmp(path, "/System/MinCellTemperature") == 0   ? w.min_cell
	       : strcmp(path, "/System/MaxCellTemperature") == 0 ? w.max_cell
	       : strcmp(path, "/Dc/0/Temperature") == 0          ? w.battery
	       : strcmp(path, "/InstalledCapacity") == 0         ? w.capacity
	                                                         : VNONE;
	return true;
}

static double now_fn(const BataggHost *host)
{
	return w.now;
}

static void again_fn(const BataggHost *host, double seconds)
{
	w.again = seconds;
}

static void *state_fn(const BataggHost *host, const BataggMember *m)
{
	return w.state;
}

static const BataggHost host = {.struct_size = sizeof(BataggHost),
                                .log = log_fn,
                                .value = value_fn,
                                .now = now_fn,
                                .call_again = again_fn,
                                .member_state = state_fn};

static int setup(void **state)
{
	memset(&w, 0, sizeof(w));
	w.now = 1000;
	assert_true(limiter()->head.member_state_size <= sizeof(w.state));
	return 0;
}

static void *create(const BataggOption *opts, size_t n)
{
	BataggError err = {.option = -1};
	void *s = limiter()->head.create(&host, opts, n, &err);

	if (!s)
		fail_msg("refused: %s (option %d)", err.message, err.option);
	return s;
}

/* Cells at cold and hot °C. */
static void cells(double cold, double hot)
{
	w.min_cell = VNUM(cold);
	w.max_cell = VNUM(hot);
}

/* The caps with own limits of 100 A and a capacity of cap_ah (0: none). */
static BataggCaps caps_of(void *s, double cap_ah)
{
	BataggLimitInput in = {.ccl = NUM(100),
	                       .dcl = NUM(200),
	                       .cvl = NUM(55.2),
	                       .capacity = cap_ah > 0 ? NUM(cap_ah) : NONE};
	BataggCaps out;

	memset(&out, 0, sizeof(out));
	w.again = 0;
	limiter()->caps(s, member(1), &in, &out);
	return out;
}

/* The default tables, in C of 280 Ah, one temperature at a time (a fresh
 * member each time: no hysteresis). */
static void test_default_tables(void **state)
{
	static const struct {
		double t;
		BataggNum ccl, dcl;
	} cases[] = {
	        {-25, NUM(0), NUM(0)}, {-20, NUM(0), NONE},  {-1, NUM(0), NONE},
	        {0, NUM(28), NONE},    {3, NUM(28), NONE},   {4.99, NUM(28), NONE},
	        {5, NONE, NONE},       {25, NONE, NONE},     {50, NUM(140), NONE},
	        {52.5, NUM(70), NONE}, {55, NUM(0), NONE},   {58, NUM(0), NONE},
	        {60, NUM(0), NONE},    {61, NUM(0), NUM(0)},
	};
	void *s = create(NULL, 0);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char what[64];
		BataggCaps c;

		memset(w.state, 0, sizeof(w.state));
		cells(cases[i].t, cases[i].t);
		c = caps_of(s, 280);
		snprintf(what, sizeof(what), "CCL at %g °C", cases[i].t);
		expect_num(what, c.ccl, cases[i].ccl);
		snprintf(what, sizeof(what), "DCL at %g °C", cases[i].t);
		expect_num(what, c.dcl, cases[i].dcl);
		expect_num("no CVL cap", c.cvl, NONE);
	}
	limiter()->head.destroy(s);
}

/* A table in A, interpolated between its points; "none" holds from its
 * point to the next. */
static void test_amps_interpolated(void **state)
{
	const BataggOption opts[] = {
	        OPT_TEXT("unit", "A"),
	        OPT_NUMBER("chargeTable/0", 10),
	        OPT_NUMBER("chargeTable/10", 50),
	        OPT_TEXT("chargeTable/20", "none"),
	        OPT_NUMBER("chargeTable/45", 40),
	        OPT_NUMBER("chargeTable/55", 0),
	};
	static const struct {
		double t;
		BataggNum ccl;
	} cases[] = {
	        {-0.5, NUM(0)}, {0, NUM(10)},    {5, NUM(30)}, {10, NUM(50)},
	        {15, NUM(50)},  {19.9, NUM(50)}, {20, NONE},   {44.9, NONE},
	        {45, NUM(40)},  {50, NUM(20)},   {55, NUM(0)}, {56, NUM(0)},
	};
	void *s = create(opts, sizeof(opts) / sizeof(opts[0]));

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char what[64];

		memset(w.state, 0, sizeof(w.state));
		cells(cases[i].t, cases[i].t);
		snprintf(what, sizeof(what), "CCL at %g °C", cases[i].t);
		/* In A, the capacity does not count. */
		expect_num(what, caps_of(s, 280).ccl, cases[i].ccl);
	}
	limiter()->head.destroy(s);
}

/* In C: the table's C-rate times the capacity. */
static void test_c_rate_times_capacity(void **state)
{
	const BataggOption opts[] = {
	        OPT_NUMBER("chargeTable/0", 0.2),
	        OPT_NUMBER("chargeTable/10", 0.6),
	};
	void *s = create(opts, 2);

	cells(5, 5);
	expect_num("0.4 C of 100 Ah", caps_of(s, 100).ccl, NUM(40));
	/* The default discharge table stays. */
	expect_num("no DCL cap", caps_of(s, 100).dcl, NONE);
	cells(11, 11);
	expect_num("0 outside the table", caps_of(s, 100).ccl, NUM(0));
	limiter()->head.destroy(s);
}

/* The coldest cell decides when cold, the hottest when hot; the text says
 * which. */
static void test_coldest_and_hottest(void **state)
{
	void *s = create(NULL, 0);
	BataggCaps c;

	cells(3, 20);
	c = caps_of(s, 100);
	expect_num("cold: the coldest cell", c.ccl, NUM(10));
	assert_string_equal(c.why, "3.0 °C");
	memset(w.state, 0, sizeof(w.state));
	cells(30, 52.5);
	c = caps_of(s, 100);
	expect_num("hot: the hottest cell", c.ccl, NUM(25));
	assert_string_equal(c.why, "52.5 °C");
	/* One cell reading stands for both. */
	memset(w.state, 0, sizeof(w.state));
	w.min_cell = VNONE;
	w.max_cell = VNUM(-5);
	expect_num("only the hottest", caps_of(s, 100).ccl, NUM(0));
	/* No cell: the battery's temperature. */
	memset(w.state, 0, sizeof(w.state));
	cells(0, 0);
	w.min_cell = w.max_cell = VNONE;
	w.battery = VNUM(2);
	c = caps_of(s, 100);
	expect_num("/Dc/0/Temperature", c.ccl, NUM(10));
	assert_string_equal(c.why, "2.0 °C");
	limiter()->head.destroy(s);
}

/* Cold: capped at once to 0; wobbling around 0 °C it holds; warm by the
 * hysteresis it rises, at the rise rate, with call_again until through. */
static void test_hysteresis_and_rate(void **state)
{
	const BataggOption opts[] = {OPT_NUMBER("riseRate", 2)};
	void *s = create(opts, 1);
	BataggCaps c;

	cells(-1, -1);
	expect_num("below 0 °C", caps_of(s, 100).ccl, NUM(0));
	cells(0.5, 0.5);
	expect_num("0.5 °C: held by the hysteresis", caps_of(s, 100).ccl, NUM(0));
	assert_true(w.again == 0);
	cells(0.9, 0.9);
	c = caps_of(s, 100);
	expect_num("0.9 °C: still held", c.ccl, NUM(0));
	assert_string_equal(c.why, "0.9 °C");
	cells(1.5, 1.5);
	expect_num("1.5 °C: looked up at -0.5 °C", caps_of(s, 100).ccl, NUM(0));
	/* 1 °C above the hysteresis: the table at 0 °C (10 A), from 0 at 2 A/s,
	 * counted from when the rise is first seen. */
	cells(2, 2);
	expect_num("2 °C: the rise starts", caps_of(s, 100).ccl, NUM(0));
	assert_true(w.again > 0 && w.again <= 1);
	w.now += 1;
	expect_num("1 s later", caps_of(s, 100).ccl, NUM(2));
	w.now += 2;
	expect_num("3 s later", caps_of(s, 100).ccl, NUM(6));
	/* The same time again changes nothing (the core asks once per limit). */
	expect_num("the same time", caps_of(s, 100).ccl, NUM(6));
	w.now += 10;
	expect_num("through: the table's 10 A", caps_of(s, 100).ccl, NUM(10));
	assert_true(w.again == 0);
	/* Cold again: down at once. */
	cells(-0.1, -0.1);
	expect_num("falls at once", caps_of(s, 100).ccl, NUM(0));
	/* Warm: up to the member's own 100 A, then no cap. */
	cells(20, 20);
	expect_num("rise from 0", caps_of(s, 100).ccl, NUM(0));
	w.now += 30;
	expect_num("30 s at 2 A/s", caps_of(s, 100).ccl, NUM(60));
	w.now += 20;
	expect_num("at its own limit: no cap", caps_of(s, 100).ccl, NONE);
	assert_string_equal(caps_of(s, 100).why, "");
	limiter()->head.destroy(s);
}

/* Hot: the hottest cell's hysteresis works the other way. */
static void test_hot_hysteresis(void **state)
{
	const BataggOption opts[] = {OPT_NUMBER("hysteresis", 3)};
	void *s = create(opts, 1);

	cells(40, 54);
	expect_num("54 °C", caps_of(s, 100).ccl, NUM(10));
	cells(40, 52);
	expect_num("52 °C: held at 54", caps_of(s, 100).ccl, NUM(10));
	cells(40, 56);
	expect_num("56 °C: 0", caps_of(s, 100).ccl, NUM(0));
	cells(40, 53.5);
	expect_num("53.5 °C: held at 56", caps_of(s, 100).ccl, NUM(0));
	cells(40, 52);
	/* Held at 55 now: the table's 0, nothing to rise to. */
	expect_num("52 °C: looked up at 55", caps_of(s, 100).ccl, NUM(0));
	limiter()->head.destroy(s);
}

/* No temperature: no cap, one WARNING naming it; again only once it had
 * one and lost it.  A cap it had rises away at the rate. */
static void test_no_temperature_warns_once(void **state)
{
	void *s = create(NULL, 0);
	BataggCaps c;

	c = caps_of(s, 100);
	expect_num("no temperature: no CCL cap", c.ccl, NONE);
	expect_num("no DCL cap", c.dcl, NONE);
	assert_int_equal(w.warnings, 1);
	assert_non_null(strstr(w.last, "test"));
	caps_of(s, 100);
	caps_of(s, 100);
	assert_int_equal(w.warnings, 1);
	cells(-5, -5);
	expect_num("a temperature", caps_of(s, 100).ccl, NUM(0));
	assert_int_equal(w.warnings, 1);
	w.min_cell = w.max_cell = VNONE;
	c = caps_of(s, 100);
	assert_int_equal(w.warnings, 2);
	expect_num("lost: the cap rises away", c.ccl, NUM(0));
	assert_string_equal(c.why, "no temperature, recovering");
	w.now += 100;
	expect_num("through", caps_of(s, 100).ccl, NONE);
	assert_int_equal(w.warnings, 2);
	limiter()->head.destroy(s);
}

/* A C-rate without a capacity: no cap (0 stays 0), one WARNING. */
static void test_c_rate_without_capacity(void **state)
{
	void *s = create(NULL, 0);

	cells(3, 3);
	expect_num("0.1 C of nothing", caps_of(s, 0).ccl, NONE);
	assert_int_equal(w.warnings, 1);
	caps_of(s, 0);
	assert_int_equal(w.warnings, 1);
	cells(-3, -3);
	expect_num("0 C is 0 A", caps_of(s, 0).ccl, NUM(0));
	/* Read from /InstalledCapacity when the input has none. */
	memset(w.state, 0, sizeof(w.state));
	cells(3, 3);
	w.capacity = VNUM(50);
	expect_num("0.1 C of 50 Ah", caps_of(s, 0).ccl, NUM(5));
	limiter()->head.destroy(s);
}

/* Every option it refuses, with the option named and why. */
static void test_refusals(void **state)
{
	static const struct {
		const char *name;
		BataggOption opts[3];
		size_t n;
		int option;
		const char *says;
	} cases[] = {
	        {"unknown option", {OPT_NUMBER("hysterisis", 2)}, 1, 0, "unknown option"},
	        {"unit", {OPT_TEXT("unit", "amps")}, 1, 0, "expected \"C\""},
	        {"unit number", {OPT_NUMBER("unit", 1)}, 1, 0, "expected \"C\""},
	        {"not increasing",
	         {OPT_NUMBER("chargeTable/10", 0.5), OPT_NUMBER("chargeTable/5", 0.1)},
	         2,
	         1,
	         "temperatures must increase: 5 °C after 10 °C"},
	        {"the same twice",
	         {OPT_NUMBER("dischargeTable/0", 1), OPT_NUMBER("dischargeTable/0.0", 1)},
	         2,
	         1,
	         "must increase"},
	        {"negative", {OPT_NUMBER("chargeTable/5", -0.1)}, 1, 0, "must be 0 or more"},
	        {"too cold", {OPT_NUMBER("chargeTable/-60", 0)}, 1, 0, "outside -50..100 °C"},
	        {"too hot", {OPT_NUMBER("dischargeTable/120", 0)}, 1, 0, "outside -50..100 °C"},
	        {"no temperature", {OPT_NUMBER("chargeTable/warm", 1)}, 1, 0, "is no temperature"},
	        {"not an object", {OPT_NUMBER("chargeTable", 1)}, 1, 0, "expected an object"},
	        {"text", {OPT_TEXT("chargeTable/5", "lots")}, 1, 0, "or \"none\""},
	        {"amps in C", {OPT_NUMBER("chargeTable/5", 200)}, 1, 0, "are these amps?"},
	        {"amps in C, unit after",
	         {OPT_NUMBER("chargeTable/5", 0.1), OPT_NUMBER("chargeTable/10", 200),
	          OPT_TEXT("unit", "C")},
	         3,
	         1,
	         "200 C is more than 10 C"},
	        {"hysteresis", {OPT_NUMBER("hysteresis", -1)}, 1, 0, "must be 0 to 20 °C"},
	        {"hysteresis text", {OPT_TEXT("hysteresis", "2")}, 1, 0, "expected a number"},
	        {"riseRate 0", {OPT_NUMBER("riseRate", 0)}, 1, 0, "must be above 0 A/s"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		BataggError err = {.option = -1};

		print_message("# %s\n", cases[i].name);
		assert_null(limiter()->head.create(&host, cases[i].opts, cases[i].n, &err));
		if (!strstr(err.message, cases[i].says))
			fail_msg("%s: '%s' does not say '%s'", cases[i].name, err.message,
			         cases[i].says);
		assert_int_equal(err.option, cases[i].option);
	}
}

/* What it accepts: 200 in A, "none", the edges, each documented option
 * alone (batagg tries them at load). */
static void test_accepted(void **state)
{
	const BataggOption amps[] = {OPT_NUMBER("chargeTable/5", 200), OPT_TEXT("unit", "A")};
	const BataggOption edges[] = {OPT_TEXT("dischargeTable/-50", "none"),
	                              OPT_NUMBER("dischargeTable/100", 0),
	                              OPT_NUMBER("hysteresis", 0)};

	limiter()->head.destroy(create(amps, 2));
	limiter()->head.destroy(create(edges, 3));
	for (const BataggOptionHelp *h = limiter()->head.options; h->key; h++)
		assert_non_null(h->help);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_default_tables, setup),
	        cmocka_unit_test_setup(test_amps_interpolated, setup),
	        cmocka_unit_test_setup(test_c_rate_times_capacity, setup),
	        cmocka_unit_test_setup(test_coldest_and_hottest, setup),
	        cmocka_unit_test_setup(test_hysteresis_and_rate, setup),
	        cmocka_unit_test_setup(test_hot_hysteresis, setup),
	        cmocka_unit_test_setup(test_no_temperature_warns_once, setup),
	        cmocka_unit_test_setup(test_c_rate_without_capacity, setup),
	        cmocka_unit_test_setup(test_refusals, setup),
	        cmocka_unit_test_setup(test_accepted, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
