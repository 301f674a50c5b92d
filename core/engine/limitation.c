/* SPDX-License-Identifier: MIT */
/*
 * The limitation texts: one line per limit, naming the member and the rule
 * that set it.
 */
#include "engine/limitation.h"

#include <glib.h>
#include <math.h>

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
	for (size_t i = 0; i < l->n && !who; i++) {
		if (l->cvl[i].valid && fabs(l->cvl[i].value - l->result.value) < 1e-6) {
			who = l->labels[i];
			at = i;
		}
	}
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
