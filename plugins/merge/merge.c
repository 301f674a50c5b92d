/* SPDX-License-Identifier: MIT */
/*
 * The merge policies: how the members' values of one path combine into the
 * aggregate's (SPEC.md 5.1-5.3), plus precedence ("first", for primary and
 * auxiliary services and virtual batteries) and a capacity-weighted mean.
 * Stateless: each is a pure function of its input.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "batagg/plugin.h"

static bool is_number(const BataggValue *v)
{
	return v->type == BATAGG_VALUE_NUMBER;
}

static void set_number(BataggValue *out, double x)
{
	out->type = BATAGG_VALUE_NUMBER;
	out->number = x;
	out->text = NULL;
}

static void set_invalid(BataggValue *out)
{
	out->type = BATAGG_VALUE_INVALID;
	out->text = NULL;
}

/* Folds the valid numbers with op; invalid (or `empty`) when there are none. */
static void fold(const BataggMergeInput *in, BataggValue *out, double (*op)(double, double),
                 const double *empty)
{
	bool any = false;
	double acc = 0;

	for (size_t i = 0; i < in->n; i++) {
		if (!is_number(&in->values[i]))
			continue;
		acc = any ? op(acc, in->values[i].number) : in->values[i].number;
		any = true;
	}
	if (any)
		set_number(out, acc);
	else if (empty)
		set_number(out, *empty);
	else
		set_invalid(out);
}

static double add(double a, double b)
{
	return a + b;
}

static double min(double a, double b)
{
	return b < a ? b : a;
}

static double max(double a, double b)
{
	return b > a ? b : a;
}

static const double zero = 0;

static void merge_sum(void *state, const BataggMergeInput *in, BataggValue *out, char *text,
                      size_t len)
{
	fold(in, out, add, NULL);
}

static void merge_sum_or_zero(void *state, const BataggMergeInput *in, BataggValue *out, char *text,
                              size_t len)
{
	fold(in, out, add, &zero);
}

static void merge_min(void *state, const BataggMergeInput *in, BataggValue *out, char *text,
                      size_t len)
{
	fold(in, out, min, NULL);
}

static void merge_max(void *state, const BataggMergeInput *in, BataggValue *out, char *text,
                      size_t len)
{
	fold(in, out, max, NULL);
}

static void merge_alarm(void *state, const BataggMergeInput *in, BataggValue *out, char *text,
                        size_t len)
{
	fold(in, out, max, &zero);
}

/* Sum then divide, in member order, as the Python daemon did. */
static void merge_mean(void *state, const BataggMergeInput *in, BataggValue *out, char *text,
                       size_t len)
{
	double sum = 0;
	size_t count = 0;

	for (size_t i = 0; i < in->n; i++) {
		if (is_number(&in->values[i])) {
			sum += in->values[i].number;
			count++;
		}
	}
	if (count)
		set_number(out, sum / (double)count);
	else
		set_invalid(out);
}

static void merge_weighted_mean(void *state, const BataggMergeInput *in, BataggValue *out,
                                char *text, size_t len)
{
	double sum = 0, weight = 0;

	for (size_t i = 0; in->keys && i < in->n; i++) {
		if (is_number(&in->values[i]) && is_number(&in->keys[i]) &&
		    in->keys[i].number > 0) {
			sum += in->values[i].number * in->keys[i].number;
			weight += in->keys[i].number;
		}
	}
	if (weight > 0)
		set_number(out, sum / weight);
	else
		merge_mean(state, in, out, text, len);
}

static void merge_first(void *state, const BataggMergeInput *in, BataggValue *out, char *text,
                        size_t len)
{
	for (size_t i = 0; i < in->n; i++) {
		if (in->values[i].type == BATAGG_VALUE_INVALID)
			continue;
		*out = in->values[i];
		if (out->type == BATAGG_VALUE_TEXT) {
			batagg_text_copy(text, len, in->values[i].text);
			out->text = text;
		}
		return;
	}
	set_invalid(out);
}

static bool contains(const char *haystack, const char *needle)
{
	size_t n = strlen(needle);

	for (const char *p = haystack; *p; p++) {
		if (strncasecmp(p, needle, n) == 0)
			return true;
	}
	return false;
}

/* SPEC 5.2.  Each member counts once, for the first of bulk, absorption,
 * float its text contains; "Float" wins over "Absorption" over "Bulk". */
static void merge_charge_mode(void *state, const BataggMergeInput *in, BataggValue *out, char *text,
                              size_t len)
{
	static const char *const words[] = {"bulk", "absorption", "float"};
	static const char *const all[] = {"Bulk", "Absorption", "Float"};
	static const char *const some[] = {"Bulk Transition", "Absorption Transition",
	                                   "Float Transition"};
	size_t counts[3] = {0};
	size_t total = 0;

	for (size_t i = 0; i < in->n; i++) {
		if (in->values[i].type != BATAGG_VALUE_TEXT)
			continue;
		total++;
		for (size_t w = 0; w < 3; w++) {
			if (contains(in->values[i].text, words[w])) {
				counts[w]++;
				break;
			}
		}
	}
	if (total == 0) {
		set_invalid(out);
		return;
	}
	out->type = BATAGG_VALUE_TEXT;
	out->text = "Charging";
	for (size_t w = 3; w-- > 0;) {
		if (counts[w]) {
			out->text = counts[w] == total ? all[w] : some[w];
			return;
		}
	}
}

/* SPEC 5.3: the member with the extreme key names the cell, as "<label>
 * <cell id>".  The label takes at most half the text, so that a long name
 * does not push out the cell id the path is about. */
static void pick_label(const BataggMergeInput *in, BataggValue *out, char *text, size_t len,
                       bool highest)
{
	size_t best = in->n;
	char number[32];
	const char *id;
	size_t n;

	for (size_t i = 0; in->keys && i < in->n; i++) {
		if (!is_number(&in->keys[i]))
			continue;
		if (best == in->n || (highest ? in->keys[i].number > in->keys[best].number
		                              : in->keys[i].number < in->keys[best].number))
			best = i;
	}
	if (best == in->n || in->values[best].type == BATAGG_VALUE_INVALID || len < 2) {
		set_invalid(out);
		return;
	}
	id = in->values[best].text;
	if (in->values[best].type != BATAGG_VALUE_TEXT) {
		snprintf(number, sizeof(number), "%.15g", in->values[best].number);
		id = number;
	}
	n = batagg_text_copy(text, len / 2, in->labels[best]);
	text[n++] = ' ';
	batagg_text_copy(text + n, len - n, id);
	out->type = BATAGG_VALUE_TEXT;
	out->text = text;
}

static void merge_min_label(void *state, const BataggMergeInput *in, BataggValue *out, char *text,
                            size_t len)
{
	pick_label(in, out, text, len, false);
}

static void merge_max_label(void *state, const BataggMergeInput *in, BataggValue *out, char *text,
                            size_t len)
{
	pick_label(in, out, text, len, true);
}

#define POLICY(n, s, fn, key)                                                                      \
	static const BataggMergePolicy policy_##n = {                                              \
	        .head = {.struct_size = sizeof(BataggMergePolicy),                                 \
	                 .kind = BATAGG_KIND_MERGE,                                                \
	                 .name = #n,                                                               \
	                 .summary = s},                                                            \
	        .key_path = key,                                                                   \
	        .merge = fn,                                                                       \
	}

POLICY(sum, "sum of the valid values; invalid if none", merge_sum, NULL);
POLICY(sum_or_zero, "sum of the valid values; 0 if none (counts)", merge_sum_or_zero, NULL);
POLICY(mean, "arithmetic mean of the valid values", merge_mean, NULL);
POLICY(capacity_weighted_mean, "mean weighted by /InstalledCapacity", merge_weighted_mean,
       "/InstalledCapacity");
POLICY(min, "smallest valid value", merge_min, NULL);
POLICY(max, "largest valid value", merge_max, NULL);
POLICY(any, "1 when any member says 1 (flags); invalid if none", merge_max, NULL);
POLICY(all, "0 when any member says 0 (flags: every member must allow); invalid if none", merge_min,
       NULL);
POLICY(alarm, "highest alarm level (0 ok, 1 warning, 2 alarm); 0 if none", merge_alarm, NULL);
POLICY(charge_mode, "Bulk/Absorption/Float, with Transition when members differ", merge_charge_mode,
       NULL);
/* The mean over the members that allow discharge (key /Io/AllowToDischarge
 * not 0; unknown counts as allowing): a blocked pack's energy is not
 * available.  When every member blocks, their mean. */
static void merge_available_mean(void *state, const BataggMergeInput *in, BataggValue *out,
                                 char *text, size_t len)
{
	double sum = 0, all = 0;
	size_t count = 0, n_all = 0;

	for (size_t i = 0; i < in->n; i++) {
		bool blocked = in->keys && is_number(&in->keys[i]) && in->keys[i].number == 0;

		if (!is_number(&in->values[i]))
			continue;
		all += in->values[i].number;
		n_all++;
		if (!blocked) {
			sum += in->values[i].number;
			count++;
		}
	}
	if (count)
		set_number(out, sum / (double)count);
	else if (n_all)
		set_number(out, all / (double)n_all);
	else
		set_invalid(out);
}

/* /TimeToGo: the members' mean when any has one; else, while the bank
 * discharges, its remaining Ah (keys: /Capacity) over the discharge
 * current (second keys: /Dc/0/Current), in seconds, as a battery monitor
 * computes it.  Invalid while charging or idle. */
static void merge_capacity_time_to_go(void *state, const BataggMergeInput *in, BataggValue *out,
                                      char *text, size_t len)
{
	double ah = 0, amps = 0;
	bool any_ah = false, any_amps = false;

	merge_mean(state, in, out, text, len);
	if (out->type != BATAGG_VALUE_INVALID || !in->keys || !in->second_keys)
		return;
	for (size_t i = 0; i < in->n; i++) {
		if (is_number(&in->keys[i])) {
			ah += in->keys[i].number;
			any_ah = true;
		}
		if (is_number(&in->second_keys[i])) {
			amps += in->second_keys[i].number;
			any_amps = true;
		}
	}
	if (any_ah && any_amps && amps < 0 && ah >= 0 && isfinite(ah / -amps))
		set_number(out, ah / -amps * 3600);
}

POLICY(min_label, "the member with the lowest key value names the cell", merge_min_label, NULL);
POLICY(max_label, "the member with the highest key value names the cell", merge_max_label, NULL);
POLICY(first, "the first valid value in precedence order", merge_first, NULL);
POLICY(available_mean, "mean of the members that allow discharge (of all when none does)",
       merge_available_mean, "/Io/AllowToDischarge");

static const BataggMergePolicy policy_capacity_time_to_go = {
        .head = {.struct_size = sizeof(BataggMergePolicy),
                 .kind = BATAGG_KIND_MERGE,
                 .name = "capacity_time_to_go",
                 .summary = "the members' mean; when none has one, remaining Ah / discharge "
                            "current"},
        .key_path = "/Capacity",
        .merge = merge_capacity_time_to_go,
        .second_key_path = "/Dc/0/Current",
};

static const BataggStrategy *const strategies[] = {
        &policy_sum.head,
        &policy_sum_or_zero.head,
        &policy_mean.head,
        &policy_capacity_weighted_mean.head,
        &policy_min.head,
        &policy_max.head,
        &policy_any.head,
        &policy_all.head,
        &policy_alarm.head,
        &policy_charge_mode.head,
        &policy_min_label.head,
        &policy_max_label.head,
        &policy_first.head,
        &policy_available_mean.head,
        &policy_capacity_time_to_go.head,
        NULL,
};

BATAGG_PLUGIN_DEFINE("merge", "2.0", "The built-in merge policies", strategies);
