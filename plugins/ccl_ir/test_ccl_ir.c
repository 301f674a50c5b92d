/* SPDX-License-Identifier: MIT */
/* The internal-resistance estimator and the "ir" ratio (SPEC.md 5.4). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_test.h"

static const BataggRatioMethod *ir(void)
{
	return ratio_method("ir");
}

/* The instances alive, each with its host: members' slots are the host's. */
static struct {
	void *st;
	FakeHost *host;
} alive[4];

static void *make(const char *max_error, const char *min_change)
{
	BataggOption opts[] = {
	        {"maxPercentageError", BATAGG_OPTION_NUMBER, strtod(max_error, NULL), max_error},
	        {"minVoltageChange", BATAGG_OPTION_NUMBER, strtod(min_change, NULL), min_change},
	};
	BataggError err = {.option = -1};
	FakeHost *host = fake_host_new(&ir()->head);
	void *st = ir()->head.create(&host->host, opts, 2, &err);
	size_t k = 0;

	assert_non_null(st);
	while (k < sizeof(alive) / sizeof(alive[0]) && alive[k].st)
		k++;
	assert_true(k < sizeof(alive) / sizeof(alive[0]));
	if (k >= sizeof(alive) / sizeof(alive[0]))
		return NULL;
	alive[k].st = st;
	alive[k].host = host;
	return st;
}

static size_t alive_index(void *st)
{
	for (size_t k = 0; k < sizeof(alive) / sizeof(alive[0]); k++) {
		if (alive[k].st == st)
			return k;
	}
	fail_msg("no such instance");
	return 0;
}

/* Member id leaves: the daemon tells the instance, then frees its slot. */
static void leave(void *st, BataggMemberId id)
{
	if (ir()->head.member_removed)
		ir()->head.member_removed(st, member(id));
	fake_host_left(alive[alive_index(st)].host, id);
}

/* The instance goes, then its host and the members' slots. */
static void drop(void *st)
{
	size_t k = alive_index(st);

	ir()->head.destroy(st);
	fake_host_free(alive[k].host);
	alive[k].st = NULL;
	alive[k].host = NULL;
}

/* Deterministic noise in [-1, 1]. */
static double noise(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return ((*seed >> 8) / (double)(1u << 24)) * 2 - 1;
}

/* Feeds n samples of V = emf + r * I (+ noise), I sweeping -50..50 A;
 * returns the OR of the returned bits. */
static int feed(void *st, BataggMemberId id, double emf, double r, double amplitude, int n,
                unsigned seed)
{
	int bits = 0;

	for (int k = 0; k < n; k++) {
		double i = 50 * sin(k * 0.7);
		double v = emf + r * i + amplitude * noise(&seed);

		bits |= ir()->head.sample(st, member(id), v, i);
	}
	return bits;
}

static BataggMemberDiag diag(void *st, BataggMemberId id)
{
	BataggMemberDiag d;

	assert_int_equal(ir()->diagnose(st, member(id), &d), 0);
	return d;
}

static void test_recovers_a_known_resistance(void **state)
{
	static const struct {
		double r, noise;
	} cases[] = {{0.010, 0}, {0.010, 0.002}, {0.004, 0.001}, {0.025, 0.003}};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		/* Every sample kept, so the window is known: the last ten. */
		void *st = make("0.1", "0");
		BataggMemberDiag d;
		int bits;

		ir()->head.member_added(st, member(1));
		bits = feed(st, 1, 52.0, cases[c].r, cases[c].noise, 40, 7);
		d = diag(st, 1);
		print_message("# R %g noise %g: fitted %g\n", cases[c].r, cases[c].noise,
		              d.resistance.value);
		assert_true(bits & BATAGG_ESTIMATE_CHANGED);
		assert_true(d.resistance.valid);
		assert_true(fabs(d.resistance.value - cases[c].r) < 0.1 * cases[c].r);
		/* SPEC 5.4: EMF = mean_V + mean_I * R over the window (the last
		 * ten samples: k = 30..39). */
		{
			double mv = 0, mi = 0;
			unsigned seed = 7;

			for (int k = 0; k < 40; k++) {
				double i = 50 * sin(k * 0.7);
				double v = 52.0 + cases[c].r * i + cases[c].noise * noise(&seed);

				if (k >= 30) {
					mv += v / 10;
					mi += i / 10;
				}
			}
			assert_true(fabs(d.emf.value - (mv + mi * d.resistance.value)) < 1e-9);
		}
		drop(st);
	}
}

static void test_rejects_a_bad_fit(void **state)
{
	void *st = make("0.1", "0.02");

	ir()->head.member_added(st, member(1));
	/* Noise far larger than r * I: the error is no small part of R. */
	feed(st, 1, 52.0, 0.001, 0.5, 60, 3);
	assert_false(diag(st, 1).resistance.valid);
	drop(st);
}

static void test_needs_eleven_distinct_samples(void **state)
{
	void *st = make("0.1", "0.02");

	ir()->head.member_added(st, member(1));
	/* Ten kept samples: no fit yet. */
	feed(st, 1, 52.0, 0.01, 0, 10, 1);
	assert_false(diag(st, 1).resistance.valid);
	/* Voltage steps below minVoltageChange are not kept. */
	for (int k = 0; k < 20; k++)
		ir()->head.sample(st, member(1), 52.0 + 0.01 * sin(9 * 0.7) + 0.001 * k, 0);
	assert_false(diag(st, 1).resistance.valid);
	/* Nor are zero or negative voltages. */
	assert_int_equal(ir()->head.sample(st, member(1), 0, 10), 0);
	feed(st, 1, 52.0, 0.01, 0, 3, 1);
	assert_true(diag(st, 1).resistance.valid);
	drop(st);
}

static void test_over_current_correction(void **state)
{
	void *st = make("0.1", "0.02");
	BataggMemberDiag d;
	double r;
	int bits;

	ir()->head.member_added(st, member(1));
	/* No estimate yet: nothing to correct. */
	assert_int_equal(ir()->current(st, member(1), 150, NUM(100), NUM(100)), 0);
	feed(st, 1, 52.0, 0.01, 0, 30, 1);
	r = diag(st, 1).resistance.value;
	/* 150 A against a 100 A CCL: the resistance shrinks by 100/150. */
	bits = ir()->current(st, member(1), 150, NUM(100), NUM(300));
	assert_true(bits & BATAGG_RECOMPUTE_CCL);
	assert_false(bits & BATAGG_RECOMPUTE_DCL);
	d = diag(st, 1);
	assert_true(fabs(d.correction.value - 100.0 / 150) < 1e-12);
	assert_true(fabs(d.resistance.value - r * 100 / 150) < 1e-12);
	/* Discharging within the DCL: nothing. */
	assert_int_equal(ir()->current(st, member(1), -200, NUM(100), NUM(300)), 0);
	bits = ir()->current(st, member(1), -600, NUM(100), NUM(300));
	assert_true(bits & BATAGG_RECOMPUTE_DCL);
	assert_true(fabs(diag(st, 1).correction.value - (100.0 / 150) * 0.5) < 1e-12);
	/* A new accepted fit brings the factor back to 1. */
	feed(st, 1, 52.1, 0.012, 0, 12, 9);
	assert_true(fabs(diag(st, 1).correction.value - 1) < 1e-12);
	/* So does a reconnect. */
	ir()->current(st, member(1), 150, NUM(100), NUM(300));
	ir()->head.member_added(st, member(1));
	assert_true(fabs(diag(st, 1).correction.value - 1) < 1e-12);
	drop(st);
}

static void test_ratios_follow_resistance(void **state)
{
	void *st = make("0.1", "0.02");
	BataggMember members[] = {*member(1), *member(2), *member(3)};
	BataggNum caps[3] = {NONE, NONE, NONE};
	BataggRatioInput in = {.n = 2, .members = members, .capacity = caps};
	BataggNum out[3];
	double r1, r2;

	for (BataggMemberId id = 1; id <= 3; id++)
		ir()->head.member_added(st, member(id));
	feed(st, 1, 52.0, 0.01, 0, 20, 1);
	feed(st, 2, 52.0, 0.02, 0, 20, 2);
	r1 = diag(st, 1).resistance.value;
	r2 = diag(st, 2).resistance.value;
	ir()->ratios(st, &in, out);
	/* r_i = R_i / R_total, 1/R_total = sum of 1/R_j. */
	expect_num("r1", out[0], NUM(r1 * (1 / r1 + 1 / r2)));
	expect_num("r2", out[1], NUM(r2 * (1 / r1 + 1 / r2)));
	/* One connected member without an estimate: the total is unknown. */
	in.n = 3;
	ir()->ratios(st, &in, out);
	for (int i = 0; i < 3; i++)
		expect_num("unknown", out[i], NONE);
	leave(st, 3);
	assert_int_equal(ir()->diagnose(st, member(3), &(BataggMemberDiag){0}), -1);
	drop(st);
}

/* Case 5 of the safety issue: the factor stays in [0.1, 1] however often a
 * member exceeds its limit, and a NaN current or a 0 or negative limit
 * leaves it alone. */
static void test_correction_is_bounded(void **state)
{
	void *st = make("0.1", "0.02");
	BataggNum ratio[1];
	BataggRatioInput in = {.n = 1, .members = member(1), .capacity = &(BataggNum){0}};
	double c;

	ir()->head.member_added(st, member(1));
	feed(st, 1, 52.0, 0.01, 0, 30, 1);
	for (int k = 0; k < 2000; k++)
		ir()->current(st, member(1), 150, NUM(100), NUM(100));
	c = diag(st, 1).correction.value;
	assert_true(fabs(c - 0.1) < 1e-12);
	assert_int_equal(ir()->current(st, member(1), 150, NUM(100), NUM(100)), 0);
	assert_int_equal(ir()->current(st, member(1), NAN, NUM(100), NUM(100)), 0);
	assert_int_equal(ir()->current(st, member(1), 150, NUM(-5), NUM(100)), 0);
	assert_int_equal(ir()->current(st, member(1), 150, NUM(NAN), NUM(100)), 0);
	assert_int_equal(ir()->current(st, member(1), INFINITY, NUM(100), NUM(100)), 0);
	c = diag(st, 1).correction.value;
	assert_true(isfinite(c) && c >= 0.1 && c <= 1);
	assert_true(isfinite(diag(st, 1).resistance.value) && diag(st, 1).resistance.value > 0);
	ir()->ratios(st, &in, ratio);
	assert_true(ratio[0].valid && isfinite(ratio[0].value));
	drop(st);
}

/* Case 5: a fit outside what batteries are is not accepted: an absurd
 * resistance, or one from currents that hardly change. */
static void test_implausible_fits_are_refused(void **state)
{
	static const struct {
		double r, span;
		bool accepted;
	} cases[] = {
	        {0.010, 50, true},   /* a battery */
	        {0.5, 2, true},      /* a poor one, still plausible */
	        {5e4, 1e-6, false},  /* 1e-6 A change per 50 mV */
	        {3.0, 1, false},     /* above 1 ohm */
	        {2e-6, 100, false},  /* below 10 micro-ohm */
	        {0.010, 0.2, false}, /* the current spans 0.2 A only */
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		void *st = make("0.1", "0");

		print_message("# R %g ohm, current span %g A\n", cases[c].r, cases[c].span);
		ir()->head.member_added(st, member(1));
		for (int k = 0; k < 12; k++) {
			double i = cases[c].span / 2 * sin(k * 0.7);

			ir()->head.sample(st, member(1), 52.0 + cases[c].r * i, i);
		}
		assert_int_equal(diag(st, 1).resistance.valid, cases[c].accepted);
		drop(st);
	}
}

/* NaN or infinite samples are not kept: ten good samples, three bad ones,
 * one more good one, and the fit is the good ones' (were the bad ones
 * kept, they would be in the window). */
static void test_non_finite_samples_are_ignored(void **state)
{
	void *st = make("0.1", "0");

	ir()->head.member_added(st, member(1));
	for (int k = 0; k < 11; k++) {
		double i = 50 * sin(k * 0.7);

		if (k == 10) {
			assert_int_equal(ir()->head.sample(st, member(1), NAN, 10), 0);
			assert_int_equal(ir()->head.sample(st, member(1), INFINITY, 10), 0);
			assert_int_equal(ir()->head.sample(st, member(1), 52.0, NAN), 0);
		}
		ir()->head.sample(st, member(1), 52.0 + 0.01 * i, i);
	}
	assert_true(diag(st, 1).resistance.valid);
	assert_true(fabs(diag(st, 1).resistance.value - 0.01) < 1e-9);
	drop(st);
}

/* ---- state that survives a restart ---- */

static int save(void *st, BataggMemberId id, char *buf, size_t len)
{
	return ir()->save_member(st, member(id), buf, len);
}

/* An instance as the daemon's next start makes it: the member joins, then
 * gets its saved text. */
static void *restarted(const char *text, int *bits)
{
	void *st = make("0.1", "0.02");

	ir()->head.member_added(st, member(1));
	*bits = ir()->restore_member(st, member(1), text);
	return st;
}

static void test_saved_state_comes_back(void **state)
{
	void *st = make("0.1", "0.02");
	char text[BATAGG_MEMBER_STATE_MAX], again[BATAGG_MEMBER_STATE_MAX];
	BataggMemberDiag before, after;
	void *st2;
	int n, bits;

	ir()->head.member_added(st, member(1));
	/* Nothing learned yet: nothing to keep; an unknown member: -1. */
	assert_int_equal(save(st, 1, text, sizeof(text)), 0);
	assert_int_equal(save(st, 9, text, sizeof(text)), -1);
	feed(st, 1, 52.0, 0.01, 0.001, 25, 4);
	ir()->current(st, member(1), 150, NUM(100), NUM(300));
	before = diag(st, 1);
	n = save(st, 1, text, sizeof(text));
	print_message("# saved: %s\n", text);
	assert_true(n > 0 && (size_t)n == strlen(text));
	assert_non_null(strstr(text, "ir 1 r="));

	st2 = restarted(text, &bits);
	assert_true(bits & BATAGG_RECOMPUTE_CCL);
	assert_true(bits & BATAGG_RECOMPUTE_DCL);
	assert_true(bits & BATAGG_ESTIMATE_CHANGED);
	after = diag(st2, 1);
	/* Exactly: the numbers are written with 17 digits. */
	assert_true(after.resistance.value == before.resistance.value);
	assert_true(after.emf.value == before.emf.value);
	assert_true(after.correction.value == before.correction.value);
	assert_true(before.correction.value < 1);
	assert_int_equal(save(st2, 1, again, sizeof(again)), n);
	assert_string_equal(again, text);
	/* The window came back too: one more sample fits the same in both. */
	ir()->head.sample(st, member(1), 52.4, 35);
	ir()->head.sample(st2, member(1), 52.4, 35);
	assert_true(diag(st2, 1).resistance.value == diag(st, 1).resistance.value);
	assert_true(diag(st2, 1).emf.value == diag(st, 1).emf.value);
	drop(st);
	drop(st2);
}

static void test_saving_into_a_small_buffer(void **state)
{
	void *st = make("0.1", "0.02");
	char text[BATAGG_MEMBER_STATE_MAX], small[32];
	int n;

	ir()->head.member_added(st, member(1));
	feed(st, 1, 52.0, 0.01, 0, 20, 1);
	n = save(st, 1, text, sizeof(text));
	/* As snprintf: the length it needs, and a cut text. */
	assert_int_equal(save(st, 1, small, sizeof(small)), n);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(save(st, 1, NULL, 0), n);
	drop(st);
}

/* A text the instance cannot use is refused whole: the member learns
 * afresh.  Every cut of a good text is refused, or gives a sound state. */
static void test_damaged_state_is_refused(void **state)
{
	static const char *const bad[] = {
	        "",
	        "ir",
	        "ir 2 r=0.01 err=0 emf=52 correction=1 kept=0",
	        "ir 1 r=nan err=0 emf=52 correction=1 kept=0",
	        "ir 1 r=0.01 err=inf emf=52 correction=1 kept=0",
	        "ir 1 r=5 err=0 emf=52 correction=1 kept=0",
	        "ir 1 r=0.01 err=0.005 emf=52 correction=1 kept=0", /* err/R 0.5 > 0.1 */
	        "ir 1 r=0.01 err=0 emf=52 correction=7 kept=0",
	        "ir 1 r=0.01 err=0 emf=52 correction=0.01 kept=0",
	        "ir 1 r=0.01 err=0 emf=52 correction=1 kept=12",
	        "ir 1 r=0.01 err=0 emf=52 correction=1 kept=1.5 52/1",
	        "ir 1 r=0.01 err=0 emf=52 correction=1 kept=2 52/1",
	        "ir 1 r=0.01 err=0 emf=52 correction=1 kept=1 -52/1",
	        "ir 1 r=0.01 err=0 emf=52 correction=1 kept=1 52/1 53/2",
	        "ir 1 r=0.01 err=0 emf=52 correction=1 kept=0 trailing",
	        "{\"r\": 0.01}",
	};
	void *good = make("0.1", "0.02");
	char text[BATAGG_MEMBER_STATE_MAX];
	size_t n;
	int bits;

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		void *st = restarted(bad[k], &bits);

		if (bits != -1)
			fail_msg("accepted '%s'", bad[k]);
		assert_false(diag(st, 1).resistance.valid);
		drop(st);
	}
	/* The smallest text it takes. */
	{
		void *st = restarted("ir 1 r=0.01 err=0 emf=52 correction=1 kept=0", &bits);

		assert_true(bits > 0);
		assert_true(diag(st, 1).resistance.value == 0.01);
		drop(st);
	}
	/* Unknown member, or no text. */
	assert_int_equal(ir()->restore_member(good, member(3), "ir 1"), -1);
	ir()->head.member_added(good, member(1));
	assert_int_equal(ir()->restore_member(good, member(1), NULL), -1);
	feed(good, 1, 52.0, 0.01, 0, 20, 1);
	n = (size_t)save(good, 1, text, sizeof(text));
	for (size_t cut = 0; cut < n; cut++) {
		char *part = strndup(text, cut);
		void *st = restarted(part, &bits);
		BataggMemberDiag d = diag(st, 1);

		if (bits >= 0) {
			assert_true(d.resistance.valid && isfinite(d.resistance.value));
			assert_true(d.correction.value >= 0.1 && d.correction.value <= 1);
		} else {
			assert_false(d.resistance.valid);
		}
		/* Cut before the last sample starts, it lacks samples. */
		if (cut < (size_t)(strrchr(text, ' ') - text))
			assert_int_equal(bits, -1);
		drop(st);
		free(part);
	}
	drop(good);
}

static void test_reset_forgets(void **state)
{
	/* Every sample kept: the window is known. */
	void *st = make("0.1", "0");
	char text[BATAGG_MEMBER_STATE_MAX];

	for (BataggMemberId id = 1; id <= 2; id++) {
		ir()->head.member_added(st, member(id));
		feed(st, id, 52.0, 0.01 * id, 0, 20, id);
		ir()->current(st, member(id), 150, NUM(100), NUM(300));
	}
	ir()->reset(st, member(2));
	assert_true(diag(st, 1).resistance.valid);
	assert_false(diag(st, 2).resistance.valid);
	assert_true(diag(st, 2).correction.value == 1);
	assert_int_equal(save(st, 2, text, sizeof(text)), 0);
	ir()->reset(st, NULL);
	assert_false(diag(st, 1).resistance.valid);
	assert_true(diag(st, 1).correction.value == 1);
	assert_int_equal(save(st, 1, text, sizeof(text)), 0);
	/* Both learn again from scratch: ten samples are not a window yet. */
	feed(st, 1, 52.0, 0.01, 0, 10, 1);
	assert_false(diag(st, 1).resistance.valid);
	feed(st, 1, 52.0, 0.01, 0, 2, 5);
	assert_true(diag(st, 1).resistance.valid);
	drop(st);
}

/* Samples on an exact line are a perfect fit, whatever rounding makes of
 * its residual: this window once gave a residual a hair below 0, and the
 * fit was refused as NaN. */
static void test_an_exact_line_is_accepted(void **state)
{
	void *st = make("0.1", "0");
	BataggMemberDiag d;

	ir()->head.member_added(st, member(1));
	for (int k = 0; k < 10; k++)
		ir()->head.sample(st, member(1), 52 + 0.01 * 50 * sin(k * 0.7), 50 * sin(k * 0.7));
	ir()->head.sample(st, member(1), 52, 0);
	d = diag(st, 1);
	assert_true(d.resistance.valid);
	assert_true(fabs(d.resistance.value - 0.01) < 1e-12);
	drop(st);
}

/* A refused option is named by its index; the message says why. */
static void test_bad_options(void **state)
{
	static const struct {
		BataggOption opt;
		const char *why;
	} cases[] = {
	        {OPT_TEXT("maxPercentageError", "lots"), "expected a number"},
	        {OPT_NUMBER("maxPercentageError", 0), "must be > 0"},
	        {OPT_NUMBER("minVoltageChange", -0.5), "must be >= 0"},
	        {OPT_NUMBER("maxPercentageErr", 0.1), "unknown option 'maxPercentageErr'"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		BataggOption opts[] = {OPT_NUMBER("minVoltageChange", 0.01), cases[i].opt};
		BataggError err = {.option = -1};

		assert_null(ir()->head.create(&test_host, opts, 2, &err));
		assert_int_equal(err.option, 1);
		if (!strstr(err.message, cases[i].why))
			fail_msg("'%s' does not say '%s'", err.message, cases[i].why);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_recovers_a_known_resistance),
	        cmocka_unit_test(test_rejects_a_bad_fit),
	        cmocka_unit_test(test_needs_eleven_distinct_samples),
	        cmocka_unit_test(test_over_current_correction),
	        cmocka_unit_test(test_ratios_follow_resistance),
	        cmocka_unit_test(test_correction_is_bounded),
	        cmocka_unit_test(test_implausible_fits_are_refused),
	        cmocka_unit_test(test_non_finite_samples_are_ignored),
	        cmocka_unit_test(test_an_exact_line_is_accepted),
	        cmocka_unit_test(test_saved_state_comes_back),
	        cmocka_unit_test(test_saving_into_a_small_buffer),
	        cmocka_unit_test(test_damaged_state_is_refused),
	        cmocka_unit_test(test_reset_forgets),

	        cmocka_unit_test(test_bad_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
