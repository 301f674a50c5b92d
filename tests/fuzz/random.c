/* SPDX-License-Identifier: MIT */
/*
 * Random D-Bus values for busfuzz (see random.h).  Types are drawn first,
 * as signatures, then filled, so that containers and variants nest to any
 * (bounded) depth and every message libdbus builds is valid: the bugs
 * looked for are batagg's, not the fuzzer's.
 */
#include "random.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define MAX_STRING (1 << 20)

gboolean rnd_is_text_path(const char *path)
{
	return strcmp(path, "/CustomName") == 0 || strcmp(path, "/Info/ChargeMode") == 0 ||
	       g_str_has_suffix(path, "CellId");
}

gboolean rnd_one_in(GRand *r, int n)
{
	return g_rand_int_range(r, 0, n) == 0;
}

const char *rnd_pick(GRand *r, const char *const *list, size_t n)
{
	return list[g_rand_int_range(r, 0, (gint32)n)];
}

static double random_double(GRand *r)
{
	static const double special[] = {
	        0.0,     -0.0,    1.0,      -1.0,  4.9e-324, -4.9e-324, DBL_MIN / 4,
	        DBL_MIN, DBL_MAX, -DBL_MAX, 1e300, -1e300,   1e-300,    53.2,
	        3.3,     -1000.0, 1e9,      -1e9,  0.5,      2.0,       100.0,
	};

	switch (g_rand_int_range(r, 0, 8)) {
	case 0:
		return NAN;
	case 1:
		return rnd_one_in(r, 2) ? INFINITY : -INFINITY;
	case 2:
	case 3:
		return special[g_rand_int_range(r, 0, G_N_ELEMENTS(special))];
	case 4:
		return -g_rand_double_range(r, 0, 1000);
	default:
		return g_rand_double_range(r, -500, 500);
	}
}

static dbus_int64_t random_int(GRand *r)
{
	static const dbus_int64_t special[] = {
	        0,         1,         -1,
	        2,         255,       65535,
	        INT32_MAX, INT32_MIN, (dbus_int64_t)INT32_MAX + 1,
	        INT64_MAX, INT64_MIN,
	};

	if (rnd_one_in(r, 2))
		return special[g_rand_int_range(r, 0, G_N_ELEMENTS(special))];
	return g_rand_int_range(r, -100000, 100000);
}

/* Valid UTF-8 (libdbus sends nothing else): ASCII, words batagg looks for,
 * multi-byte characters of every length, and long runs of them so that any
 * cut by bytes lands inside one. */
char *rnd_string(GRand *r)
{
	static const char *const words[] = {
	        "",
	        "Float",
	        "Bulk",
	        "Absorption",
	        "Bulk (Balancing)",
	        "C1",
	        "Fuzz Excluded",
	        "Rack A",
	        "float bulk",
	        "DEBUG",
	        "INFO",
	        "é",
	        "€",
	        "\xf0\x9d\x84\x9e",
	        "电池组",
	        "e\xcc\x81",
	        "בטריה",
	        "\xf0\x9f\x94\x8b",
	        "\x7f",
	        "%s%n%x",
	};
	static const char *const units[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x94\x8b", "a",
	                                    "\xe7\x94\xb5"};
	const char *unit;
	GString *s;
	size_t len;

	if (!rnd_one_in(r, 4))
		return g_strdup(RND_PICK(r, words));
	unit = RND_PICK(r, units);
	/* Mostly a few hundred bytes; sometimes up to 1 MiB. */
	len = rnd_one_in(r, 8) ? (size_t)g_rand_int_range(r, 1, MAX_STRING)
	                       : (size_t)g_rand_int_range(r, 1, 600);
	s = g_string_sized_new(len + 4);
	if (rnd_one_in(r, 2))
		g_string_append_c(s, 'x'); /* shifts where a byte cut falls */
	while (s->len + strlen(unit) <= len)
		g_string_append(s, unit);
	return g_string_free(s, FALSE);
}

char *rnd_object_path(GRand *r)
{
	static const char chars[] = "abcXYZ019_";
	GString *s = g_string_new(NULL);
	int segments = g_rand_int_range(r, 0, rnd_one_in(r, 20) ? 200 : 5);

	for (int i = 0; i < segments; i++) {
		int n = g_rand_int_range(r, 1, 12);

		g_string_append_c(s, '/');
		for (int k = 0; k < n; k++)
			g_string_append_c(s, chars[g_rand_int_range(r, 0, sizeof(chars) - 1)]);
	}
	if (s->len == 0)
		g_string_append_c(s, '/');
	return g_string_free(s, FALSE);
}

static void append_preview(GString *desc, const char *s)
{
	size_t len = strlen(s);

	if (len <= 16) {
		g_string_append_printf(desc, "\"%s\"", s);
		return;
	}
	g_string_append_printf(desc, "\"%.*s...\"[%zu B]",
	                       (int)(g_utf8_offset_to_pointer(s, 4) - s), s, len);
}

/* One random complete type, depth-limited, appended to sig. */
static void random_type(GRand *r, GString *sig, int depth)
{
	static const char basics[] = "ybnqiuxtdsog";
	int kind = depth >= 3 ? 0 : g_rand_int_range(r, 0, 10);

	if (kind < 6) {
		g_string_append_c(sig, basics[g_rand_int_range(r, 0, sizeof(basics) - 1)]);
	} else if (kind < 8) {
		g_string_append_c(sig, 'a');
		if (rnd_one_in(r, 2)) {
			g_string_append_c(sig, '{');
			g_string_append_c(sig, basics[g_rand_int_range(r, 0, sizeof(basics) - 1)]);
			random_type(r, sig, depth + 1);
			g_string_append_c(sig, '}');
		} else {
			random_type(r, sig, depth + 1);
		}
	} else if (kind < 9) {
		int n = g_rand_int_range(r, 1, 4);

		g_string_append_c(sig, '(');
		for (int i = 0; i < n; i++)
			random_type(r, sig, depth + 1);
		g_string_append_c(sig, ')');
	} else {
		g_string_append_c(sig, 'v');
	}
}

/* The end of the complete type that starts at sig. */
static const char *skip_type(const char *sig)
{
	switch (*sig) {
	case 'a':
		return skip_type(sig + 1);
	case '(':
		sig++;
		while (*sig != ')')
			sig = skip_type(sig);
		return sig + 1;
	case '{':
		sig = skip_type(sig + 1);
		sig = skip_type(sig);
		return sig + 1;
	default:
		return sig + 1;
	}
}

static void fill(GRand *r, DBusMessageIter *it, const char **sig, int depth, GString *desc);

static void fill_basic(GRand *r, DBusMessageIter *it, char type, GString *desc)
{
	DBusBasicValue b;
	g_autofree char *owned = NULL;
	static const char *const signatures[] = {"", "i", "a{sv}", "(id)", "v", "aai", "s"};

	switch (type) {
	case 'y':
		b.byt = (unsigned char)g_rand_int_range(r, 0, 256);
		g_string_append_printf(desc, "y=%u", b.byt);
		break;
	case 'b':
		b.bool_val = rnd_one_in(r, 2);
		g_string_append_printf(desc, "b=%u", b.bool_val);
		break;
	case 'n':
		b.i16 = (dbus_int16_t)random_int(r);
		g_string_append_printf(desc, "n=%d", b.i16);
		break;
	case 'q':
		b.u16 = (dbus_uint16_t)random_int(r);
		g_string_append_printf(desc, "q=%u", b.u16);
		break;
	case 'i':
		b.i32 = (dbus_int32_t)random_int(r);
		g_string_append_printf(desc, "i=%d", b.i32);
		break;
	case 'u':
		b.u32 = (dbus_uint32_t)random_int(r);
		g_string_append_printf(desc, "u=%u", b.u32);
		break;
	case 'x':
		b.i64 = random_int(r);
		g_string_append_printf(desc, "x=%" G_GINT64_FORMAT, (gint64)b.i64);
		break;
	case 't':
		b.u64 = rnd_one_in(r, 3) ? UINT64_MAX : (dbus_uint64_t)random_int(r);
		g_string_append_printf(desc, "t=%" G_GUINT64_FORMAT, (guint64)b.u64);
		break;
	case 'd':
		b.dbl = random_double(r);
		g_string_append_printf(desc, "d=%g", b.dbl);
		break;
	case 's':
		owned = rnd_string(r);
		b.str = owned;
		g_string_append(desc, "s=");
		append_preview(desc, owned);
		break;
	case 'o':
		owned = rnd_object_path(r);
		b.str = owned;
		g_string_append(desc, "o=");
		append_preview(desc, owned);
		break;
	default: /* 'g' */
		b.str = (char *)RND_PICK(r, signatures);
		g_string_append_printf(desc, "g=\"%s\"", b.str);
		break;
	}
	dbus_message_iter_append_basic(it, type, &b);
}

/* A value of the complete type at *sig (advanced past it). */
static void fill(GRand *r, DBusMessageIter *it, const char **sig, int depth, GString *desc)
{
	DBusMessageIter inner, entry;
	const char *end = skip_type(*sig);

	switch (**sig) {
	case 'a': {
		g_autofree char *elem = g_strndup(*sig + 1, (gsize)(end - *sig - 1));
		int n = rnd_one_in(r, 2) ? 0 : g_rand_int_range(r, 1, 5);

		g_string_append_printf(desc, "a%s[%d](", elem, n);
		dbus_message_iter_open_container(it, DBUS_TYPE_ARRAY, elem, &inner);
		for (int i = 0; i < n; i++) {
			const char *p = elem;

			if (*p == '{') {
				p++;
				dbus_message_iter_open_container(&inner, DBUS_TYPE_DICT_ENTRY, NULL,
				                                 &entry);
				fill(r, &entry, &p, depth + 1, desc);
				g_string_append_c(desc, ':');
				fill(r, &entry, &p, depth + 1, desc);
				dbus_message_iter_close_container(&inner, &entry);
			} else {
				fill(r, &inner, &p, depth + 1, desc);
			}
			g_string_append_c(desc, ' ');
		}
		dbus_message_iter_close_container(it, &inner);
		g_string_append_c(desc, ')');
		break;
	}
	case '(': {
		const char *p = *sig + 1;

		g_string_append_c(desc, '(');
		dbus_message_iter_open_container(it, DBUS_TYPE_STRUCT, NULL, &inner);
		while (*p != ')') {
			fill(r, &inner, &p, depth + 1, desc);
			g_string_append_c(desc, ' ');
		}
		dbus_message_iter_close_container(it, &inner);
		g_string_append_c(desc, ')');
		break;
	}
	case 'v': {
		g_autoptr(GString) isig = g_string_new(NULL);
		const char *p;

		random_type(r, isig, depth + 1);
		p = isig->str;
		g_string_append(desc, "v(");
		dbus_message_iter_open_container(it, DBUS_TYPE_VARIANT, isig->str, &inner);
		fill(r, &inner, &p, depth + 1, desc);
		dbus_message_iter_close_container(it, &inner);
		g_string_append_c(desc, ')');
		break;
	}
	default:
		fill_basic(r, it, **sig, desc);
		break;
	}
	*sig = end;
}

/* A plausible value for a battery path (what a healthy BMS sends). */
void rnd_sane(GRand *r, DBusMessageIter *it, const char *path, GString *desc)
{
	static const char *const modes[] = {"Bulk", "Absorption", "Float", "Bulk (Balancing)"};
	DBusMessageIter var;
	double d;

	if (rnd_is_text_path(path)) {
		const char *s = strcmp(path, "/Info/ChargeMode") == 0 ? RND_PICK(r, modes) : "C7";

		if (strcmp(path, "/CustomName") == 0)
			s = "Rack A";
		dbus_message_iter_open_container(it, DBUS_TYPE_VARIANT, "s", &var);
		dbus_message_iter_append_basic(&var, DBUS_TYPE_STRING, &s);
		g_string_append_printf(desc, "s=\"%s\"", s);
	} else if (g_str_has_prefix(path, "/Io/") || g_str_has_prefix(path, "/Alarms/") ||
	           strcmp(path, "/Balancing") == 0 || strstr(path, "NrOf")) {
		dbus_int32_t i = g_rand_int_range(r, 0, 3);

		dbus_message_iter_open_container(it, DBUS_TYPE_VARIANT, "i", &var);
		dbus_message_iter_append_basic(&var, DBUS_TYPE_INT32, &i);
		g_string_append_printf(desc, "i=%d", i);
	} else {
		if (strcmp(path, "/Dc/0/Voltage") == 0 ||
		    strcmp(path, "/Info/MaxChargeVoltage") == 0)
			d = g_rand_double_range(r, 50, 57);
		else if (strcmp(path, "/Dc/0/Current") == 0)
			d = g_rand_double_range(r, -100, 100);
		else if (strstr(path, "CellVoltage"))
			d = g_rand_double_range(r, 3.0, 3.6);
		else
			d = g_rand_double_range(r, 0, 300);
		dbus_message_iter_open_container(it, DBUS_TYPE_VARIANT, "d", &var);
		dbus_message_iter_append_basic(&var, DBUS_TYPE_DOUBLE, &d);
		g_string_append_printf(desc, "d=%g", d);
	}
	dbus_message_iter_close_container(it, &var);
}

/* One variant: mostly of the type the path expects (with its special
 * values: NaN, infinities, negatives, huge), else of any type. */
static void put_plain(GRand *r, DBusMessageIter *it, Bias bias, GString *desc)
{
	static const char *const empty[] = {"ai", "ad", "as", "a{sv}", "av"};
	g_autoptr(GString) sig = g_string_new(NULL);
	DBusMessageIter var, arr;
	int kind = g_rand_int_range(r, 0, 10);
	const char *p;

	if (kind == 0) {
		/* Victron's invalid, in any element type. */
		const char *e = RND_PICK(r, empty);

		g_string_append_printf(desc, "%s[]", e);
		dbus_message_iter_open_container(it, DBUS_TYPE_VARIANT, e, &var);
		dbus_message_iter_open_container(&var, DBUS_TYPE_ARRAY, e + 1, &arr);
		dbus_message_iter_close_container(&var, &arr);
		dbus_message_iter_close_container(it, &var);
		return;
	}
	if (bias == BIAS_NUMBER && kind < 6)
		g_string_append_c(sig, kind < 4 ? 'd' : "ybnqiuxt"[g_rand_int_range(r, 0, 8)]);
	else if (bias == BIAS_TEXT && kind < 6)
		g_string_append_c(sig, 's');
	else
		random_type(r, sig, 0);
	p = sig->str;
	dbus_message_iter_open_container(it, DBUS_TYPE_VARIANT, sig->str, &var);
	fill(r, &var, &p, 0, desc);
	dbus_message_iter_close_container(it, &var);
}

/* Variants in variants around a plain one. */
static void put_nested(GRand *r, DBusMessageIter *it, int depth, Bias bias, GString *desc)
{
	DBusMessageIter var;

	if (depth == 0) {
		put_plain(r, it, bias, desc);
		return;
	}
	g_string_append(desc, "v(");
	dbus_message_iter_open_container(it, DBUS_TYPE_VARIANT, "v", &var);
	put_nested(r, &var, depth - 1, bias, desc);
	dbus_message_iter_close_container(it, &var);
	g_string_append_c(desc, ')');
}

/* A wild value: one time in ten inside 1 to 10 more variants. */
void rnd_wild(GRand *r, DBusMessageIter *it, Bias bias, GString *desc)
{
	put_nested(r, it, rnd_one_in(r, 10) ? g_rand_int_range(r, 1, 11) : 0, bias, desc);
}

void rnd_type(GRand *r, GString *sig)
{
	random_type(r, sig, 0);
}

void rnd_fill(GRand *r, DBusMessageIter *it, const char **sig, GString *desc)
{
	fill(r, it, sig, 0, desc);
}
