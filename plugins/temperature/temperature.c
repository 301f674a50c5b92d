/* SPDX-License-Identifier: MIT */
/*
 * The limiter "temperature": caps each member's CCL and DCL from its cell
 * temperatures, a second line of defence behind the BMS (README "Protection
 * from cells and temperatures").  It can only lower a limit; the core
 * enforces that too (core/engine/caps.c).
 *
 *  - The temperatures: the member's coldest and hottest cell
 *    (/System/MinCellTemperature, /System/MaxCellTemperature; one of them
 *    stands for both when it has only one), else its /Dc/0/Temperature.  A
 *    member with none is not capped, and batagg says so once (again only
 *    after it had one and lost it).
 *  - The caps: chargeTable and dischargeTable give a current at each
 *    temperature, in C (times the member's /InstalledCapacity) or in A,
 *    interpolated; each cap is the lower of the table's value at the
 *    coldest and at the hottest cell, so the coldest decides when cold and
 *    the hottest when hot.
 *  - Hysteresis: the temperature a cap is looked up with follows the
 *    coldest cell down and the hottest up at once, and back only once the
 *    cell has come back by `hysteresis` °C; a cap that rises then rises by
 *    at most riseRate A/s, the limiter asking to be called again until it
 *    is through.
 *
 * Nothing is learned, so there is no save_member: a reload starts afresh,
 * the caps coming back at once from the temperatures.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batagg/plugin.h"

#define MAX_POINTS 16
/* Where a battery's temperature can be: a table point outside is a typo
 * (or °F). */
#define T_MIN -50.0
#define T_MAX 100.0
#define HYSTERESIS_MAX 20.0
/* More than this many C is no battery's charge rate: amps written with
 * unit "C". */
#define C_RATE_MAX 10.0
#define AMPS_MAX 1e6
/* While a cap rises, the limits are computed again at least this often. */
#define RAMP_STEP_S 1.0

#define MIN_CELL "/System/MinCellTemperature"
#define MAX_CELL "/System/MaxCellTemperature"
#define BATTERY "/Dc/0/Temperature"

/* A table: a current at each temperature.  none[i]: no cap at temp[i]. */
typedef struct {
	double temp[MAX_POINTS];
	double value[MAX_POINTS];
	bool none[MAX_POINTS];
	int at[MAX_POINTS]; /* the option each point came from, -1: a default */
	size_t n;
	bool amps; /* values in A, else in C */
} Table;

typedef struct {
	const BataggHost *host;
	Table charge, discharge;
	double hysteresis; /* °C */
	double rise_rate;  /* A/s */
} Temperature;

/* The temperature a cap is looked up with, held back by the hysteresis. */
typedef struct {
	bool have;
	double t;
} Held;

/* One current limit's cap of one member. */
typedef struct {
	bool capping; /* cap is in force */
	bool rising;  /* below what the table gives, rising since at */
	double cap;   /* A */
	double at;    /* host->now() when cap was last computed */
} Side;

/* What the daemon keeps for each member (member_state_size). */
typedef struct {
	Held cold, hot;
	Side charge, discharge;
	bool warned_none;     /* said it has no temperature */
	bool warned_capacity; /* said a C-rate needs its capacity */
} MemberState;

static const char *const reads[] = {MIN_CELL, MAX_CELL, BATTERY, NULL};

static const BataggOptionHelp help[] = {
        {"unit", "text",
         "\"C\": table values are C-rates (times the battery's /InstalledCapacity); \"A\": "
         "amps (\"C\")"},
        {"chargeTable/<°C>", "number",
         "the CCL cap at this temperature, 0 or more, or \"none\"; temperatures -50..100 "
         "increasing; interpolated, 0 outside the table "
         "(0: 0.1, 5: \"none\", 50: 0.5, 55: 0)"},
        {"dischargeTable/<°C>", "number",
         "the DCL cap at this temperature, as chargeTable (-20: \"none\", 60: \"none\")"},
        {"hysteresis", "number",
         "°C, 0 to 20: a cap rises again only once the temperature has come back by this "
         "(2)"},
        {"riseRate", "number", "A/s above 0: how fast a cap rises again (5)"},
        {NULL, NULL, NULL},
};

static const char known_options[] = "unit, chargeTable, dischargeTable, hysteresis, riseRate";

/* ---- options ------------------------------------------------------------ */

/* Fills err (option k, or -1) and returns false. */
static bool refuse(BataggError *err, int k, const char *fmt, ...) BATAGG_PRINTF(3, 4);

static bool refuse(BataggError *err, int k, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	err->option = k;
	return false;
}

/* The defaults (README): LFP's usual charge range 0..55 °C, 0.1 C below
 * 5 °C and at most 0.5 C from 50 °C down to 0 at 55 °C; discharge
 * -20..60 °C. */
static void defaults(Temperature *c)
{
	static const Table charge = {.temp = {0, 5, 50, 55},
	                             .value = {0.1, 0, 0.5, 0},
	                             .none = {false, true, false, false},
	                             .at = {-1, -1, -1, -1},
	                             .n = 4};
	static const Table discharge = {
	        .temp = {-20, 60}, .none = {true, true}, .at = {-1, -1}, .n = 2};

	c->charge = charge;
	c->discharge = discharge;
	c->hysteresis = 2;
	c->rise_rate = 5;
}

/* A point "<table>/<°C>" = option o (the k-th) of table t. */
static bool read_point(Table *t, const char *temp, const BataggOption *o, int k, BataggError *err)
{
	char *end;
	double x = strtod(temp, &end);

	/* The first point given replaces the default table. */
	if (t->n > 0 && t->at[0] < 0)
		t->n = 0;
	if (end == temp || *end || !isfinite(x))
		return refuse(err, k, "'%s' is no temperature: write {\"<°C>\": value, ...}", temp);
	if (x < T_MIN || x > T_MAX)
		return refuse(err, k, "%g °C is outside %g..%g °C", x, T_MIN, T_MAX);
	if (t->n > 0 && x <= t->temp[t->n - 1])
		return refuse(err, k, "temperatures must increase: %g °C after %g °C", x,
		              t->temp[t->n - 1]);
	if (t->n == MAX_POINTS)
		return refuse(err, k, "at most %d points", MAX_POINTS);
	if (o->type == BATAGG_OPTION_TEXT && strcmp(o->text, "none") == 0) {
		t->none[t->n] = true;
		t->value[t->n] = 0;
	} else if (o->type != BATAGG_OPTION_NUMBER) {
		return refuse(err, k, "expected a current (0 or more) or \"none\"");
	} else if (o->number < 0) {
		return refuse(err, k, "must be 0 or more, got %s", o->text);
	} else {
		t->none[t->n] = false;
		t->value[t->n] = o->number;
	}
	t->temp[t->n] = x;
	t->at[t->n] = k;
	t->n++;
	return true;
}

static bool read_option(Temperature *c, const BataggOption *o, int k, const char **unit,
                        BataggError *err)
{
	const char *slash = strchr(o->key, '/');
	size_t len = slash ? (size_t)(slash - o->key) : strlen(o->key);

	if (len == strlen("chargeTable") && strncmp(o->key, "chargeTable", len) == 0)
		return slash ? read_point(&c->charge, slash + 1, o, k, err)
		             : refuse(err, k, "expected an object {\"<°C>\": current, ...}");
	if (len == strlen("dischargeTable") && strncmp(o->key, "dischargeTable", len) == 0)
		return slash ? read_point(&c->discharge, slash + 1, o, k, err)
		             : refuse(err, k, "expected an object {\"<°C>\": current, ...}");
	if (strcmp(o->key, "unit") == 0) {
		if (o->type != BATAGG_OPTION_TEXT ||
		    (strcmp(o->text, "C") != 0 && strcmp(o->text, "A") != 0))
			return refuse(err, k, "expected \"C\" (C-rates) or \"A\" (amps)");
		*unit = o->text;
		return true;
	}
	if (strcmp(o->key, "hysteresis") == 0) {
		if (o->type != BATAGG_OPTION_NUMBER)
			return refuse(err, k, "expected a number (°C)");
		if (o->number < 0 || o->number > HYSTERESIS_MAX)
			return refuse(err, k, "must be 0 to %g °C, got %s", HYSTERESIS_MAX,
			              o->text);
		c->hysteresis = o->number;
		return true;
	}
	if (strcmp(o->key, "riseRate") == 0) {
		if (o->type != BATAGG_OPTION_NUMBER)
			return refuse(err, k, "expected a number (A/s)");
		if (!(o->number > 0) || o->number > AMPS_MAX)
			return refuse(err, k, "must be above 0 A/s (and at most %g), got %s",
			              AMPS_MAX, o->text);
		c->rise_rate = o->number;
		return true;
	}
	return refuse(err, k, "unknown option '%s' (known: %s)", o->key, known_options);
}

/* The values of the tables written in the config, now that their unit is
 * known (it may come after them). */
static bool check_unit(Table *t, bool amps, BataggError *err)
{
	if (t->n == 0 || t->at[0] < 0)
		return true; /* the default, in C whatever the unit */
	t->amps = amps;
	for (size_t i = 0; i < t->n; i++) {
		if (t->none[i])
			continue;
		if (!amps && t->value[i] > C_RATE_MAX)
			return refuse(
			        err, t->at[i],
			        "%g C is more than %g C: are these amps? write \"unit\": \"A\"",
			        t->value[i], C_RATE_MAX);
		if (amps && t->value[i] > AMPS_MAX)
			return refuse(err, t->at[i], "%g A is more than %g A", t->value[i],
			              AMPS_MAX);
	}
	return true;
}

static void destroy(void *state)
{
	free(state);
}

static void *create(const BataggHost *host, const BataggOption *opts, size_t n_opts,
                    BataggError *err)
{
	Temperature *c = calloc(1, sizeof(*c));
	const char *unit = "C";
	bool ok = true;

	if (!c)
		return NULL;
	c->host = host;
	defaults(c);
	if (!host || host->struct_size < offsetof(BataggHost, member_state) + sizeof(void *))
		ok = refuse(err, -1, "needs batagg plugin interface 3.0 or newer");
	for (size_t k = 0; ok && k < n_opts; k++)
		ok = read_option(c, &opts[k], (int)k, &unit, err);
	ok = ok && check_unit(&c->charge, strcmp(unit, "A") == 0, err) &&
	     check_unit(&c->discharge, strcmp(unit, "A") == 0, err);
	if (!ok) {
		destroy(c);
		return NULL;
	}
	return c;
}

/* ---- caps --------------------------------------------------------------- */

/* The table's value at temperature x in its unit, INFINITY for none: 0
 * outside the table; at a point, its value; between two numbers, linear;
 * next to a "none", the lower point's value holds up to the next point. */
static double table_at(const Table *t, double x)
{
	if (t->n == 0 || x < t->temp[0] || x > t->temp[t->n - 1])
		return 0;
	for (size_t i = 0; i < t->n; i++) {
		if (x == t->temp[i])
			return t->none[i] ? INFINITY : t->value[i];
		if (i + 1 < t->n && x < t->temp[i + 1]) {
			double f = (x - t->temp[i]) / (t->temp[i + 1] - t->temp[i]);

			if (t->none[i])
				return INFINITY;
			if (t->none[i + 1])
				return t->value[i];
			return t->value[i] + f * (t->value[i + 1] - t->value[i]);
		}
	}
	return 0;
}

/* The backlash: follows x at once towards danger (down for the coldest
 * cell, up for the hottest), and back only once x has moved back by more
 * than h. */
static double backlash(Held *held, double x, double h, bool up)
{
	if (!held->have) {
		*held = (Held){.have = true, .t = x};
	} else if (up ? x > held->t : x < held->t) {
		held->t = x;
	} else if (up ? x < held->t - h : x > held->t + h) {
		held->t = up ? x + h : x - h;
	}
	return held->t;
}

/* One current limit's cap from its target (A; INFINITY: none) and the
 * member's own limit; s carries the rise.  Returns the cap in A, or NAN
 * for none; *wait is how long until it is through rising (0: it is). */
static double side_cap(const Temperature *c, Side *s, double target, BataggNum own, double now,
                       double *wait)
{
	double cap;

	*wait = 0;
	if (!s->capping) {
		if (isinf(target))
			return NAN;
		*s = (Side){.capping = true, .cap = target, .at = now};
		return target;
	}
	cap = s->cap;
	if (target <= cap)
		cap = target;
	else if (s->rising) /* a rise counts from when it is first seen */
		cap = fmin(target, cap + c->rise_rate * fmax(now - s->at, 0));
	s->rising = target > cap;
	s->cap = cap;
	s->at = now;
	/* Through once at the member's own limit (a table's "none"). */
	if (isinf(target) && (!own.valid || cap >= own.value)) {
		*s = (Side){0};
		return NAN;
	}
	if (s->rising)
		*wait = ((own.valid ? fmin(target, own.value) : target) - cap) / c->rise_rate;
	return cap;
}

/* The table's current (A, INFINITY for none) at temperature x, in the
 * table's unit times the capacity; a C-rate above 0 without a capacity is
 * no cap (*no_capacity set). */
static double amps_at(const Table *t, double x, BataggNum capacity, bool *no_capacity)
{
	double v = table_at(t, x);

	if (t->amps || isinf(v) || v == 0)
		return v;
	if (!capacity.valid || capacity.value <= 0) {
		*no_capacity = true;
		return INFINITY;
	}
	return v * capacity.value;
}

/* The lower of the table's currents at the two held temperatures; *by is
 * the reading that decided (the coldest cell's or the hottest's). */
static double table_cap(const Table *t, double cold, double hot, BataggNum capacity,
                        bool *no_capacity, bool *by_hot)
{
	double at_cold = amps_at(t, cold, capacity, no_capacity);
	double at_hot = amps_at(t, hot, capacity, no_capacity);

	*by_hot = at_hot < at_cold;
	return fmin(at_cold, at_hot);
}

static void caps(void *state, const BataggMember *m, const BataggLimitInput *in, BataggCaps *out)
{
	Temperature *c = state;
	const BataggHost *host = c->host;
	MemberState fresh = {0};
	MemberState *ms = host->member_state(host, m);
	BataggNum low = batagg_member_number(c->host, m, MIN_CELL);
	BataggNum high = batagg_member_number(c->host, m, MAX_CELL);
	BataggNum capacity = in->capacity;
	double now = host->now(host);
	double charge = INFINITY, discharge = INFINITY, ccl, dcl, wait_c, wait_d;
	bool no_capacity = false, charge_by_hot = false, discharge_by_hot = false;

	if (!ms)
		ms = &fresh;
	if (!low.valid && !high.valid)
		low = high = batagg_member_number(c->host, m, BATTERY);
	else if (!low.valid)
		low = high;
	else if (!high.valid)
		high = low;
	if (!capacity.valid)
		capacity = batagg_member_number(c->host, m, "/InstalledCapacity");

	if (low.valid) {
		double cold = backlash(&ms->cold, low.value, c->hysteresis, false);
		double hot = backlash(&ms->hot, high.value, c->hysteresis, true);

		ms->warned_none = false;
		charge = table_cap(&c->charge, cold, hot, capacity, &no_capacity, &charge_by_hot);
		discharge = table_cap(&c->discharge, cold, hot, capacity, &no_capacity,
		                      &discharge_by_hot);
	} else {
		/* No temperature, no cap: the one there is rises away. */
		ms->cold.have = ms->hot.have = false;
		if (!ms->warned_none)
			host->log(host, BATAGG_LOG_WARNING,
			          "%s publishes no temperature (%s, %s or %s): it is not capped",
			          m->label, MIN_CELL, MAX_CELL, BATTERY);
		ms->warned_none = true;
	}
	if (no_capacity && !ms->warned_capacity)
		host->log(host, BATAGG_LOG_WARNING,
		          "%s publishes no /InstalledCapacity: its C-rate caps above 0 do not "
		          "apply (write the tables in amps, \"unit\": \"A\")",
		          m->label);
	ms->warned_capacity = (ms->warned_capacity || no_capacity) && !capacity.valid;

	ccl = side_cap(c, &ms->charge, charge, in->ccl, now, &wait_c);
	dcl = side_cap(c, &ms->discharge, discharge, in->dcl, now, &wait_d);
	if (!isnan(ccl))
		out->ccl = (BataggNum){.value = ccl, .valid = true};
	if (!isnan(dcl))
		out->dcl = (BataggNum){.value = dcl, .valid = true};
	if (wait_c > 0 || wait_d > 0) {
		double next = fmin(wait_c > 0 ? wait_c : INFINITY, wait_d > 0 ? wait_d : INFINITY);

		host->call_again(host, fmax(fmin(next, RAMP_STEP_S), 0.05));
	}

	/* What decided: the reading of the cell the charge cap was looked up
	 * with, else the discharge cap's (one text for both). */
	if (low.valid && (out->ccl.valid || out->dcl.valid)) {
		bool by_hot = out->ccl.valid ? charge_by_hot : discharge_by_hot;

		snprintf(out->why, sizeof(out->why), "%.1f °C", by_hot ? high.value : low.value);
	} else if (out->ccl.valid || out->dcl.valid) {
		snprintf(out->why, sizeof(out->why), "%s", "no temperature, recovering");
	}
}

/* ---- the table ---------------------------------------------------------- */

static const BataggLimiter temperature = {
        .head = {.struct_size = sizeof(BataggLimiter),
                 .kind = BATAGG_KIND_LIMITER,
                 .name = "temperature",
                 .summary = "caps each battery's CCL and DCL by its coldest and hottest cell",
                 .options = help,
                 .create = create,
                 .destroy = destroy,
                 .reads = reads,
                 .member_state_size = sizeof(MemberState)},
        .caps = caps,
};

static const BataggStrategy *const strategies[] = {&temperature.head, NULL};

BATAGG_PLUGIN_DEFINE("temperature", "1.0", "Limits from the batteries' temperatures", strategies);
