/* SPDX-License-Identifier: MIT */
/*
 * Value: one path's value inside the daemon, as D-Bus carries it (invalid,
 * integer, double or text).  A Value owns its text; value_clear() frees it.
 * Conversion to and from D-Bus messages lives in dbus_value.c; conversion to
 * the plugin view (BataggValue) is value_view().
 */
#ifndef BATAGG_VALUE_H
#define BATAGG_VALUE_H

#include <stdbool.h>
#include <stdint.h>

#include "batagg/plugin.h"

typedef enum {
	VALUE_INVALID = 0, /* Victron's empty value */
	VALUE_INT,         /* u.i: int32 on the bus, int64 when it does not fit */
	VALUE_DOUBLE,      /* u.d */
	VALUE_TEXT,        /* u.s: owned, NUL-terminated */
} ValueType;

typedef struct {
	ValueType type;
	union {
		int64_t i;
		double d;
		char *s;
	} u;
} Value;

#define VALUE_INIT ((Value){.type = VALUE_INVALID})

static inline Value value_int(int64_t i)
{
	return (Value){.type = VALUE_INT, .u.i = i};
}

static inline Value value_double(double d)
{
	return (Value){.type = VALUE_DOUBLE, .u.d = d};
}

/* A Value that owns a copy of s (NULL gives an invalid value). */
Value value_text(const char *s);

/* Likewise, but of at most max bytes of the UTF-8 text s: a longer text is
 * cut between characters. */
Value value_text_cut(const char *s, size_t max);

/* Frees owned text and leaves *v invalid. */
void value_clear(Value *v);

/* *dst becomes a deep copy of *src (dst's old contents are freed). */
void value_copy(Value *dst, const Value *src);

/* Like value_copy(), but a text that fits in dst's text goes there: a
 * cell id "C3" that becomes "C7" costs no allocation. */
void value_assign(Value *dst, const Value *src);

/* Moves *src into *dst (dst's old contents are freed); *src becomes invalid. */
void value_move(Value *dst, Value *src);

/* Same type and same value (an int and a double of equal value differ: the
 * bus type changed, which clients see). */
bool value_equal(const Value *a, const Value *b);

/* True, with *out set, for INT and DOUBLE. */
bool value_number(const Value *v, double *out);

/* The plugin's view of v; text is borrowed from v. */
BataggValue value_view(const Value *v);

/* A number, or invalid (text and invalid values are no number). */
BataggNum value_num(const Value *v);

/* A Value from a plugin's result (numbers become doubles). */
Value value_from_view(const BataggValue *bv);

typedef enum {
	UNIT_NONE = 0,
	UNIT_VOLT,    /* "%.3fV" */
	UNIT_AMP,     /* "%.3fA" */
	UNIT_WATT,    /* "%.2fW" */
	UNIT_AH,      /* "%.3fAh" */
	UNIT_PERCENT, /* "%.2f%%" */
} Unit;

/* GetText of v: "---" when invalid, the unit's format for numbers, plain text
 * otherwise.  Returns a newly allocated string (free with g_free). */
char *value_format(const Value *v, Unit unit);

#endif
