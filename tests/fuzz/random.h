/* SPDX-License-Identifier: MIT */
/*
 * Random D-Bus values for busfuzz, each drawn from a GRand so that a seed
 * replays them: numbers with their special values (NaN, infinities,
 * denormals, extremes), valid UTF-8 texts up to 1 MiB, object paths, types
 * of any nesting, Victron's invalid (empty arrays), and the plausible values
 * a healthy battery sends.  Whatever is appended to a message is also
 * described in desc (appended to), for the fuzzer's record of what it sent.
 */
#ifndef BATAGG_FUZZ_RANDOM_H
#define BATAGG_FUZZ_RANDOM_H

#include <dbus/dbus.h>
#include <glib.h>

/* The type a wild value mostly has. */
typedef enum {
	BIAS_NUMBER,
	BIAS_TEXT,
	BIAS_ANY,
} Bias;

/* True one time in n. */
gboolean rnd_one_in(GRand *r, int n);

/* One of the n entries of list. */
const char *rnd_pick(GRand *r, const char *const *list, size_t n);
#define RND_PICK(r, list) rnd_pick((r), (list), G_N_ELEMENTS(list))

/* Whether a battery path holds text (/CustomName, /Info/ChargeMode, the
 * cell ids). */
gboolean rnd_is_text_path(const char *path);

/* (transfer full) Valid UTF-8: words batagg looks for, characters of every
 * length, and runs of them up to 1 MiB, so that a cut by bytes splits one. */
char *rnd_string(GRand *r);

/* (transfer full) A valid object path of 0 to 200 elements. */
char *rnd_object_path(GRand *r);

/* Appends one random complete type (depth-limited) to sig. */
void rnd_type(GRand *r, GString *sig);

/* Appends a value of the complete type at *sig, and advances *sig past it. */
void rnd_fill(GRand *r, DBusMessageIter *it, const char **sig, GString *desc);

/* Appends a variant: mostly of the biased type with its special values,
 * else of any type or invalid, sometimes inside 1 to 10 more variants. */
void rnd_wild(GRand *r, DBusMessageIter *it, Bias bias, GString *desc);

/* Appends a variant a healthy battery would send for path. */
void rnd_sane(GRand *r, DBusMessageIter *it, const char *path, GString *desc);

#endif
