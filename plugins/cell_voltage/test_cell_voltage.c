/* SPDX-License-Identifier: MIT */
/* The limiter "cell_voltage": its tables, hysteresis, rate of rise, CVL
 * cut, balance assist and options, with a fake host (clock, values, member
 * state). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_test.h"

#define N_IDS 8
#define UNKNOWN 7 /* a member the host keeps no state for */

/* ---- the fake host ------------------------------------------------------- */

static struct {
	double now;
	BataggValue max_cell[N_IDS], min_cell[N_IDS], allow[N_IDS], voltage[N_IDS];
	void *slot[N_IDS];
	double call_again; /* the earliest asked since the last take_call_again() */
	char log[4096];
	int log_lines;
} fake;

static void fake_log(const BataggHost *host, int level, const char *fmt, ...)
{
	size_t n = strlen(fake.log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fake.log + n, sizeof(fake.log) - n, fmt, ap);
	va_end(ap);
	n = strlen(fake.log);
	snprintf(fake.log + n, sizeof(fake.log) - n, "\n");
	fake.log_lines++;
}

static bool fake_value(const BataggHost *host, const BataggMember *m, const char *path,
                       BataggValue *out)
{
	*out = VNONE;
	if (!m || m->id >= N_IDS)
		return false;
	if (strcmp(path, "/System/MaxCellVoltage") == 0)
		*out = fake.max_cell[m->id];
	else if (strcmp(path, "/System/MinCellVoltage") == 0)
		*out = fake.min_cell[m->id];
	else if (strcmp(path, "/Io/AllowToCharge") == 0)
		*out = fake.allow[m->id];
	else if (strcmp(path, "/Dc/0/Voltage") == 0)
		*out = fake.voltage[m->id];
	else
		return false;
	return true;
}

static double fake_now(const BataggHost *host)
{
	return fake.now;
}

static void fake_call_again(const BataggHost *host, double seconds)
{
	if (isnan(fake.call_again) || seconds < fake.call_again)
		fake.call_again = seconds;
}

static void *fake_member_state(const BataggHost *host, const BataggMember *m)
{
	if (!m || m->id >= N_IDS || m->id == UNKNOWN)
		return NULL;
	if (!fake.slot[m->id])
		fake.slot[m->id] =
		        calloc(1, strategy(BATAGG_KIND_LIMITER, "cell_voltage")->member_state_size);
	return fake.slot[m->id];
}

static const BataggHost host = {
        .struct_size = sizeof(BataggHost),
        .log = fake_log,
        .value = fake_value,
        .now = fake_now,
        .call_again = fake_call_again,
        .member_state = fake_member_state,
};

static int reset_fake(void **state)
{
	for (int i = 0; i < N_IDS; i++)
		free(fake.slot[i]);
	memset(&fake, 0, sizeof(fake));
	fake.now = 1000;
	fake.call_again = NAN;
	return 0;
}

static double take_call_again(void)
{
	double x = fake.call_again;

	fake.call_again = NAN;
	return x;
}

/* ---- helpers ------------------------------------------------------------- */

static const BataggLimiter *limiter(void)
{
	return (const BataggLimiter *)strategy(BATAGG_KIND_LIMITER, "cell_voltage");
}

static const BataggMember *rack(BataggMemberId id)
{
	static BataggMember members[N_IDS];
	static char labels[N_IDS][16];

	snprintf(labels[id], sizeof(labels[id]), "Rack %c", 'A' + (int)id - 1);
	members[id] = (BataggMember){id, "com.victronenergy.battery.test", labels[id], labels[id]};
	return &members[id];
}

#define OPT_BOOL(k, b) ((BataggOption){k, BATAGG_OPTION_BOOL, (b), (b) ? "true" : "false"})

static void *make(const BataggOption *opts, size_t n)
{
	BataggError err = {.option = -1};
	void *st = limiter()->head.create(&host, opts, n, &err);

	if (!st)
		fail_msg("refused: option %d: %s", err.option, err.message);
	return st;
}

static void cells(BataggMemberId id, double max, double min)
{
	fake.max_cell[id] = isnan(max) ? VNONE : VNUM(max);
	fake.min_cell[id] = isnan(min) ? VNONE : VNUM(min);
}

/* Own limits: CCL 100 A, DCL 200 A, CVL 56.8 V. */
static const BataggLimitInput own = {
        .ccl = {100, true}, .dcl = {200, true}, .cvl = {56.8, true}, .capacity = {280, true}};

static BataggCaps caps_of(void *st, BataggMemberId id, const BataggLimitInput *in)
{
	BataggCaps c;

	memset(&c, 0, sizeof(c));
	limiter()->caps(st, rack(id), in ? in : &own, &c);
	return c;
}

static BataggCaps bank_of(void *st)
{
	BataggCaps c;
	BataggLimitInput in = {.ccl = {300, true}, .dcl = {400, true}, .cvl = {56.8, true}};

	memset(&c, 0, sizeof(c));
	limiter()->bank_caps(st, &in, &c);
	return c;
}

/* ---- tables -------------------------------------------------------------- */

/* The default LFP tables, on a member the host keeps no state for (no
 * hysteresis, no rise: the table alone). */
static void test_default_tables(void **state)
{
	static const struct {
		double cell;
		BataggNum ccl;
	} charge[] = {
	        {3.30, NONE},   {3.45, NONE},   {3.50, NUM(55)}, {3.55, NUM(10)}, {3.575, NUM(5.0)},
	        {3.60, NUM(0)}, {3.90, NUM(0)}, {3.47, NUM(82)}, {NAN, NONE},
	};
	static const struct {
		double cell;
		BataggNum dcl;
	} discharge[] = {
	        {3.30, NONE},   {3.05, NONE},   {2.975, NUM(100)},
	        {2.90, NUM(0)}, {2.50, NUM(0)}, {NAN, NONE},
	};
	void *st = make(NULL, 0);

	for (size_t i = 0; i < sizeof(charge) / sizeof(charge[0]); i++) {
		cells(UNKNOWN, charge[i].cell, 3.2);
		print_message("# highest cell %g\n", charge[i].cell);
		expect_num("CCL cap", caps_of(st, UNKNOWN, NULL).ccl, charge[i].ccl);
		expect_num("DCL cap", caps_of(st, UNKNOWN, NULL).dcl, NONE);
	}
	for (size_t i = 0; i < sizeof(discharge) / sizeof(discharge[0]); i++) {
		cells(UNKNOWN, 3.3, discharge[i].cell);
		print_message("# lowest cell %g\n", discharge[i].cell);
		expect_num("DCL cap", caps_of(st, UNKNOWN, NULL).dcl, discharge[i].dcl);
		expect_num("CCL cap", caps_of(st, UNKNOWN, NULL).ccl, NONE);
	}
	/* A fraction of no limit is no cap; 0 is 0 of anything. */
	{
		BataggLimitInput none = own;

		none.ccl = NONE;
		cells(UNKNOWN, 3.50, 3.3);
		expect_num("CCL cap without own CCL", caps_of(st, UNKNOWN, &none).ccl, NONE);
		cells(UNKNOWN, 3.60, 3.3);
		expect_num("CCL cap without own CCL", caps_of(st, UNKNOWN, &none).ccl, NUM(0));
	}
	limiter()->head.destroy(st);
}

/* A table of one's own (NMC), in the order written. */
static void test_own_tables(void **state)
{
	BataggOption opts[] = {
	        OPT_NUMBER("chargeTable/4.10", 1),   OPT_NUMBER("chargeTable/4.15", 0.1),
	        OPT_NUMBER("chargeTable/4.20", 0),   OPT_NUMBER("dischargeTable/3.0", 0),
	        OPT_NUMBER("dischargeTable/3.2", 1), OPT_NUMBER("cellMax", 4.20),
	};
	void *st = make(opts, sizeof(opts) / sizeof(opts[0]));

	cells(UNKNOWN, 4.125, 3.1);
	expect_num("CCL cap", caps_of(st, UNKNOWN, NULL).ccl, NUM(55));
	expect_num("DCL cap", caps_of(st, UNKNOWN, NULL).dcl, NUM(100));
	cells(UNKNOWN, 3.60, 3.5);
	expect_num("CCL cap", caps_of(st, UNKNOWN, NULL).ccl, NONE);
	expect_num("DCL cap", caps_of(st, UNKNOWN, NULL).dcl, NONE);
	limiter()->head.destroy(st);
}

/* ---- hysteresis and rise ------------------------------------------------- */

/* The cap falls at once; it rises again only once the cell has come back
 * by more than the hysteresis, and then at riseRate. */
static void test_hysteresis(void **state)
{
	void *st = make(NULL, 0);

	cells(1, 3.50, 3.3);
	expect_num("at 3.50 V", caps_of(st, 1, NULL).ccl, NUM(55));
	/* Wobbling back by up to 0.02 V changes nothing, even after a while;
	 * the text says the cap is held. */
	for (int k = 0; k < 6; k++) {
		fake.now += 10;
		cells(1, k % 2 ? 3.49 : 3.481, 3.3);
		expect_num("within the hysteresis", caps_of(st, 1, NULL).ccl, NUM(55));
		assert_string_equal(caps_of(st, 1, NULL).why,
		                    k % 2 ? "3.49 V, held" : "3.481 V, held");
	}
	assert_true(isnan(take_call_again()));
	/* Higher: lower at once. */
	cells(1, 3.52, 3.3);
	expect_num("at 3.52 V", caps_of(st, 1, NULL).ccl, NUM(37));
	/* Back by 0.03 V: the cap is looked up at 3.49 + 0.02 = 3.51 V (46 A),
	 * and rises there at 5 A/s. */
	cells(1, 3.49, 3.3);
	expect_num("coming back, at once", caps_of(st, 1, NULL).ccl, NUM(37));
	assert_true(take_call_again() <= 1.0);
	fake.now += 1;
	expect_num("coming back, 1 s", caps_of(st, 1, NULL).ccl, NUM(42));
	fake.now += 0.5;
	expect_num("coming back, 1.5 s", caps_of(st, 1, NULL).ccl, NUM(44.5));
	/* Called again for each limit at the same time: the same cap. */
	expect_num("the same time", caps_of(st, 1, NULL).ccl, NUM(44.5));
	fake.now += 10;
	take_call_again();
	expect_num("there", caps_of(st, 1, NULL).ccl, NUM(46));
	assert_true(isnan(take_call_again()));
	/* And on the DCL side, the other way. */
	cells(1, 3.40, 2.95);
	expect_num("DCL at 2.95 V", caps_of(st, 1, NULL).dcl, NUM(200.0 / 3));
	cells(1, 3.40, 2.965);
	expect_num("DCL within the hysteresis", caps_of(st, 1, NULL).dcl, NUM(200.0 / 3));
	limiter()->head.destroy(st);
}

/* From 0 A to the member's own limit at riseRate, asking to be called
 * again until through, and no cap once there. */
static void test_rate_of_rise(void **state)
{
	BataggOption opts[] = {OPT_NUMBER("riseRate", 10)};
	void *st = make(opts, 1);
	double t0;

	cells(1, 3.65, 3.3);
	expect_num("full", caps_of(st, 1, NULL).ccl, NUM(0));
	assert_true(isnan(take_call_again()));
	cells(1, 3.40, 3.3);
	t0 = fake.now;
	expect_num("just back", caps_of(st, 1, NULL).ccl, NUM(0));
	for (int k = 1; k < 10; k++) {
		double again = take_call_again();

		assert_true(again > 0 && again <= 1.0);
		fake.now = t0 + k;
		expect_num("rising", caps_of(st, 1, NULL).ccl, NUM(10.0 * k));
		assert_string_equal(caps_of(st, 1, NULL).why, "3.40 V, rising");
	}
	fake.now = t0 + 10;
	expect_num("through", caps_of(st, 1, NULL).ccl, NONE);
	take_call_again();
	fake.now += 5;
	expect_num("through", caps_of(st, 1, NULL).ccl, NONE);
	assert_true(isnan(take_call_again()));
	/* A cell voltage that vanishes lets the cap rise away too. */
	cells(1, 3.60, 3.3);
	expect_num("full again", caps_of(st, 1, NULL).ccl, NUM(0));
	cells(1, NAN, NAN);
	fake.now += 2;
	expect_num("no cell voltage", caps_of(st, 1, NULL).ccl, NUM(0));
	fake.now += 2;
	expect_num("no cell voltage, 2 s", caps_of(st, 1, NULL).ccl, NUM(20));
	limiter()->head.destroy(st);
}

/* A rise counts from when it is first seen, not from when the cap was
 * last computed: a cap held for a minute does not jump when its cell comes
 * back. */
static void test_rise_starts_when_seen(void **state)
{
	void *st = make(NULL, 0);

	cells(1, 3.55, 3.3);
	expect_num("10 %", caps_of(st, 1, NULL).ccl, NUM(10));
	fake.now += 60;
	cells(1, 3.40, 3.3);
	expect_num("just back", caps_of(st, 1, NULL).ccl, NUM(10));
	fake.now += 1;
	expect_num("1 s later", caps_of(st, 1, NULL).ccl, NUM(15));
	limiter()->head.destroy(st);
}

/* Whatever the cells do, no cap is above the member's own limit or below
 * 0, and every cap is finite. */
static void test_never_above_own(void **state)
{
	void *st = make(NULL, 0);
	unsigned seed = 11;

	for (int k = 0; k < 5000; k++) {
		BataggLimitInput in = own;
		BataggCaps c;

		seed = seed * 1103515245u + 12345u;
		cells(1, 3.3 + (seed >> 16) % 400 / 1000.0, 2.8 + (seed >> 8) % 300 / 1000.0);
		in.ccl = NUM((double)((seed >> 4) % 150));
		in.dcl = NUM((double)((seed >> 6) % 250));
		fake.now += (seed % 7) * 0.3;
		c = caps_of(st, 1, &in);
		if (c.ccl.valid)
			assert_true(isfinite(c.ccl.value) && c.ccl.value >= 0 &&
			            c.ccl.value <= in.ccl.value + 1e-9);
		if (c.dcl.valid)
			assert_true(isfinite(c.dcl.value) && c.dcl.value >= 0 &&
			            c.dcl.value <= in.dcl.value + 1e-9);
		if (c.cvl.valid)
			assert_true(c.cvl.value < in.cvl.value && c.cvl.value > 0);
	}
	limiter()->head.destroy(st);
}

/* ---- CVL ----------------------------------------------------------------- */

static void test_cvl_cut(void **state)
{
	BataggOption opts[] = {OPT_NUMBER("hysteresis", 0.02), OPT_NUMBER("cvlMargin", 0.5)};
	void *st = make(opts, 2);
	BataggCaps c;

	fake.voltage[1] = VNUM(55.0);
	cells(1, 3.59, 3.3);
	expect_num("below cellMax", caps_of(st, 1, NULL).cvl, NONE);
	cells(1, 3.65, 3.3);
	c = caps_of(st, 1, NULL);
	expect_num("a runner cell", c.cvl, NUM(56.75));
	assert_string_equal(c.why, "3.65 V");
	/* Never below the member's voltage less the margin. */
	fake.voltage[1] = VNUM(57.28);
	expect_num("bounded by the voltage", caps_of(st, 1, NULL).cvl, NUM(56.78));
	fake.voltage[1] = VNUM(57.0);
	expect_num("the voltage less the margin is lower", caps_of(st, 1, NULL).cvl, NUM(56.75));
	fake.voltage[1] = VNUM(57.5);
	expect_num("never above its own", caps_of(st, 1, NULL).cvl, NONE);
	/* Without a voltage, the cut alone. */
	fake.voltage[1] = VNONE;
	expect_num("no voltage", caps_of(st, 1, NULL).cvl, NUM(56.75));
	/* With hysteresis: the cut ends below 3.58 V. */
	cells(1, 3.60, 3.3);
	expect_num("back to 3.60 V", caps_of(st, 1, NULL).cvl, NUM(56.78));
	cells(1, 3.59, 3.3);
	expect_num("3.59 V", caps_of(st, 1, NULL).cvl, NUM(56.79));
	cells(1, 3.579, 3.3);
	expect_num("3.579 V", caps_of(st, 1, NULL).cvl, NONE);
	/* No own CVL, nothing to cut. */
	{
		BataggLimitInput in = own;

		in.cvl = NONE;
		cells(1, 3.70, 3.3);
		expect_num("no own CVL", caps_of(st, 1, &in).cvl, NONE);
	}
	limiter()->head.destroy(st);
}

/* ---- texts --------------------------------------------------------------- */

static void test_why(void **state)
{
	void *st = make(NULL, 0);

	cells(UNKNOWN, 3.58, 3.3);
	assert_string_equal(caps_of(st, UNKNOWN, NULL).why, "3.58 V");
	cells(UNKNOWN, 3.583, 3.3);
	assert_string_equal(caps_of(st, UNKNOWN, NULL).why, "3.583 V");
	cells(UNKNOWN, 3.5, 3.3);
	assert_string_equal(caps_of(st, UNKNOWN, NULL).why, "3.50 V");
	cells(UNKNOWN, 3.3, 2.95);
	assert_string_equal(caps_of(st, UNKNOWN, NULL).why, "2.95 V");
	/* Both cells cap: each limit's text names its own cell (the core
	 * says which limit it computes); an older host, which does not say,
	 * gets both. */
	cells(UNKNOWN, 3.58, 2.95);
	assert_string_equal(caps_of(st, UNKNOWN, NULL).why, "3.58 V");
	{
		BataggLimitInput in = own;

		in.limit = BATAGG_LIMIT_DCL;
		assert_string_equal(caps_of(st, UNKNOWN, &in).why, "2.95 V");
		in.limit = -1;
		assert_string_equal(caps_of(st, UNKNOWN, &in).why, "max 3.58 V, min 2.95 V");
	}
	cells(UNKNOWN, 3.3, 3.2);
	assert_string_equal(caps_of(st, UNKNOWN, NULL).why, "");
	limiter()->head.destroy(st);
}

/* ---- balance assist ------------------------------------------------------ */

static void test_balance_assist(void **state)
{
	BataggOption opts[] = {OPT_BOOL("balanceAssist", true), OPT_NUMBER("balanceHold", 60)};
	void *off = make(NULL, 0);
	void *st = make(opts, 2);
	BataggCaps c;

	for (BataggMemberId id = 1; id <= 2; id++) {
		limiter()->head.member_added(st, rack(id));
		limiter()->head.member_added(off, rack(id));
		fake.allow[id] = VNUM(1);
		cells(id, 3.40, 3.33);
	}
	expect_num("nobody refuses", bank_of(st).ccl, NONE);
	/* Rack B refuses with its cells 0.04 V apart: not balancing. */
	fake.allow[2] = VNUM(0);
	cells(2, 3.40, 3.36);
	expect_num("a small spread", bank_of(st).ccl, NONE);
	/* 0.08 V apart: the bank's CCL is 0, said once. */
	cells(2, 3.44, 3.36);
	expect_num("off by default", bank_of(off).ccl, NONE);
	c = bank_of(st);
	expect_num("balancing", c.ccl, NUM(0));
	expect_num("the DCL", c.dcl, NONE);
	assert_string_equal(c.why, "balancing Rack B");
	assert_int_equal(fake.log_lines, 1);
	assert_non_null(strstr(fake.log, "Rack B refuses charge with its cells 0.080 V apart"));
	assert_true(fabs(take_call_again() - 60) < 1e-9);
	fake.now += 30;
	expect_num("still", bank_of(st).ccl, NUM(0));
	assert_true(fabs(take_call_again() - 30) < 1e-9);
	assert_int_equal(fake.log_lines, 1);
	/* The hold ends, said once; the same refusal does not start another. */
	fake.now += 30;
	expect_num("over", bank_of(st).ccl, NONE);
	expect_num("over", bank_of(st).ccl, NONE);
	assert_int_equal(fake.log_lines, 2);
	assert_non_null(strstr(fake.log, "balance assist for Rack B ends"));
	/* Once it has allowed charge again, a new refusal holds again. */
	fake.allow[2] = VNUM(1);
	expect_num("allows", bank_of(st).ccl, NONE);
	fake.allow[2] = VNUM(0);
	expect_num("refuses again", bank_of(st).ccl, NUM(0));
	assert_int_equal(fake.log_lines, 3);
	/* The member that holds leaves: the hold ends. */
	limiter()->head.member_removed(st, rack(2));
	expect_num("left", bank_of(st).ccl, NONE);
	assert_int_equal(fake.log_lines, 4);
	assert_non_null(strstr(fake.log, "(it left)"));
	limiter()->head.destroy(off);
	limiter()->head.destroy(st);
}

/* ---- options ------------------------------------------------------------- */

/* Every key the help documents is accepted (batagg refuses a plugin whose
 * help documents an option its create() refuses as unknown). */
static void test_help_keys_are_known(void **state)
{
	for (const BataggOptionHelp *h = limiter()->head.options; h->key; h++) {
		char key[64];
		BataggOption o;
		BataggError err = {.option = -1};
		void *st;

		snprintf(key, sizeof(key), "%s", h->key);
		if (strchr(key, '<'))
			continue;
		if (strcmp(h->type, "boolean") == 0)
			o = OPT_BOOL(key, true);
		else
			o = (BataggOption){key, BATAGG_OPTION_NUMBER,
			                   strcmp(key, "cellMax") == 0 ? 3.65 : 0.5, "0.5"};
		st = limiter()->head.create(&host, &o, 1, &err);
		if (!st)
			fail_msg("%s: %s", key, err.message);
		limiter()->head.destroy(st);
	}
}

static void test_bad_options(void **state)
{
	static const struct {
		BataggOption opts[4];
		size_t n;
		int option;
		const char *why;
	} cases[] = {
	        {{OPT_NUMBER("chargeTable/3.55", 1), OPT_NUMBER("chargeTable/3.45", 0.5)},
	         2,
	         1,
	         "volts must increase"},
	        {{OPT_NUMBER("chargeTable/3.45", 1), OPT_NUMBER("chargeTable/3.55", 0.1),
	          OPT_NUMBER("chargeTable/3.60", 0.2)},
	         3,
	         2,
	         "fractions must not increase"},
	        {{OPT_NUMBER("dischargeTable/2.9", 0.5), OPT_NUMBER("dischargeTable/3.0", 0.2),
	          OPT_NUMBER("dischargeTable/3.1", 1)},
	         3,
	         1,
	         "fractions must not decrease"},
	        {{OPT_NUMBER("chargeTable/3.45", 1), OPT_NUMBER("chargeTable/3.55", 1.5)},
	         2,
	         1,
	         "0 to 1"},
	        {{OPT_NUMBER("chargeTable/3.45", 1), OPT_NUMBER("chargeTable/3.55", -0.1)},
	         2,
	         1,
	         "0 to 1"},
	        {{OPT_NUMBER("chargeTable/3.45", 1), OPT_TEXT("chargeTable/3.55", "half")},
	         2,
	         1,
	         "0 to 1"},
	        {{OPT_NUMBER("chargeTable/55.2", 1), OPT_NUMBER("chargeTable/56.8", 0)},
	         2,
	         0,
	         "55.2 V is no cell voltage"},
	        {{OPT_NUMBER("chargeTable/abc", 1)}, 1, 0, "'abc' is no cell voltage"},
	        {{OPT_NUMBER("chargeTable/3.45", 1)}, 1, 0, "at least 2 points"},
	        {{OPT_NUMBER("chargeTable/3.45", 0.5), OPT_NUMBER("chargeTable/3.55", 0)},
	         2,
	         0,
	         "must start at 1"},
	        {{OPT_NUMBER("dischargeTable/2.9", 0), OPT_NUMBER("dischargeTable/3.0", 0.5)},
	         2,
	         0,
	         "must end at 1"},
	        {{OPT_NUMBER("chargeTable", 1)}, 1, 0, "expected an object"},
	        {{OPT_NUMBER("cellMax", 58.4)}, 1, 0, "58.4 V is no cell voltage"},
	        {{OPT_NUMBER("cellMax", 1.2)}, 1, 0, "1.2 V is no cell voltage"},
	        {{OPT_TEXT("cellMax", "3.6")}, 1, 0, "expected a number"},
	        {{OPT_NUMBER("cellMax", 3.40)}, 1, 0, "thresholds in the wrong order: cellMax"},
	        {{OPT_NUMBER("cellMax", 3.5), OPT_NUMBER("chargeTable/3.55", 1),
	          OPT_NUMBER("chargeTable/3.65", 0)},
	         3,
	         1,
	         "thresholds in the wrong order: cellMax"},
	        {{OPT_NUMBER("dischargeTable/3.0", 0), OPT_NUMBER("dischargeTable/3.5", 1)},
	         2,
	         0,
	         "thresholds in the wrong order: dischargeTable"},
	        {{OPT_NUMBER("hysteresis", -0.01)}, 1, 0, "must be at least 0 V per cell"},
	        {{OPT_NUMBER("hysteresis", 2)}, 1, 0, "must be at most 0.5 V per cell"},
	        {{OPT_NUMBER("riseRate", -5)}, 1, 0, "must be above 0 A/s"},
	        {{OPT_NUMBER("riseRate", 0)}, 1, 0, "must be above 0 A/s"},
	        {{OPT_NUMBER("cvlMargin", -1)}, 1, 0, "must be at least 0 V"},
	        {{OPT_NUMBER("balanceSpread", 0)}, 1, 0, "must be above 0 V per cell"},
	        {{OPT_NUMBER("balanceSpread", 3)}, 1, 0, "must be at most 1 V per cell"},
	        {{OPT_NUMBER("balanceHold", -1)}, 1, 0, "must be above 0 s"},
	        {{OPT_NUMBER("balanceHold", 1e6)}, 1, 0, "must be at most 86400 s"},
	        {{OPT_NUMBER("balanceAssist", 1)}, 1, 0, "expected true or false"},
	        {{OPT_NUMBER("hysteresis", 0.01), OPT_NUMBER("cellmax", 3.6)},
	         2,
	         1,
	         "unknown option 'cellmax' (known: chargeTable"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		BataggError err = {.option = -1};

		if (limiter()->head.create(&host, cases[i].opts, cases[i].n, &err))
			fail_msg("case %zu was accepted", i);
		print_message("# %zu: option %d: %s\n", i, err.option, err.message);
		assert_int_equal(err.option, cases[i].option);
		if (!strstr(err.message, cases[i].why))
			fail_msg("'%s' does not say '%s'", err.message, cases[i].why);
	}
}

/* The head as the daemon reads it. */
static void test_head(void **state)
{
	const BataggLimiter *l = limiter();

	assert_string_equal(l->head.reads[0], "/System/MaxCellVoltage");
	assert_string_equal(l->head.reads[1], "/System/MinCellVoltage");
	assert_null(l->head.reads[2]);
	assert_true(l->head.member_state_size > 0);
	assert_null(l->head.save_member);
	assert_null(l->head.reset);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_default_tables, reset_fake),
	        cmocka_unit_test_setup(test_own_tables, reset_fake),
	        cmocka_unit_test_setup(test_hysteresis, reset_fake),
	        cmocka_unit_test_setup(test_rate_of_rise, reset_fake),
	        cmocka_unit_test_setup(test_rise_starts_when_seen, reset_fake),
	        cmocka_unit_test_setup(test_never_above_own, reset_fake),
	        cmocka_unit_test_setup(test_cvl_cut, reset_fake),
	        cmocka_unit_test_setup(test_why, reset_fake),
	        cmocka_unit_test_setup(test_balance_assist, reset_fake),
	        cmocka_unit_test_setup(test_help_keys_are_known, reset_fake),
	        cmocka_unit_test_setup(test_bad_options, reset_fake),
	        cmocka_unit_test_setup(test_head, reset_fake),
	};

	return cmocka_run_group_tests(tests, NULL, reset_fake);
}
