/* SPDX-License-Identifier: MIT */
/*
 * Values on the wire: decoding whatever a publisher sends into a Value, and
 * encoding a Value as Victron expects (invalid = empty "ai").  Every string
 * batagg sends passes through here (dbus_value_append_string), so that
 * libdbus, which aborts the process on a string that is not UTF-8, never
 * sees one.
 */
#ifndef BATAGG_DBUS_VALUE_H
#define BATAGG_DBUS_VALUE_H

#include <dbus/dbus.h>
#include <glib.h>

#include "base/value.h"

/* The longest text kept from the bus, in bytes.  No battery value comes
 * near it; the bound keeps a publisher's 4 MiB string out of the daemon's
 * memory and out of every merge that reads it. */
#define DBUS_VALUE_TEXT_MAX 1024

/* Reads the value at iter, which points at a variant (or, for callers that
 * already entered it, at the contained value).  Every integer type and
 * booleans become VALUE_INT, doubles VALUE_DOUBLE, strings VALUE_TEXT (cut
 * between characters to DBUS_VALUE_TEXT_MAX bytes); an empty array, and
 * anything else (a non-empty array, a struct, a dict, an object path,
 * nested variants beyond a few levels) becomes VALUE_INVALID.  Never fails;
 * *out is overwritten (cleared first). */
void dbus_value_read(DBusMessageIter *iter, Value *out);

/* Appends v to iter as a variant: INT as "i" (or "x" when it does not fit
 * int32), DOUBLE as "d", TEXT as "s" (as dbus_value_append_string), INVALID
 * as an empty "ai". */
void dbus_value_append_variant(DBusMessageIter *iter, const Value *v);

/* Appends s to iter as a string ("s"); text that is not valid UTF-8 is
 * repaired first (each bad byte becomes U+FFFD). */
void dbus_value_append_string(DBusMessageIter *iter, const char *s);

/* An error reply to call, named name, whose message is formatted from fmt
 * and repaired like a string.  Returns (transfer full) the reply. */
DBusMessage *dbus_value_error(DBusMessage *call, const char *name, const char *fmt, ...)
        G_GNUC_PRINTF(3, 4);

#endif
