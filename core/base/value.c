/* SPDX-License-Identifier: MIT */
/*
 * Value helpers: ownership of text, comparison, conversion to the plugin
 * view, and the GetText formatting of SPEC.md 5.1.
 */
#include "base/value.h"

#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

Value value_text(const char *s)
{
	if (!s)
		return VALUE_INIT;
	return (Value){.type = VALUE_TEXT, .u.s = g_strdup(s)};
}

Value value_text_cut(const char *s, size_t max)
{
	char *copy;

	if (!s || strnlen(s, max + 1) <= max)
		return value_text(s);
	copy = g_malloc(max + 1);
	batagg_text_copy(copy, max + 1, s);
	return (Value){.type = VALUE_TEXT, .u.s = copy};
}

void value_clear(Value *v)
{
	if (v->type == VALUE_TEXT)
		g_free(v->u.s);
	*v = VALUE_INIT;
}

void value_copy(Value *dst, const Value *src)
{
	Value copy = *src;

	if (src->type == VALUE_TEXT)
		copy.u.s = g_strdup(src->u.s);
	value_clear(dst);
	*dst = copy;
}

void value_assign(Value *dst, const Value *src)
{
	size_t len;

	if (dst->type == VALUE_TEXT && src->type == VALUE_TEXT && dst->u.s != src->u.s) {
		len = strlen(src->u.s);
		if (len <= strlen(dst->u.s)) {
			memmove(dst->u.s, src->u.s, len + 1);
			return;
		}
	}
	value_copy(dst, src);
}

void value_move(Value *dst, Value *src)
{
	Value moved = *src;

	*src = VALUE_INIT;
	value_clear(dst);
	*dst = moved;
}

bool value_equal(const Value *a, const Value *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case VALUE_INVALID:
		return true;
	case VALUE_INT:
		return a->u.i == b->u.i;
	case VALUE_DOUBLE:
		/* Bitwise, so that NaN equals itself and -0 differs from 0. */
		return memcmp(&a->u.d, &b->u.d, sizeof(double)) == 0;
	case VALUE_TEXT:
		return strcmp(a->u.s, b->u.s) == 0;
	}
	return false;
}

bool value_number(const Value *v, double *out)
{
	switch (v->type) {
	case VALUE_INT:
		*out = (double)v->u.i;
		return true;
	case VALUE_DOUBLE:
		*out = v->u.d;
		return true;
	default:
		return false;
	}
}

BataggValue value_view(const Value *v)
{
	BataggValue bv = {.type = BATAGG_VALUE_INVALID};

	if (value_number(v, &bv.number))
		bv.type = BATAGG_VALUE_NUMBER;
	else if (v->type == VALUE_TEXT)
		bv = (BataggValue){.type = BATAGG_VALUE_TEXT, .text = v->u.s};
	return bv;
}

Value value_from_view(const BataggValue *bv)
{
	switch (bv->type) {
	case BATAGG_VALUE_NUMBER:
		return value_double(bv->number);
	case BATAGG_VALUE_TEXT:
		return value_text(bv->text);
	default:
		return VALUE_INIT;
	}
}

/* Text that reads back as the same double, short when it can be (as
 * Python's str(float)): most values need 15 digits, a few 16 or 17. */
static char *format_double(double d)
{
	char buf[64];

	if (!isfinite(d))
		return g_strdup(isnan(d) ? "nan" : d > 0 ? "inf" : "-inf");
	for (int precision = 15; precision <= 17; precision++) {
		snprintf(buf, sizeof(buf), "%.*g", precision, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	return g_strdup(buf);
}

static char *format_unit(double d, Unit unit)
{
	switch (unit) {
	case UNIT_VOLT:
		return g_strdup_printf("%.3fV", d);
	case UNIT_AMP:
		return g_strdup_printf("%.3fA", d);
	case UNIT_WATT:
		return g_strdup_printf("%.2fW", d);
	case UNIT_AH:
		return g_strdup_printf("%.3fAh", d);
	case UNIT_PERCENT:
		return g_strdup_printf("%.2f%%", d);
	case UNIT_NONE:
		break;
	}
	return format_double(d);
}

char *value_format(const Value *v, Unit unit)
{
	double d;

	if (v->type == VALUE_INVALID)
		return g_strdup("---");
	if (v->type == VALUE_TEXT)
		return g_strdup(v->u.s);
	if (unit == UNIT_NONE && v->type == VALUE_INT)
		return g_strdup_printf("%" G_GINT64_FORMAT, v->u.i);
	value_number(v, &d);
	return format_unit(d, unit);
}

BataggNum value_num(const Value *v)
{
	BataggNum n = {0};

	n.valid = value_number(v, &n.value);
	return n;
}
