/* SPDX-License-Identifier: MIT */
/*
 * Values on the wire: decoding whatever a publisher sends into a Value, and
 * encoding a Value as Victron expects (invalid = empty "ai").
 */
#ifndef BATAGG_DBUS_VALUE_H
#define BATAGG_DBUS_VALUE_H

#include <dbus/dbus.h>

#include "value.h"

/* Reads the value at iter, which points at a variant (or, for callers that
 * already entered it, at the contained value when in_variant is false).
 * Every integer type and booleans become VALUE_INT, doubles VALUE_DOUBLE,
 * strings VALUE_TEXT; an empty array, and anything else (a non-empty array,
 * a struct, a dict, an object path, nested variants beyond a few levels)
 * becomes VALUE_INVALID.  Never fails; *out is overwritten (cleared first). */
void dbus_value_read(DBusMessageIter *iter, Value *out);

/* Appends v to iter as a variant: INT as "i" (or "x" when it does not fit
 * int32), DOUBLE as "d", TEXT as "s", INVALID as an empty "ai". */
void dbus_value_append_variant(DBusMessageIter *iter, const Value *v);

#endif
