/* SPDX-License-Identifier: MIT */
/*
 * The limiter "cell_voltage": caps each member's CCL, DCL and CVL from its
 * highest and lowest cell (/System/MaxCellVoltage, /System/MinCellVoltage),
 * a second line of defence behind the BMS (README "Protection from cells
 * and temperatures").  It can only lower a limit; the core enforces that
 * too (core/engine/caps.c).
 *
 *  - CCL: a fraction of the member's own CCL, interpolated in chargeTable
 *    over the highest cell.  DCL: likewise in dischargeTable over the
 *    lowest cell.
 *  - Hysteresis: the cell voltage a cap is looked up with follows the cell
 *    at once towards a lower cap, and back only once the cell has moved
 *    back by `hysteresis` V (a backlash); a cap that rises then rises by at
 *    most riseRate A/s, the plugin asking to be called again until it is
 *    through.
 *  - CVL: while the highest cell (with the same backlash) is above cellMax,
 *    the member's own CVL less that excess, never below its /Dc/0/Voltage
 *    less cvlMargin.
 *  - Balance assist (off by default): a member that refuses charge while
 *    its cells are apart by more than balanceSpread holds the bank's CCL at
 *    0 for balanceHold seconds, once per refusal.
 *
 * Nothing is learned: every cap follows from the cells, so there is no
 * save_member, restore_member or reset.  A reload starts afresh: caps
 * that were held come back at once from the cells, a ramp starts again
 * from the cap the cells give.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batagg/plugin.h"

#define MAX_POINTS 16
/* What a cell voltage can be, of any chemistry: a pack's voltage given
 * where a cell's belongs (52 for 3.25) is refused. */
#define CELL_MIN 1.5
#define CELL_MAX 5.0
/* Hysteresis and spread are differences between cell voltages. */
#define HYSTERESIS_MAX 0.5
#define SPREAD_MAX 1.0
/* call_again's range. */
#define HOLD_MAX 86400.0
/* While a cap rises, the limits are computed again at least this often. */
#define RAMP_STEP_S 1.0

typedef struct {
	double volts[MAX_POINTS];
	double fraction[MAX_POINTS];
	size_t n;
	int at; /* index of its first option, -1 for the default */
} Table;

typedef struct {
	const BataggHost *host;
	Table charge, discharge;
	double hysteresis; /* V per cell */
	double rise_rate;  /* A/s */
	double cell_max;   /* V per cell */
	double cvl_margin; /* V of the member's voltage */
	bool balance_assist;
	double balance_spread; /* V per cell */
	double balance_hold;   /* s */
	/* The members, for the bank's cap: bank_caps() is not given them. */
	struct Known {
		BataggMemberId id;
		char *service, *label;
	} * known;
	size_t n_known, cap_known;
	/* Balance assist's hold, while holding. */
	bool holding;
	BataggMemberId holder;
	char holder_label[64];
	double hold_until;
} CellVoltage;

/* One limit's cap of one member. */
typedef struct {
	bool have_v;  /* v: the cell voltage the cap is looked up with */
	double v;     /* the cell, held back by the hysteresis */
	bool capping; /* cap is in force */
	bool rising;  /* below what the cell gives, rising since at */
	double cap;   /* A */
	double at;    /* host->now() when cap was last computed */
} Side;

/* What the daemon keeps for each member (member_state_size). */
typedef struct {
	Side ccl, dcl;
	bool have_v_cvl;
	double v_cvl;
	bool balanced; /* balance assist held the bank for its refusal */
} MemberState;

static const char *const reads[] = {"/System/MaxCellVoltage", "/System/MinCellVoltage", NULL};

static const BataggOptionHelp help[] = {
        {"chargeTable/<volts>", "number",
         "fraction of the member's own CCL (0..1) at this highest-cell voltage, interpolated; "
         "volts increasing, fractions not increasing, starting at 1 "
         "(3.45: 1, 3.55: 0.1, 3.60: 0)"},
        {"dischargeTable/<volts>", "number",
         "fraction of the member's own DCL (0..1) at this lowest-cell voltage, interpolated; "
         "volts increasing, fractions not decreasing, ending at 1 (2.90: 0, 3.05: 1)"},
        {"hysteresis", "number",
         "V per cell, 0 to 0.5: a cap rises again only once its cell has come back by this "
         "(0.02)"},
        {"riseRate", "number", "A/s above 0: how fast a cap rises again (5)"},
        {"cellMax", "number",
         "V per cell: above it the member's CVL is cut by the highest cell's excess (3.60)"},
        {"cvlMargin", "number",
         "V, 0 or more: the cut CVL stays at least the member's voltage less this (1.0)"},
        {"balanceAssist", "boolean",
         "hold the bank's CCL at 0 while a member that refuses charge balances (false)"},
        {"balanceSpread", "number",
         "V per cell, above 0 to 1: the cell spread that makes a refusal a balancing (0.05)"},
        {"balanceHold", "number", "s, above 0 to 86400: how long balance assist holds (600)"},
        {NULL, NULL, NULL},
};

static const char known_options[] = "chargeTable, dischargeTable, hysteresis, riseRate, "
                                    "cellMax, cvlMargin, balanceAssist, balanceSpread, "
                                    "balanceHold";

/* ---- options ------------------------------------------------------------ */

/* Fills err (option k, or -1) and returns false. */
static bool refuse(BataggError *err, int k, const char *fmt, ...) BATAGG_PRINTF(3, 4);

static bool refuse(BataggError *err, int k, const char *fmt, ...)
{
	char text[sizeof(err->message)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	batagg_text_copy(err->message, sizeof(err->message), text);
	err->option = k;
	return false;
}

static bool is_cell_voltage(double v)
{
	return isfinite(v) && v >= CELL_MIN && v <= CELL_MAX;
}

static bool refuse_cell(BataggError *err, int k, const char *what, double v)
{
	return refuse(err, k,
	              "%s%s%g V is no cell voltage (%g to %g V; a pack's voltage given for a "
	              "cell's?)",
	              what, *what ? ": " : "", v, CELL_MIN, CELL_MAX);
}

/* "chargeTable/3.45" = 1: a point of the table, in the order written. */
static bool add_point(Table *t, const char *name, const BataggOption *o, int k, bool charge,
                      BataggError *err)
{
	const char *volts = o->key + strlen(name) + 1;
	char *end = NULL;
	double v = strtod(volts, &end);
	double f = o->number;
	double last_v, last_f;

	/* The first point written replaces the default table. */
	if (t->at < 0) {
		t->n = 0;
		t->at = k;
	}
	last_v = t->n ? t->volts[t->n - 1] : 0;
	last_f = t->n ? t->fraction[t->n - 1] : 0;
	if (!*volts || *end || !isfinite(v))
		return refuse(err, k, "%s: '%s' is no cell voltage (volts, e.g. 3.45)", name,
		              volts);
	if (!is_cell_voltage(v))
		return refuse_cell(err, k, name, v);
	if (o->type != BATAGG_OPTION_NUMBER || !(f >= 0 && f <= 1))
		return refuse(err, k, "%s: expected a fraction of the member's own limit, 0 to 1",
		              name);
	if (t->n == MAX_POINTS)
		return refuse(err, k, "%s: more than %d points", name, MAX_POINTS);
	if (t->n > 0 && !(v > last_v))
		return refuse(err, k, "%s: not monotonic: volts must increase (%g V after %g V)",
		              name, v, last_v);
	if (t->n > 0 && (charge ? f > last_f : f < last_f))
		return refuse(err, k,
		              "%s: not monotonic: fractions must not %s as the cell voltage rises "
		              "(%g after %g)",
		              name, charge ? "increase" : "decrease", f, last_f);
	t->volts[t->n] = v;
	t->fraction[t->n] = f;
	t->n++;
	return true;
}

/* What a whole table must be, once read. */
static bool check_table(const Table *t, const char *name, bool charge, BataggError *err)
{
	if (t->at < 0)
		return true;
	if (t->n < 2)
		return refuse(err, t->at, "%s: needs at least 2 points (cell volts: fraction)",
		              name);
	if (charge && t->fraction[0] != 1)
		return refuse(err, t->at,
		              "%s: must start at 1 (full current below its first point), not %g",
		              name, t->fraction[0]);
	if (!charge && t->fraction[t->n - 1] != 1)
		return refuse(err, t->at,
		              "%s: must end at 1 (full current above its last point), not %g", name,
		              t->fraction[t->n - 1]);
	return true;
}

/* A number option, above (open) or at least min, at most max. */
static bool number_in(const BataggOption *o, int k, double min, bool open, double max,
                      const char *unit, double *out, BataggError *err)
{
	if (o->type != BATAGG_OPTION_NUMBER)
		return refuse(err, k, "expected a number (%s)", unit);
	if (open ? !(o->number > min) : !(o->number >= min))
		return refuse(err, k, "must be %s %g %s, got %s", open ? "above" : "at least", min,
		              unit, o->text ? o->text : "?");
	if (!(o->number <= max))
		return refuse(err, k, "must be at most %g %s, got %s", max, unit,
		              o->text ? o->text : "?");
	*out = o->number;
	return true;
}

/* The later written of two options (a default, -1, counts as earlier). */
static int later(int a, int b)
{
	return a > b ? a : b;
}

/* The thresholds of different options, against each other. */
static bool check_order(const CellVoltage *c, int cell_max_at, BataggError *err)
{
	double full_discharge = c->discharge.volts[c->discharge.n - 1];
	double taper = c->charge.volts[0];

	if (full_discharge > taper)
		return refuse(
		        err, later(c->charge.at, c->discharge.at),
		        "thresholds in the wrong order: dischargeTable reaches full current at "
		        "%g V, above where chargeTable starts to lower the CCL (%g V)",
		        full_discharge, taper);
	if (!(c->cell_max > taper))
		return refuse(err, later(cell_max_at, c->charge.at),
		              "thresholds in the wrong order: cellMax (%g V) must be above where "
		              "chargeTable starts to lower the CCL (%g V)",
		              c->cell_max, taper);
	return true;
}

static void defaults(CellVoltage *c)
{
	c->charge = (Table){{3.45, 3.55, 3.60}, {1, 0.1, 0}, 3, -1};
	c->discharge = (Table){{2.90, 3.05}, {0, 1}, 2, -1};
	c->hysteresis = 0.02;
	c->rise_rate = 5;
	c->cell_max = 3.60;
	c->cvl_margin = 1.0;
	c->balance_assist = false;
	c->balance_spread = 0.05;
	c->balance_hold = 600;
}

static bool prefixed(const char *key, const char *name)
{
	size_t n = strlen(name);

	return strncmp(key, name, n) == 0 && key[n] == '/';
}

static bool read_option(CellVoltage *c, int *cell_max_at, const BataggOption *o, int k,
                        BataggError *err)
{
	const char *key = o->key;

	if (prefixed(key, "chargeTable"))
		return add_point(&c->charge, "chargeTable", o, k, true, err);
	if (prefixed(key, "dischargeTable"))
		return add_point(&c->discharge, "dischargeTable", o, k, false, err);
	if (strcmp(key, "chargeTable") == 0 || strcmp(key, "dischargeTable") == 0)
		return refuse(err, k,
		              "expected an object of cell volts to fractions, e.g. {\"3.45\": 1, "
		              "\"3.55\": 0.1, \"3.60\": 0}");
	if (strcmp(key, "hysteresis") == 0)
		return number_in(o, k, 0, false, HYSTERESIS_MAX, "V per cell", &c->hysteresis, err);
	if (strcmp(key, "riseRate") == 0)
		return number_in(o, k, 0, true, INFINITY, "A/s", &c->rise_rate, err);
	if (strcmp(key, "cvlMargin") == 0)
		return number_in(o, k, 0, false, INFINITY, "V", &c->cvl_margin, err);
	if (strcmp(key, "balanceSpread") == 0)
		return number_in(o, k, 0, true, SPREAD_MAX, "V per cell", &c->balance_spread, err);
	if (strcmp(key, "balanceHold") == 0)
		return number_in(o, k, 0, true, HOLD_MAX, "s", &c->balance_hold, err);
	if (strcmp(key, "cellMax") == 0) {
		if (o->type != BATAGG_OPTION_NUMBER)
			return refuse(err, k, "expected a number (V per cell)");
		if (!is_cell_voltage(o->number))
			return refuse_cell(err, k, "", o->number);
		c->cell_max = o->number;
		*cell_max_at = k;
		return true;
	}
	if (strcmp(key, "balanceAssist") == 0) {
		if (o->type != BATAGG_OPTION_BOOL)
			return refuse(err, k, "expected true or false");
		c->balance_assist = o->number != 0;
		return true;
	}
	return refuse(err, k, "unknown option '%s' (known: %s)", key, known_options);
}

static void destroy(void *state)
{
	CellVoltage *c = state;

	for (size_t i = 0; i < c->n_known; i++) {
		free(c->known[i].service);
		free(c->known[i].label);
	}
	free(c->known);
	free(c);
}

static void *create(const BataggHost *host, const BataggOption *opts, size_t n_opts,
                    BataggError *err)
{
	CellVoltage *c = calloc(1, sizeof(*c));
	int cell_max_at = -1;
	bool ok = true;

	if (!c)
		return NULL;
	c->host = host;
	defaults(c);
	if (!host || host->struct_size < offsetof(BataggHost, member_state) + sizeof(void *))
		ok = refuse(err, -1, "needs batagg plugin interface 3.0 or newer");
	for (size_t k = 0; ok && k < n_opts; k++)
		ok = read_option(c, &cell_max_at, &opts[k], (int)k, err);
	ok = ok && check_table(&c->charge, "chargeTable", true, err) &&
	     check_table(&c->discharge, "dischargeTable", false, err) &&
	     check_order(c, cell_max_at, err);
	if (!ok) {
		destroy(c);
		return NULL;
	}
	return c;
}

/* ---- members -------------------------------------------------------------- */

static char *copy_text(const char *s)
{
	size_t n = strlen(s ? s : "");
	char *d = malloc(n + 1);

	if (d)
		memcpy(d, s ? s : "", n + 1);
	return d;
}

static struct Known *find(CellVoltage *c, BataggMemberId id)
{
	for (size_t i = 0; i < c->n_known; i++) {
		if (c->known[i].id == id)
			return &c->known[i];
	}
	return NULL;
}

static void member_added(void *state, const BataggMember *m)
{
	CellVoltage *c = state;
	struct Known *k = find(c, m->id);
	char *service = copy_text(m->service), *label = copy_text(m->label);

	if (!service || !label) {
		free(service);
		free(label);
		return;
	}
	if (!k) {
		if (c->n_known == c->cap_known) {
			size_t cap = c->cap_known ? 2 * c->cap_known : 8;
			struct Known *grown = realloc(c->known, cap * sizeof(*grown));

			if (!grown) {
				free(service);
				free(label);
				return;
			}
			c->known = grown;
			c->cap_known = cap;
		}
		k = &c->known[c->n_known++];
	} else {
		free(k->service);
		free(k->label);
	}
	*k = (struct Known){.id = m->id, .service = service, .label = label};
}

static void member_removed(void *state, const BataggMember *m)
{
	CellVoltage *c = state;
	struct Known *k = find(c, m->id);

	if (!k)
		return;
	free(k->service);
	free(k->label);
	*k = c->known[--c->n_known];
}

static BataggMember as_member(const struct Known *k)
{
	return (BataggMember){
	        .id = k->id, .service = k->service, .custom_name = "", .label = k->label};
}

/* ---- caps ----------------------------------------------------------------- */

/* The table's fraction at cell voltage v: linear between its points, its
 * first below them, its last above. */
static double interpolate(const Table *t, double v)
{
	if (v <= t->volts[0])
		return t->fraction[0];
	for (size_t i = 1; i < t->n; i++) {
		if (v <= t->volts[i]) {
			double x = (v - t->volts[i - 1]) / (t->volts[i] - t->volts[i - 1]);

			return t->fraction[i - 1] + x * (t->fraction[i] - t->fraction[i - 1]);
		}
	}
	return t->fraction[t->n - 1];
}

/* The backlash: the voltage a cap is looked up with follows the cell at
 * once towards a lower cap (up for the highest cell, down for the lowest),
 * and back only once the cell has moved back by more than h. */
static double backlash(bool *have, double *held, double v, double h, bool up)
{
	if (!*have) {
		*have = true;
		*held = v;
	} else if (up ? v > *held : v < *held) {
		*held = v;
	} else if (up ? v < *held - h : v > *held + h) {
		*held = up ? v + h : v - h;
	}
	return *held;
}

/* One current limit's cap from its cell (invalid cell: none) and the
 * member's own limit; s, when the daemon keeps it, carries the hysteresis
 * and the rise.  Returns the cap in A, or NAN for none; *rising says how
 * long until the cap reaches what the cell allows (0: it has). */
static double side_cap(const CellVoltage *c, Side *s, const Table *t, BataggNum cell, BataggNum own,
                       bool up, double now, double *rising)
{
	Side fresh = {0};
	double f = 1, target, cap;

	*rising = 0;
	if (!s)
		s = &fresh;
	if (cell.valid)
		f = interpolate(t, backlash(&s->have_v, &s->v, cell.value, c->hysteresis, up));
	else
		s->have_v = false; /* no cell, no cap: the one there is rises away */
	/* The fraction's current; no cap at all when full, or when it is a
	 * fraction of no limit. */
	target = f >= 1 ? INFINITY : f <= 0 ? 0 : own.valid ? f * own.value : INFINITY;
	if (!s->capping) {
		if (isinf(target))
			return NAN;
		s->capping = true;
		s->cap = target;
		s->at = now;
		return target;
	}
	cap = s->cap;
	/* A rise starts when it is first seen: the time the cap was held
	 * before does not count. */
	if (target <= cap)
		cap = target;
	else if (s->rising)
		cap = fmin(target, cap + c->rise_rate * fmax(now - s->at, 0));
	s->rising = target > cap;
	s->cap = cap;
	s->at = now;
	/* Through once at the member's own limit (or at the cell's cap). */
	if (isinf(target) && (!own.valid || cap >= own.value)) {
		s->capping = false;
		s->rising = false;
		return NAN;
	}
	if (cap < target)
		*rising = ((own.valid ? fmin(target, own.value) : target) - cap) / c->rise_rate;
	return cap;
}

/* "3.58 V", "3.583 V": to the millivolt, without a last 0; then ", rising"
 * while the cap rises at riseRate, or ", held" while the hysteresis holds
 * it below what the cell alone would give. */
static void volts_text(char *buf, size_t len, double v, const char *state)
{
	size_t n;

	snprintf(buf, len, "%.3f", v);
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '0')
		buf[n - 1] = '\0';
	n = strlen(buf);
	snprintf(buf + n, len - n, " V%s%s", *state ? ", " : "", state);
}

/* What holds cap (A) below what the table gives at cell voltage v. */
static const char *holding(const Table *t, BataggNum cap, double v, BataggNum own, double rising)
{
	double f = interpolate(t, v);

	if (!cap.valid)
		return "";
	if (rising > 0)
		return "rising";
	return f >= 1 || (own.valid && cap.value < f * own.value - 0.05) ? "held" : "";
}

static void caps(void *state, const BataggMember *m, const BataggLimitInput *in, BataggCaps *out)
{
	CellVoltage *c = state;
	MemberState *ms = c->host->member_state(c->host, m);
	BataggNum high = batagg_member_number(c->host, m, "/System/MaxCellVoltage");
	BataggNum low = batagg_member_number(c->host, m, "/System/MinCellVoltage");
	double now = c->host->now(c->host);
	double rise_ccl, rise_dcl, ccl, dcl;
	bool have_cvl = false, fresh_cvl = false;
	double v_cvl = 0;
	char hi[32], lo[32];

	ccl = side_cap(c, ms ? &ms->ccl : NULL, &c->charge, high, in->ccl, true, now, &rise_ccl);
	dcl = side_cap(c, ms ? &ms->dcl : NULL, &c->discharge, low, in->dcl, false, now, &rise_dcl);
	if (!isnan(ccl))
		out->ccl = (BataggNum){.value = ccl, .valid = true};
	if (!isnan(dcl))
		out->dcl = (BataggNum){.value = dcl, .valid = true};
	if (rise_ccl > 0 || rise_dcl > 0) {
		double next = fmin(rise_ccl > 0 ? rise_ccl : INFINITY,
		                   rise_dcl > 0 ? rise_dcl : INFINITY);

		c->host->call_again(c->host, fmax(fmin(next, RAMP_STEP_S), 0.05));
	}

	/* The CVL: cut by the highest cell's excess over cellMax. */
	if (high.valid) {
		v_cvl = backlash(ms ? &ms->have_v_cvl : &fresh_cvl, ms ? &ms->v_cvl : &v_cvl,
		                 high.value, c->hysteresis, true);
		have_cvl = true;
	} else if (ms) {
		ms->have_v_cvl = false;
	}
	if (have_cvl && v_cvl > c->cell_max && in->cvl.valid) {
		BataggNum voltage = batagg_member_number(c->host, m, "/Dc/0/Voltage");
		double cap = in->cvl.value - (v_cvl - c->cell_max);

		if (voltage.valid)
			cap = fmax(cap, voltage.value - c->cvl_margin);
		cap = fmin(cap, in->cvl.value);
		if (cap > 0 && cap < in->cvl.value)
			out->cvl = (BataggNum){.value = cap, .valid = true};
	}

	/* What decided: the highest cell for the CCL and CVL, the lowest for
	 * the DCL (the limit being computed's; for an older host, which does
	 * not say, both when both cap). */
	if (high.valid)
		volts_text(hi, sizeof(hi), high.value,
		           holding(&c->charge, out->ccl, high.value, in->ccl, rise_ccl));
	if (low.valid)
		volts_text(lo, sizeof(lo), low.value,
		           holding(&c->discharge, out->dcl, low.value, in->dcl, rise_dcl));
	if (in->limit == BATAGG_LIMIT_DCL && out->dcl.valid) {
		batagg_text_copy(out->why, sizeof(out->why), low.valid ? lo : "no cell voltage");
	} else if ((in->limit == BATAGG_LIMIT_CCL || in->limit == BATAGG_LIMIT_CVL) &&
	           (out->ccl.valid || out->cvl.valid)) {
		batagg_text_copy(out->why, sizeof(out->why), high.valid ? hi : "no cell voltage");
	} else if ((out->ccl.valid || out->cvl.valid) && out->dcl.valid) {
		char both[2 * sizeof(hi) + 16];

		snprintf(both, sizeof(both), "max %s, min %s", high.valid ? hi : "none",
		         low.valid ? lo : "none");
		batagg_text_copy(out->why, sizeof(out->why), both);
	} else if (out->ccl.valid || out->cvl.valid) {
		batagg_text_copy(out->why, sizeof(out->why), high.valid ? hi : "no cell voltage");
	} else if (out->dcl.valid) {
		batagg_text_copy(out->why, sizeof(out->why), low.valid ? lo : "no cell voltage");
	}
}

/* ---- balance assist ------------------------------------------------------- */

/* Whether member k refuses charge while its cells are apart by more than
 * balanceSpread; *spread is how far. */
static bool balancing(const CellVoltage *c, const BataggMember *m, double *spread)
{
	BataggNum allow = batagg_member_number(c->host, m, "/Io/AllowToCharge");
	BataggNum high = batagg_member_number(c->host, m, "/System/MaxCellVoltage");
	BataggNum low = batagg_member_number(c->host, m, "/System/MinCellVoltage");

	*spread = high.valid && low.valid ? high.value - low.value : 0;
	return allow.valid && allow.value == 0 && high.valid && low.valid &&
	       *spread > c->balance_spread;
}

static void bank_caps(void *state, const BataggLimitInput *in, BataggCaps *out)
{
	CellVoltage *c = state;
	double now;
	char why[sizeof(c->holder_label) + 16];

	if (!c->balance_assist)
		return;
	now = c->host->now(c->host);
	if (c->holding && (now >= c->hold_until || !find(c, c->holder))) {
		c->holding = false;
		c->host->log(c->host, BATAGG_LOG_INFO,
		             "balance assist for %s ends%s: the bank may charge again",
		             c->holder_label, find(c, c->holder) ? "" : " (it left)");
	}
	/* One hold per refusal: a member is armed again once it allows charge
	 * (or its cells have come together). */
	for (size_t i = 0; i < c->n_known; i++) {
		BataggMember m = as_member(&c->known[i]);
		MemberState *ms = c->host->member_state(c->host, &m);
		double spread;

		if (!balancing(c, &m, &spread)) {
			if (ms)
				ms->balanced = false;
			continue;
		}
		if (c->holding || !ms || ms->balanced)
			continue;
		ms->balanced = true;
		c->holding = true;
		c->holder = m.id;
		batagg_text_copy(c->holder_label, sizeof(c->holder_label), m.label);
		c->hold_until = now + c->balance_hold;
		c->host->log(c->host, BATAGG_LOG_INFO,
		             "balance assist: %s refuses charge with its cells %.3f V apart: the "
		             "bank's CCL is 0 for %g s",
		             m.label, spread, c->balance_hold);
	}
	if (!c->holding)
		return;
	out->ccl = (BataggNum){.value = 0, .valid = true};
	snprintf(why, sizeof(why), "balancing %s", c->holder_label);
	batagg_text_copy(out->why, sizeof(out->why), why);
	c->host->call_again(c->host, fmax(c->hold_until - now, 0.05));
}

/* ---- the table ------------------------------------------------------------ */

static const BataggLimiter cell_voltage = {
        .head = {.struct_size = sizeof(BataggLimiter),
                 .kind = BATAGG_KIND_LIMITER,
                 .name = "cell_voltage",
                 .summary = "caps each battery's CCL, DCL and CVL by its highest and lowest "
                            "cell voltage",
                 .options = help,
                 .create = create,
                 .destroy = destroy,
                 .member_added = member_added,
                 .member_removed = member_removed,
                 .reads = reads,
                 .member_state_size = sizeof(MemberState)},
        .caps = caps,
        .bank_caps = bank_caps,
};

static const BataggStrategy *const strategies[] = {&cell_voltage.head, NULL};

BATAGG_PLUGIN_DEFINE("cell_voltage", "1.0", "Limits from the cells' voltages", strategies);
