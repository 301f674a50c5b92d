/* SPDX-License-Identifier: MIT */
/*
 * The limitation texts: one line per limit, naming the member and the rule
 * that set it.
 */
#include "engine/limitation.h"

#include <glib.h>
#include <math.h>
#include <string.h>

/* 100 A, 12.5 A: a tenth of an ampere is as much as a BMS tells. */
static void append_amps(GString *s, double amps)
{
	if (fabs(amps - round(amps)) < 0.05)
		g_string_append_printf(s, "%.0f A", amps);
	else
		g_string_append_printf(s, "%.1f A", amps);
}

/* " cap (cell_voltage: 3.58 V)" when a limiter's cap is member i's limit. */
static void append_cap(GString *s, const char *const *by, const char *const *why, size_t i)
{
	if (!by || !by[i])
		return;
	g_string_append_printf(s, " cap (%s", by[i]);
	if (why && why[i] && why[i][0])
		g_string_append_printf(s, ": %s", why[i]);
	g_string_append_c(s, ')');
}

/* " (limiter: what it said)" after a bank cap, nothing for the config's. */
static void append_bank(GString *s, const char *by, const char *why)
{
	if (!by[0])
		return;
	g_string_append_printf(s, " (%s", by);
	if (why && why[0])
		g_string_append_printf(s, ": %s", why);
	g_string_append_c(s, ')');
}

static void append_missing(GString *s, size_t present, size_t expected)
{
	if (expected && present < expected)
		g_string_append_printf(s, "%zu of %zu batteries; ", present, expected);
}

char *limitation_current(const CurrentLimitation *l)
{
	GString *s = g_string_new(NULL);
	const LimitWhy *why = l->why;

	append_missing(s, l->present, l->expected);
	if (l->refused) {
		g_string_append_printf(s, "AllowTo%s 0", l->discharge ? "Discharge" : "Charge");
		if (why->refusing == 1)
			g_string_append_printf(s, " (%s refuses)", l->labels[why->some_refusing]);
		else if (why->refusing > 1)
			g_string_append_printf(s, " (%zu batteries refuse)", why->refusing);
	} else if (l->primary && l->result.valid) {
		g_string_append(s, "primary service ");
		append_amps(s, l->result.value);
	} else if (l->bank_by && l->result.valid) {
		g_string_append(s, "bank cap ");
		append_amps(s, l->result.value);
		append_bank(s, l->bank_by, l->bank_why);
	} else if (l->user && l->result.valid) {
		g_string_append(s, "DVCC limit ");
		append_amps(s, l->result.value);
	} else if (l->user) {
		g_string_append(s, "no DVCC limit (cclMode dvcc)");
	} else if (!l->result.valid) {
		g_string_append(s, "no battery reports a limit");
	} else if (!why->binding) {
		g_string_append_printf(s, "all batteries refuse %s",
		                       l->discharge ? "discharge" : "charge");
	} else {
		if (why->refusing == 1)
			g_string_append_printf(s, "%s refuses; ", l->labels[why->some_refusing]);
		else if (why->refusing > 1)
			g_string_append_printf(s, "%zu batteries refuse; ", why->refusing);
		g_string_append_printf(s, "%s ", l->labels[why->member]);
		append_amps(s, why->limit);
		append_cap(s, l->capped_by, l->cap_why, why->member);
		g_string_append_printf(s, " × %.2f (%s)", why->ratio,
		                       why->method ? why->method : "equal share");
	}
	return g_string_free(s, FALSE);
}

/* The member whose CVL is the result (its label, its index in *at), or
 * NULL. */
static const char *voltage_who(const VoltageLimitation *l, size_t *at)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->cvl[i].valid && fabs(l->cvl[i].value - l->result.value) < 1e-6) {
			*at = i;
			return l->labels[i];
		}
	}
	return NULL;
}

char *limitation_voltage(const VoltageLimitation *l)
{
	GString *s = g_string_new(NULL);
	const char *who = NULL;
	size_t at = 0;

	append_missing(s, l->n, l->expected);
	if (!l->result.valid) {
		g_string_append(s, "no battery reports a charge voltage");
		return g_string_free(s, FALSE);
	}
	if (l->primary) {
		g_string_append_printf(s, "primary service %.2f V", l->result.value);
		return g_string_free(s, FALSE);
	}
	if (l->user) {
		g_string_append_printf(s, "DVCC limit %.2f V", l->result.value);
		return g_string_free(s, FALSE);
	}
	if (l->bank_by) {
		g_string_append_printf(s, "bank cap %.2f V", l->result.value);
		append_bank(s, l->bank_by, l->bank_why);
		return g_string_free(s, FALSE);
	}
	who = voltage_who(l, &at);
	if (who)
		g_string_append_printf(s, "%s ", who);
	g_string_append_printf(s, "%.2f V", l->result.value);
	if (who)
		append_cap(s, l->capped_by, l->cap_why, at);
	g_string_append_printf(s, " (%s", l->mode);
	if (l->balancing.valid)
		g_string_append(s, l->balancing.value ? ", balancing" : ", not balancing");
	g_string_append_c(s, ')');
	return g_string_free(s, FALSE);
}

/* ---- keys: what a text is made of, as bytes -------------------------------- */

typedef struct {
	LimitationKey next;
	bool fits;
} KeyWriter;

static void put(KeyWriter *w, const void *p, size_t n)
{
	if (!w->fits || w->next.len + n > sizeof(w->next.bytes)) {
		w->fits = false;
		return;
	}
	memcpy(w->next.bytes + w->next.len, p, n);
	w->next.len += n;
}

static void put_size(KeyWriter *w, size_t n)
{
	put(w, &n, sizeof(n));
}

/* Exact: the bits of the double, so that any change counts. */
static void put_num(KeyWriter *w, bool valid, double x)
{
	put(w, &valid, sizeof(valid));
	put(w, &x, sizeof(x));
}

/* A text with its end (NULL and "" differ). */
static void put_text(KeyWriter *w, const char *s)
{
	bool has = s != NULL;

	put(w, &has, sizeof(has));
	if (s)
		put(w, s, strlen(s) + 1);
}

/* A member's cap as append_cap() reads it. */
static void put_cap(KeyWriter *w, const char *const *by, const char *const *why, size_t i)
{
	put_text(w, by ? by[i] : NULL);
	put_text(w, by && by[i] && why ? why[i] : NULL);
}

static bool finish(KeyWriter *w, LimitationKey *key)
{
	bool same = w->fits && key->valid && key->len == w->next.len &&
	            memcmp(key->bytes, w->next.bytes, w->next.len) == 0;

	if (!same) {
		memcpy(key->bytes, w->next.bytes, w->next.len);
		key->len = w->next.len;
		key->valid = w->fits;
	}
	return !same;
}

bool limitation_current_changed(const CurrentLimitation *l, LimitationKey *key)
{
	KeyWriter w = {.fits = true};
	const LimitWhy *why = l->why;
	bool flags[] = {l->discharge, l->refused, l->primary, l->user, why->binding};

	put(&w, flags, sizeof(flags));
	put_size(&w, l->present);
	put_size(&w, l->expected);
	put_size(&w, why->refusing);
	put_num(&w, l->result.valid, l->result.value);
	put_text(&w, l->bank_by);
	put_text(&w, l->bank_by ? l->bank_why : NULL);
	if (why->refusing == 1)
		put_text(&w, l->labels[why->some_refusing]);
	if (why->binding) {
		put_text(&w, l->labels[why->member]);
		put_num(&w, true, why->limit);
		put_num(&w, true, why->ratio);
		put_text(&w, why->method);
		put_cap(&w, l->capped_by, l->cap_why, why->member);
	}
	return finish(&w, key);
}

bool limitation_voltage_changed(const VoltageLimitation *l, LimitationKey *key)
{
	KeyWriter w = {.fits = true};
	size_t at = 0;
	const char *who = voltage_who(l, &at);
	bool flags[] = {l->user, l->primary, who != NULL};

	put(&w, flags, sizeof(flags));
	put_size(&w, l->n);
	put_size(&w, l->expected);
	put_num(&w, l->result.valid, l->result.value);
	put_num(&w, l->balancing.valid, l->balancing.value);
	put_text(&w, l->mode);
	put_text(&w, l->bank_by);
	put_text(&w, l->bank_by ? l->bank_why : NULL);
	if (who) {
		put_text(&w, who);
		put_cap(&w, l->capped_by, l->cap_why, at);
	}
	return finish(&w, key);
}
