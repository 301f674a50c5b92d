/* SPDX-License-Identifier: MIT */
/*
 * Values on the wire.  Reading accepts whatever a publisher sends: every
 * numeric type and booleans as numbers, strings as text, and anything else
 * (empty arrays, which Victron uses for "invalid", but also structs, dicts,
 * non-empty arrays) as invalid, so arithmetic never sees a wrong type.
 * Writing is where every string batagg sends gets its UTF-8 checked.
 */
#include "bus/dbus_value.h"

#include <stdarg.h>
#include <stdint.h>

#define MAX_VARIANT_DEPTH 4

static void read_basic(DBusMessageIter *iter, Value *out)
{
	DBusBasicValue b;

	switch (dbus_message_iter_get_arg_type(iter)) {
	case DBUS_TYPE_BYTE:
		dbus_message_iter_get_basic(iter, &b);
		*out = value_int(b.byt);
		break;
	case DBUS_TYPE_BOOLEAN:
		dbus_message_iter_get_basic(iter, &b);
		*out = value_int(b.bool_val ? 1 : 0);
		break;
	case DBUS_TYPE_INT16:
		dbus_message_iter_get_basic(iter, &b);
		*out = value_int(b.i16);
		break;
	case DBUS_TYPE_UINT16:
		dbus_message_iter_get_basic(iter, &b);
		*out = value_int(b.u16);
		break;
	case DBUS_TYPE_INT32:
		dbus_message_iter_get_basic(iter, &b);
		*out = value_int(b.i32);
		break;
	case DBUS_TYPE_UINT32:
		dbus_message_iter_get_basic(iter, &b);
		*out = value_int(b.u32);
		break;
	case DBUS_TYPE_INT64:
		dbus_message_iter_get_basic(iter, &b);
		*out = value_int(b.i64);
		break;
	case DBUS_TYPE_UINT64:
		dbus_message_iter_get_basic(iter, &b);
		/* Beyond int64 it is no battery value: a double keeps it finite. */
		if (b.u64 > INT64_MAX)
			*out = value_double((double)b.u64);
		else
			*out = value_int((int64_t)b.u64);
		break;
	case DBUS_TYPE_DOUBLE:
		dbus_message_iter_get_basic(iter, &b);
		*out = value_double(b.dbl);
		break;
	case DBUS_TYPE_STRING:
		dbus_message_iter_get_basic(iter, &b);
		*out = value_text_cut(b.str, DBUS_VALUE_TEXT_MAX);
		break;
	default:
		break;
	}
}

void dbus_value_read(DBusMessageIter *iter, Value *out)
{
	DBusMessageIter cur = *iter;

	value_clear(out);
	for (int depth = 0; depth <= MAX_VARIANT_DEPTH; depth++) {
		DBusMessageIter inner;

		if (dbus_message_iter_get_arg_type(&cur) != DBUS_TYPE_VARIANT) {
			read_basic(&cur, out);
			return;
		}
		dbus_message_iter_recurse(&cur, &inner);
		cur = inner;
	}
}

/* libdbus aborts on a string that is not UTF-8: repair it first.  This is
 * the only place that hands libdbus a string. */
void dbus_value_append_string(DBusMessageIter *iter, const char *s)
{
	g_autofree char *valid = NULL;

	if (!g_utf8_validate(s, -1, NULL)) {
		valid = g_utf8_make_valid(s, -1);
		s = valid;
	}
	dbus_message_iter_append_basic(iter, DBUS_TYPE_STRING, &s);
}

DBusMessage *dbus_value_error(DBusMessage *call, const char *name, const char *fmt, ...)
{
	DBusMessage *reply = dbus_message_new_error(call, name, NULL);
	g_autofree char *text = NULL;
	DBusMessageIter it;
	va_list ap;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	dbus_message_iter_init_append(reply, &it);
	dbus_value_append_string(&it, text);
	return reply;
}

void dbus_value_append_variant(DBusMessageIter *iter, const Value *v)
{
	DBusMessageIter var, arr;
	dbus_int32_t i32;
	dbus_int64_t i64;

	switch (v->type) {
	case VALUE_INT:
		if (v->u.i >= INT32_MIN && v->u.i <= INT32_MAX) {
			i32 = (dbus_int32_t)v->u.i;
			dbus_message_iter_open_container(iter, DBUS_TYPE_VARIANT, "i", &var);
			dbus_message_iter_append_basic(&var, DBUS_TYPE_INT32, &i32);
		} else {
			i64 = v->u.i;
			dbus_message_iter_open_container(iter, DBUS_TYPE_VARIANT, "x", &var);
			dbus_message_iter_append_basic(&var, DBUS_TYPE_INT64, &i64);
		}
		break;
	case VALUE_DOUBLE:
		dbus_message_iter_open_container(iter, DBUS_TYPE_VARIANT, "d", &var);
		dbus_message_iter_append_basic(&var, DBUS_TYPE_DOUBLE, &v->u.d);
		break;
	case VALUE_TEXT:
		dbus_message_iter_open_container(iter, DBUS_TYPE_VARIANT, "s", &var);
		dbus_value_append_string(&var, v->u.s);
		break;
	case VALUE_INVALID:
	default:
		dbus_message_iter_open_container(iter, DBUS_TYPE_VARIANT, "ai", &var);
		dbus_message_iter_open_container(&var, DBUS_TYPE_ARRAY, "i", &arr);
		dbus_message_iter_close_container(&var, &arr);
		break;
	}
	dbus_message_iter_close_container(iter, &var);
}
