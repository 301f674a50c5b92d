/* SPDX-License-Identifier: MIT */
/*
 * The safety invariant of the bank limits, property-tested: random banks of
 * 1-16 members sending anything (invalid, 0, negative, NaN, infinities, huge
 * and tiny numbers, text) for their limits, Allow flags and capacities, with
 * random internal-resistance histories, ratio methods, CCL and CVL modes and
 * DVCC user limits.  After every flush:
 *
 *  - nothing published is NaN or infinite; the ratio lists are JSON;
 *  - a published CCL or DCL is finite and >= 0, a CVL finite and > 0, or
 *    they are invalid;
 *  - the members taking part (the connected BMSes) are those the model says;
 *    each one's ratio is finite and >= 1, and for count and capacity it is
 *    the one SPEC 5.4 gives;
 *  - the published CCL (DCL) is the min over the connected BMS members with
 *    a valid limit of limit_i * r_i (at most LIMIT_MAX_AMPS), 0 when they all
 *    refuse, invalid when no BMS reports one, then the cclMode rule;
 *    with the batteries' part it never exceeds that min;
 *  - a bank whose allow flag is 0 publishes that limit as 0 (systemcalc
 *    heeds only the limit).
 *
 * The model below restates SPEC 3 and 5.4-5.7 independently of the code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "engine/internal.h"
#include "engine_fixture.h"

#define MAX_MEMBERS 16
#define TOLERANCE 1e-9

/* The model's view of one member. */
typedef struct {
	EngineInput *in;
	bool bms;          /* it reported a sane CVL */
	double cvl;        /* NAN: none now */
	double limit[2];   /* CCL, DCL as they count; NAN: none */
	double allow[2];   /* NAN: no flag (counts as allowing) */
	bool has_allow[2]; /* the flag is a number */
	double capacity;   /* NAN: none usable */
} Model;

/* Anything a battery may send for a number. */
static Value any_number(GRand *r, double typical_low, double typical_high)
{
	switch (g_rand_int_range(r, 0, 14)) {
	case 0:
		return VALUE_INIT;
	case 1:
		return value_double(0);
	case 2:
		return value_double(-g_rand_double_range(r, 0.001, 500));
	case 3:
		return value_double(NAN);
	case 4:
		return value_double(INFINITY);
	case 5:
		return value_double(-INFINITY);
	case 6:
		return value_double(1e308);
	case 7:
		return value_double(5e-324);
	case 8:
		return value_int(g_rand_int_range(r, -10, 400));
	case 9:
		return value_text("12.5");
	default:
		return value_double(g_rand_double_range(r, typical_low, typical_high));
	}
}

static Value any_flag(GRand *r)
{
	switch (g_rand_int_range(r, 0, 8)) {
	case 0:
		return VALUE_INIT;
	case 1:
		return value_double(NAN);
	case 2:
		return value_int(2);
	case 3:
		return value_double(0.5);
	case 4:
	case 5:
		return value_int(0);
	default:
		return value_int(1);
	}
}

/* The number a value is, or NAN (text and invalid are no number). */
static double number(const Value *v)
{
	double x;

	return value_number(v, &x) ? x : NAN;
}

/* SPEC 3: a current limit below 0 refuses (0); non-finite is invalid. */
static double model_current_limit(const Value *v)
{
	double x = number(v);

	if (!isfinite(x))
		return NAN;
	return fmin(fmax(x, 0), LIMIT_MAX_AMPS);
}

static double model_cvl(const Value *v)
{
	double x = number(v);

	return isfinite(x) && x > 0 && x <= LIMIT_MAX_VOLTS ? x : NAN;
}

static double model_capacity(const Value *v)
{
	double x = number(v);

	return isfinite(x) && x > 0 ? x : NAN;
}

static void set(Fixture *f, EngineInput *in, const char *path, Value v)
{
	inputs_set(f->e, in, path, &v);
	value_clear(&v);
}

/* An internal-resistance history: a current sweep and the voltages a
 * battery of resistance ohm gives, plausible or not. */
static void feed_history(Fixture *f, EngineInput *in, GRand *r)
{
	static const double ohms[] = {0.004, 0.01, 0.02, 0.05, 1e-7, 80.0};
	double ohm = ohms[g_rand_int_range(r, 0, G_N_ELEMENTS(ohms))];
	double span = g_rand_boolean(r) ? 40 : 0.1;

	for (int k = 0; k < 14; k++) {
		double i = span * sin(k * 0.7);

		set(f, in, "/Dc/0/Current", value_double(i));
		set(f, in, "/Dc/0/Voltage", value_double(52.0 + ohm * i + 1e-4 * sin(k * 3.1)));
	}
}

static bool connected(const Model *m, int d)
{
	return m->bms && (!m->has_allow[d] || m->allow[d] != 0);
}

/* The ratios the engine published, one per member: NAN for null. */
static void published_ratios(Fixture *f, const char *path, int n, double *out)
{
	const Value *v = fixture_out(f, path);
	g_auto(GStrv) parts = NULL;
	int k = 0;

	assert_int_equal(v->type, VALUE_TEXT);
	if (strstr(v->u.s, "nan") || strstr(v->u.s, "inf"))
		fail_msg("%s is not JSON: %s", path, v->u.s);
	parts = g_strsplit_set(v->u.s, "[], ", -1);
	for (int i = 0; parts[i]; i++) {
		char *end;

		if (!parts[i][0])
			continue;
		assert_true(k < n);
		if (strcmp(parts[i], "null") == 0) {
			out[k++] = NAN;
			continue;
		}
		out[k++] = g_ascii_strtod(parts[i], &end);
		assert_true(*end == '\0');
	}
	assert_int_equal(k, n);
}

/* SPEC 5.4 for the two methods that can be restated: count, and capacity
 * (with its fallback to count for a member it cannot serve). */
static double expected_ratio(const char *method, const Model *m, int n, int i, int d,
                             bool fixed_capacity)
{
	int n_connected = 0;
	bool reported = false, all_known = true;
	double total = 0, r;

	for (int k = 0; k < n; k++) {
		if (!m[k].bms)
			continue;
		reported = reported || m[k].has_allow[d];
		if (connected(&m[k], d)) {
			n_connected++;
			all_known = all_known && !isnan(m[k].capacity);
		}
	}
	if (strcmp(method, "capacity") != 0 || fixed_capacity || isnan(m[i].capacity))
		return n_connected;
	for (int k = 0; k < n; k++) {
		if (reported ? connected(&m[k], d) : m[k].bms && !isnan(m[k].capacity))
			total += isnan(m[k].capacity) ? 0 : m[k].capacity;
	}
	if (reported && !all_known)
		return n_connected;
	r = total / m[i].capacity;
	return isfinite(r) && r >= 1 - TOLERANCE ? fmax(r, 1) : n_connected;
}

/* Every member with a flag (BMS or not) says 0. */
static bool bank_refuses(const Model *m, int n, int d)
{
	double most = NAN;

	for (int i = 0; i < n; i++) {
		if (m[i].has_allow[d])
			most = isnan(most) ? m[i].allow[d] : fmax(most, m[i].allow[d]);
	}
	return most == 0;
}

static void check_finite_everywhere(Fixture *f)
{
	for (int i = 0; i < N_PUBLISHED; i++) {
		double x;

		if (value_number(outputs_get(f->e, i), &x) && !isfinite(x))
			fail_msg("%s is %g", outputs_path(i), x);
	}
}

static double published_number(Fixture *f, const char *path)
{
	return number(fixture_out(f, path));
}

/* One limit (d = 0: CCL, 1: DCL) against the model. */
static void check_current_limit(Fixture *f, const char *method, const Model *m, int n, int d,
                                bool fixed_capacity, int ccl_mode, bool dvcc, double user)
{
	static const char *const limit_paths[] = {"/Info/MaxChargeCurrent",
	                                          "/Info/MaxDischargeCurrent"};
	static const char *const ratio_paths[] = {"/System/ChargeCurrentRatios",
	                                          "/System/DischargeCurrentRatios"};
	double ratios[MAX_MEMBERS];
	double battery = NAN, published = published_number(f, limit_paths[d]);
	bool reported = false;

	published_ratios(f, ratio_paths[d], n, ratios);
	for (int i = 0; i < n; i++) {
		if (!connected(&m[i], d)) {
			if (!isnan(ratios[i]))
				fail_msg("member %d is not connected but has ratio %g", i,
				         ratios[i]);
			reported = reported || (m[i].bms && !isnan(m[i].limit[d]));
			continue;
		}
		reported = reported || !isnan(m[i].limit[d]);
		if (!(isfinite(ratios[i]) && ratios[i] >= 1))
			fail_msg("member %d: ratio %g", i, ratios[i]);
		if (strcmp(method, "ir") != 0) {
			double want = expected_ratio(method, m, n, i, d, fixed_capacity);

			if (fabs(ratios[i] - want) > TOLERANCE * want)
				fail_msg("member %d: ratio %.12g, want %.12g", i, ratios[i], want);
		}
		if (!isnan(m[i].limit[d]))
			battery = fmin(isnan(battery) ? INFINITY : battery,
			               fmin(m[i].limit[d] * ratios[i], LIMIT_MAX_AMPS));
	}
	if (isnan(battery) && reported)
		battery = 0;
	if (!isnan(published) && !(isfinite(published) && published >= 0))
		fail_msg("%s is %g", limit_paths[d], published);
	if (d == 1 || ccl_mode == 1) {
		/* The batteries' part alone. */
	} else if (ccl_mode == 2) {
		battery = dvcc && isfinite(user) && user >= 0 ? user : NAN;
	} else if (!isnan(battery) && battery > 0 && dvcc && isfinite(user) && user > 0 &&
	           user < battery) {
		battery = user;
	}
	/* The bank's allow flag (the "any" policy: the largest flag) is 0: the
	 * limit is 0 whatever the members' limits say. */
	if (bank_refuses(m, n, d))
		battery = 0;
	if (isnan(battery) != isnan(published) ||
	    (!isnan(battery) && fabs(published - battery) > TOLERANCE * fmax(1, battery)))
		fail_msg("%s is %.12g, the rule says %.12g", limit_paths[d], published, battery);
}

static void check_cvl(Fixture *f, const Model *m, int n, int cvl_mode, bool dvcc, double user)
{
	double published = published_number(f, "/Info/MaxChargeVoltage");
	double cap = dvcc && isfinite(user) ? user : 0;
	bool matches = false, any = false;

	if (!isnan(published) && !(isfinite(published) && published > 0))
		fail_msg("CVL is %g", published);
	if (cvl_mode == 4) {
		if (cap > 0 ? fabs(published - cap) > TOLERANCE : !isnan(published))
			fail_msg("dvcc CVL is %g with user cap %g", published, cap);
		return;
	}
	for (int i = 0; i < n; i++) {
		if (isnan(m[i].cvl))
			continue;
		any = true;
		matches = matches || fabs(published - m[i].cvl) < TOLERANCE ||
		          (cap > 0 && cap < m[i].cvl && fabs(published - cap) < TOLERANCE);
	}
	if (any != !isnan(published) || (any && !matches))
		fail_msg("CVL %g is no member's CVL (cap %g)", published, cap);
}

/* Random limiters (SDK 3): each caps each member (by id) with what its
 * table says: NaN, infinite, negative, huge, above the member's own limit,
 * or a number below it. */
#define MAX_LIMITERS 3

typedef struct {
	double cap[MAX_MEMBERS + 1][2];
} TestLimiter;

static void test_caps(void *state, const BataggMember *m, const BataggLimitInput *in,
                      BataggCaps *out)
{
	const TestLimiter *t = state;

	if (m->id > MAX_MEMBERS)
		return;
	out->ccl = (BataggNum){.value = t->cap[m->id][0], .valid = !isnan(t->cap[m->id][0])};
	out->dcl = (BataggNum){.value = t->cap[m->id][1], .valid = !isnan(t->cap[m->id][1])};
	batagg_text_copy(out->why, sizeof(out->why), "test");
}

static const BataggLimiter test_limiter = {
        .head = {.struct_size = sizeof(BataggLimiter),
                 .kind = BATAGG_KIND_LIMITER,
                 .name = "test_limiter"},
        .caps = test_caps,
};

static double any_cap(GRand *r)
{
	switch (g_rand_int_range(r, 0, 8)) {
	case 0:
		return NAN;
	case 1:
		return INFINITY;
	case 2:
		return -g_rand_double_range(r, 0.1, 50);
	case 3:
		return 1e300;
	case 4:
		return 1e6 + 5;
	default:
		return g_rand_double_range(r, 0, 350);
	}
}

/* What a member's limit is with the caps: min(own, the sane caps); a cap
 * that is not finite is none, a negative one 0, and a member without a
 * limit of its own keeps none. */
static double model_capped(double own, const TestLimiter *t, int n_limiters, int id, int d)
{
	for (int k = 0; k < n_limiters; k++) {
		double c = t[k].cap[id][d];

		if (!isfinite(c))
			continue;
		c = fmax(c, 0);
		if (!isnan(own) && c < own)
			own = c;
	}
	return own;
}

static void test_random_banks_are_safe(void **state)
{
	static const char *const methods[] = {"ir", "capacity", "count"};
	static const char *const ccl_modes[] = {"battery+dvcc", "battery", "dvcc"};
	static const char *const cvl_modes[] = {"max_when_balancing",
	                                        "min_when_balancing",
	                                        "max_always",
	                                        "max_when_floating",
	                                        "dvcc",
	                                        "bulk_until_all_float"};
	static const double users[] = {-1, 0, 30, 150, NAN, INFINITY};
	GRand *r = g_rand_new_with_seed(20261201);

	for (int bank = 0; bank < 1500; bank++) {
		const char *method = methods[g_rand_int_range(r, 0, 3)];
		int ccl_mode = g_rand_int_range(r, 0, 3);
		int cvl_mode = g_rand_int_range(r, 0, 6);
		bool fixed_capacity = g_rand_int_range(r, 0, 6) == 0;
		g_autofree char *config =
		        g_strdup_printf("{\"currentRatioMethod\": \"%s\", \"cclMode\": \"%s\", "
		                        "\"cvlMode\": \"%s\"%s}",
		                        method, ccl_modes[ccl_mode], cvl_modes[cvl_mode],
		                        fixed_capacity ? ", \"capacity\": 500" : "");
		Fixture *f = fixture_new(config);
		int n = g_rand_int_range(r, 1, MAX_MEMBERS + 1);
		int n_limiters =
		        g_rand_int_range(r, 0, 2) ? g_rand_int_range(r, 1, MAX_LIMITERS + 1) : 0;
		TestLimiter limiters[MAX_LIMITERS];
		StrategyUse uses[MAX_LIMITERS];
		EngineSetup setup = *strategies_setup(f->st);

		for (int k = 0; k < n_limiters; k++) {
			for (int id = 0; id <= MAX_MEMBERS; id++) {
				limiters[k].cap[id][0] = any_cap(r);
				limiters[k].cap[id][1] = any_cap(r);
			}
			uses[k] = (StrategyUse){.table = &test_limiter.head, .state = &limiters[k]};
		}
		/* The fixture's engine, with the limiters. */
		setup.limiters = uses;
		setup.n_limiters = (size_t)n_limiters;
		engine_free(f->e);
		f->e = engine_new(&setup);
		strategies_bind(f->st, f->e, NULL, NULL);
		bool dvcc = g_rand_boolean(r);
		double user_ccl = users[g_rand_int_range(r, 0, G_N_ELEMENTS(users))];
		double user_cvl = g_rand_boolean(r) ? 0 : g_rand_double_range(r, 50, 58);
		Model m[MAX_MEMBERS] = {0};

		for (int i = 0; i < n; i++) {
			g_autofree char *name =
			        g_strdup_printf("com.victronenergy.battery.b%02d", i);
			static const char *const allow_paths[] = {"/Io/AllowToCharge",
			                                          "/Io/AllowToDischarge"};
			static const char *const limit_paths[] = {"/Info/MaxChargeCurrent",
			                                          "/Info/MaxDischargeCurrent"};
			Value v;

			m[i].in = inputs_add(f->e, ROLE_MEMBER, name, NULL, 0, NULL);
			if (g_rand_boolean(r))
				feed_history(f, m[i].in, r);
			for (int d = 0; d < 2; d++) {
				v = any_number(r, 0, 300);
				m[i].limit[d] = model_capped(model_current_limit(&v), limiters,
				                             n_limiters, i + 1, d);
				set(f, m[i].in, limit_paths[d], v);
				v = any_flag(r);
				m[i].allow[d] = number(&v);
				m[i].has_allow[d] = isfinite(m[i].allow[d]);
				set(f, m[i].in, allow_paths[d], v);
			}
			v = any_number(r, 50, 58);
			m[i].cvl = model_cvl(&v);
			m[i].bms = !isnan(m[i].cvl);
			set(f, m[i].in, "/Info/MaxChargeVoltage", v);
			v = any_number(r, 50, 400);
			m[i].capacity = fixed_capacity ? NAN : model_capacity(&v);
			set(f, m[i].in, "/InstalledCapacity", v);
			set(f, m[i].in, "/Balancing", value_int(g_rand_int_range(r, 0, 2)));
			/* Over its own limit: the ir method corrects itself. */
			if (g_rand_int_range(r, 0, 4) == 0)
				set(f, m[i].in, "/Dc/0/Current",
				    value_double(g_rand_double_range(r, -900, 900)));
		}
		engine_set_dvcc(f->e, dvcc);
		engine_set_user_ccl(f->e, user_ccl);
		engine_set_user_cvl(f->e, user_cvl);
		engine_flush(f->e);
		print_message("# bank %d: %s, %d members, %d limiters, dvcc %d, user %g A\n", bank,
		              config, n, n_limiters, dvcc, user_ccl);
		check_finite_everywhere(f);
		for (int d = 0; d < 2; d++)
			check_current_limit(f, method, m, n, d, fixed_capacity, ccl_mode, dvcc,
			                    user_ccl);
		check_cvl(f, m, n, cvl_mode, dvcc, user_cvl);
		fixture_free(f);
	}
	g_rand_free(r);
}

/* A ratio below 1 is refused with one WARNING naming the method (it would
 * give a battery less than its own limit's worth: limiters are for that),
 * and the next method of the chain serves the battery. */
static int below_1_warnings;

static void count_warnings(const gchar *domain, GLogLevelFlags level, const gchar *message,
                           gpointer data)
{
	if ((level & G_LOG_LEVEL_WARNING) && strstr(message, "'half' gave a ratio of 0.5, below 1"))
		below_1_warnings++;
}

static void half_ratios(void *state, const BataggRatioInput *in, BataggNum *out)
{
	for (size_t i = 0; i < in->n; i++)
		out[i] = (BataggNum){.value = 0.5, .valid = true};
}

static void count_ratios(void *state, const BataggRatioInput *in, BataggNum *out)
{
	for (size_t i = 0; i < in->n; i++)
		out[i] = (BataggNum){.value = (double)in->n, .valid = true};
}

static void test_a_ratio_below_1_is_refused_and_told(void **state)
{
	static const BataggRatioMethod half = {.head = {.name = "half"}, .ratios = half_ratios};
	static const BataggRatioMethod count = {.head = {.name = "count"}, .ratios = count_ratios};
	RatioChain chain = {.method = {&half, &count}, .n = 2};
	LimitMember m[2] = {
	        {.bms = true, .limit = {.value = 100, .valid = true}},
	        {.bms = true, .limit = {.value = 80, .valid = true}},
	};
	BataggNum ratios[2];
	LimitWhy why;
	guint handler = g_log_set_handler(G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, count_warnings, NULL);

	for (int round = 0; round < 3; round++) {
		BataggNum r = limits_current(m, 2, &chain, false, (BataggNum){0}, ratios, &why);

		assert_true(r.valid);
		assert_true(fabs(r.value - 160) < 1e-9);
		assert_string_equal(why.method, "count");
	}
	g_log_remove_handler(G_LOG_DOMAIN, handler);
	assert_int_equal(below_1_warnings, 1);
}

/* The built-in limiters among random strategies (issue 24): random banks
 * with cell voltages and temperatures that wander, run twice, with the
 * limiters and without; after every change the limits with them are never
 * above the limits without (a limiter only lowers), and a refusal is a
 * limit of 0. */
static const char *const builtin_limiters = "\"cell_voltage\", \"temperature\"";

static void set_both(Engine *a, EngineInput *ia, Engine *b, EngineInput *ib, const char *path,
                     Value v)
{
	inputs_set(a, ia, path, &v);
	inputs_set(b, ib, path, &v);
	value_clear(&v);
}

static void test_builtin_limiters_only_lower(void **state)
{
	static const char *const methods[] = {"ir", "capacity", "count"};
	static const char *const paths[] = {"/Info/MaxChargeCurrent",
	                                    "/Info/MaxDischargeCurrent",
	                                    "/Info/MaxChargeVoltage",
	                                    "/InstalledCapacity",
	                                    "/Io/AllowToCharge",
	                                    "/System/MaxCellVoltage",
	                                    "/System/MinCellVoltage",
	                                    "/Dc/0/Temperature",
	                                    "/System/MinCellTemperature",
	                                    "/System/MaxCellTemperature",
	                                    "/Dc/0/Voltage"};
	GRand *r = g_rand_new_with_seed(20261206);
	int lowered = 0;

	for (int bank = 0; bank < 200; bank++) {
		const char *method = methods[g_rand_int_range(r, 0, 3)];
		g_autofree char *with = g_strdup_printf("{\"currentRatioMethod\": \"%s\", "
		                                        "\"limiters\": [%s], \"strategyOptions\": "
		                                        "{\"cell_voltage\": {\"riseRate\": 1000}, "
		                                        "\"temperature\": {\"riseRate\": 1000}}}",
		                                        method, builtin_limiters);
		g_autofree char *without =
		        g_strdup_printf("{\"currentRatioMethod\": \"%s\"}", method);
		Fixture *f = fixture_new(with);
		GError *error = NULL;
		Config *cfg = config_parse(without, strlen(without), "test", &error);
		Strategies *st = strategies_new(cfg, f->reg, &error);
		Engine *b = strategies_engine(st, NULL, NULL);
		int n = g_rand_int_range(r, 1, 9);
		EngineInput *ia[8], *ib[8];

		for (int i = 0; i < n; i++) {
			g_autofree char *name = g_strdup_printf("com.victronenergy.battery.c%d", i);

			ia[i] = inputs_add(f->e, ROLE_MEMBER, name, NULL, 0, NULL);
			ib[i] = inputs_add(b, ROLE_MEMBER, name, NULL, 0, NULL);
			set_both(f->e, ia[i], b, ib[i], "/Info/MaxChargeVoltage",
			         value_double(g_rand_double_range(r, 54, 57)));
		}
		for (int step = 0; step < 60; step++) {
			int i = g_rand_int_range(r, 0, n);
			const char *path = paths[g_rand_int_range(r, 0, G_N_ELEMENTS(paths))];
			Value v = strstr(path, "Cell")          ? any_number(r, 2.6, 3.75)
			          : strstr(path, "Temperature") ? any_number(r, -25, 65)
			          : strstr(path, "Allow")       ? any_flag(r)
			                                        : any_number(r, 0, 300);

			set_both(f->e, ia[i], b, ib[i], path, v);
			engine_flush(f->e);
			engine_flush(b);
			for (int l = 0; l < N_LIMITS; l++) {
				double with_caps =
				        number(outputs_get(f->e, limit_path((LimitId)l)));
				double plain = number(outputs_get(b, limit_path((LimitId)l)));

				lowered += with_caps < plain;
				if (!isnan(plain) && !(with_caps <= plain * (1 + 1e-12) + 1e-12))
					fail_msg("bank %d step %d (%s): %s is %g with limiters, %g "
					         "without",
					         bank, step, method,
					         outputs_path(limit_path((LimitId)l)), with_caps,
					         plain);
			}
			if (number(outputs_get(f->e, P_ALLOW_TO_CHARGE)) == 0 &&
			    number(outputs_get(f->e, P_CCL)) != 0)
				fail_msg("bank %d: AllowToCharge 0 with a CCL", bank);
		}
		engine_free(b);
		strategies_free(st);
		config_free(cfg);
		fixture_free(f);
	}
	g_rand_free(r);
	/* The limiters did lower limits, often: the test tests something. */
	print_message("# the limiters lowered a limit %d times\n", lowered);
	assert_true(lowered > 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_a_ratio_below_1_is_refused_and_told),
	        cmocka_unit_test(test_random_banks_are_safe),
	        cmocka_unit_test(test_builtin_limiters_only_lower),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
