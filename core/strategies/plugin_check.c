/* SPDX-License-Identifier: MIT */
/*
 * Plugin checks: see plugin_check.h.  A table is checked on the plugin's
 * bytes only as far as its struct_size says it has them, then copied to a
 * zero-filled table of this daemon's size, which alone is checked further
 * and registered.
 */
#include "strategies/plugin_check.h"

#include <stddef.h>
#include <string.h>

#include "base/kind.h"
#include "base/paths.h"
#include "strategies/trust.h"

/* Names users write in config.json (plugin.h): letters, digits, '_' and
 * '.', at most 64 bytes.  Capitals and dots keep the hook ids existing
 * configs use for hooks. */
static gboolean valid_name(const char *name)
{
	size_t n = 0;

	if (!name || !*name)
		return FALSE;
	for (const char *c = name; *c; c++, n++) {
		if (!g_ascii_isalnum(*c) && *c != '_' && *c != '.')
			return FALSE;
	}
	return n <= 64;
}

/* The end of a field: a table of struct_size bytes has it when this fits. */
#define END_OF(type, field) (offsetof(type, field) + sizeof(((type *)NULL)->field))

/* Each kind's table as this daemon knows it, and the part of it a plugin
 * must provide: up to its last required field. */
static const size_t full_size[KIND_N] = {
        [BATAGG_KIND_RATIO] = sizeof(BataggRatioMethod), [BATAGG_KIND_CVL] = sizeof(BataggCvlMode),
        [BATAGG_KIND_MERGE] = sizeof(BataggMergePolicy), [BATAGG_KIND_HOOK] = sizeof(BataggHook),
        [BATAGG_KIND_LIMITER] = sizeof(BataggLimiter),
};
static const size_t min_size[KIND_N] = {
        [BATAGG_KIND_RATIO] = END_OF(BataggRatioMethod, ratios),
        [BATAGG_KIND_CVL] = END_OF(BataggCvlMode, cvl),
        [BATAGG_KIND_MERGE] = END_OF(BataggMergePolicy, merge),
        [BATAGG_KIND_HOOK] = END_OF(BataggHook, value),
        [BATAGG_KIND_LIMITER] = END_OF(BataggLimiter, caps),
};

/* The descriptor of interface 2.0; later minors may append fields. */
#define DESC_MIN_SIZE END_OF(BataggPluginDesc, strategies)

/* Interface 2.x's head is 3.0's up to reads: 3.0 appended reads,
 * member_state_size, save_member, restore_member and reset to it, so a 2.x
 * table's own fields stand this much earlier than 3.0's. */
#define V2_HEAD offsetof(BataggStrategy, reads)
#define V2_SHIFT (sizeof(BataggStrategy) - V2_HEAD)

/* The size a table of interface major has, as 3.0 counts it. */
static size_t size_as_3(const BataggStrategy *head, uint32_t major)
{
	return major >= 3 ? head->struct_size : head->struct_size + V2_SHIFT;
}

/* A zero-filled table of this daemon's size holding the plugin's fields
 * (the first struct_size bytes; a 2.x table's own fields moved after 3.0's
 * head): every field the plugin's build lacks reads as NULL, so the rest of
 * the core may read any field of a registered table. */
static BataggStrategy *copy_table(const BataggStrategy *head, uint32_t major)
{
	size_t full = full_size[head->kind];
	char *copy = g_malloc0(full);

	if (major >= 3) {
		memcpy(copy, head, MIN(head->struct_size, full));
	} else {
		memcpy(copy, head, V2_HEAD);
		memcpy(copy + sizeof(BataggStrategy), (const char *)head + V2_HEAD,
		       MIN(head->struct_size - V2_HEAD, full - sizeof(BataggStrategy)));
	}
	((BataggStrategy *)(void *)copy)->struct_size = (uint32_t)MIN(size_as_3(head, major), full);
	return (BataggStrategy *)(void *)copy;
}

/* An object path as D-Bus has them: "/", or "/" elements of [A-Za-z0-9_]
 * joined by "/". */
static gboolean object_path(const char *p)
{
	if (!p || p[0] != '/')
		return FALSE;
	if (!p[1])
		return TRUE;
	for (const char *c = p + 1; *c; c++) {
		if (*c == '/' ? (c[-1] == '/' || !c[1]) : !(g_ascii_isalnum(*c) || *c == '_'))
			return FALSE;
	}
	return TRUE;
}

/* A battery path batagg reads (docs/PATHS.md) of a member, or of a virtual
 * battery (merged) when merged. */
static gboolean battery_path(const char *p, gboolean merged)
{
	int id = paths_find(p);

	return id >= 0 && (!merged || id < N_BATTERY_PATHS);
}

/* What is wrong with the paths a table names (the head's reads, a merge
 * policy's key paths, a hook's key paths), or NULL. */
static char *bad_paths(const BataggStrategy *s)
{
	const BataggMergePolicy *m = (const BataggMergePolicy *)s;
	const BataggHook *h = (const BataggHook *)s;

	for (size_t i = 0; s->reads && s->reads[i]; i++) {
		if (!object_path(s->reads[i]))
			return g_strdup_printf("reads: \"%s\" is no D-Bus object path",
			                       s->reads[i]);
	}
	if (s->kind == BATAGG_KIND_MERGE) {
		if (m->key_path && !battery_path(m->key_path, FALSE))
			return g_strdup_printf("key_path: batagg does not read \"%s\"",
			                       m->key_path);
		if (m->second_key_path && !battery_path(m->second_key_path, FALSE))
			return g_strdup_printf("second_key_path: batagg does not read \"%s\"",
			                       m->second_key_path);
	}
	if (s->kind == BATAGG_KIND_HOOK) {
		if (h->key_path && !battery_path(h->key_path, TRUE))
			return g_strdup_printf("key_path: batagg does not merge \"%s\"",
			                       h->key_path);
		for (size_t i = 0; h->key_paths && h->key_paths[i]; i++) {
			if (!battery_path(h->key_paths[i], TRUE))
				return g_strdup_printf("key_paths: batagg does not merge \"%s\"",
				                       h->key_paths[i]);
		}
		if (h->key_paths && !h->values)
			return g_strdup("key_paths without values()");
	}
	return NULL;
}

static gboolean has_required(const BataggStrategy *s)
{
	switch (s->kind) {
	case BATAGG_KIND_RATIO:
		return ((const BataggRatioMethod *)s)->ratios != NULL;
	case BATAGG_KIND_CVL:
		return ((const BataggCvlMode *)s)->cvl != NULL;
	case BATAGG_KIND_MERGE:
		return ((const BataggMergePolicy *)s)->merge != NULL;
	case BATAGG_KIND_HOOK:
		/* value(), or (3.0) values() with key_paths. */
		return ((const BataggHook *)s)->provides &&
		       (((const BataggHook *)s)->value || ((const BataggHook *)s)->values);
	case BATAGG_KIND_LIMITER:
		return ((const BataggLimiter *)s)->caps != NULL;
	default:
		return FALSE;
	}
}

/* Checks one head and, when it is sound, copies its table. */
BataggStrategy *plugin_check_table(const char *path, const BataggStrategy *head, uint32_t major,
                                   GError **error)
{
	BataggStrategy *copy;
	g_autofree char *why = NULL;

	if (!kind_known(head->kind) || (major < 3 && head->kind > BATAGG_KIND_HOOK)) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_INVALID,
		            "%s: a strategy has kind %u, which this interface does not know", path,
		            head->kind);
		return NULL;
	}
	if (size_as_3(head, major) < min_size[head->kind] ||
	    (major < 3 && head->struct_size < V2_HEAD)) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_INVALID,
		            "%s: a %s table is %u bytes, smaller than the %zu this interface "
		            "needs",
		            path, kind_name(head->kind), head->struct_size,
		            major < 3 ? min_size[head->kind] - V2_SHIFT : min_size[head->kind]);
		return NULL;
	}
	copy = copy_table(head, major);
	if (!valid_name(copy->name)) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_INVALID,
		            "%s: a %s has an invalid name '%s' (letters, digits, '_' and '.' "
		            "only, at most 64)",
		            path, kind_name(copy->kind), copy->name ? copy->name : "(null)");
	} else if (!has_required(copy)) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_INVALID,
		            "%s: %s '%s' lacks its required function", path, kind_name(copy->kind),
		            copy->name);
	} else if ((why = bad_paths(copy))) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_INVALID,
		            "%s: refused: %s '%s': %s", path, kind_name(copy->kind), copy->name,
		            why);
	} else {
		return copy;
	}
	g_free(copy);
	return NULL;
}

/* Checks the descriptor's version and size, then copies it into *desc the
 * way copy_table() copies a table. */
gboolean plugin_check_desc(const char *path, const BataggPluginDesc *raw, BataggPluginDesc *desc,
                           GError **error)
{
	/* abi_major, abi_minor and struct_size lead every version.  2.x
	 * plugins load too (copy_table()). */
	if (raw->abi_major < 2 || raw->abi_major > BATAGG_PLUGIN_ABI_MAJOR ||
	    (raw->abi_major == BATAGG_PLUGIN_ABI_MAJOR &&
	     raw->abi_minor > BATAGG_PLUGIN_ABI_MINOR)) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_ABI,
		            "%s: refused: built for plugin interface %u.%u; this batagg provides "
		            "%d.%d (rebuild it against this batagg's <batagg/plugin.h>)",
		            path, raw->abi_major, raw->abi_minor, BATAGG_PLUGIN_ABI_MAJOR,
		            BATAGG_PLUGIN_ABI_MINOR);
		return FALSE;
	}
	memset(desc, 0, sizeof(*desc));
	memcpy(desc, raw, MIN(raw->struct_size, sizeof(*desc)));
	if (raw->struct_size < DESC_MIN_SIZE || !desc->name) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_INVALID,
		            "%s: refused: malformed descriptor (size %u, name %s)", path,
		            raw->struct_size, desc->name ? desc->name : "missing");
		return FALSE;
	}
	return TRUE;
}

/* text with every from replaced by to. */
static char *replace_all(const char *text, const char *from, const char *to)
{
	g_auto(GStrv) parts = g_strsplit(text, from, -1);

	return g_strjoinv(to, parts);
}

/* ---- options help against create() --------------------------------------- */

static void quiet_log(const BataggHost *host, int level, const char *fmt, ...)
{
}

static bool no_value(const BataggHost *host, const BataggMember *m, const char *path,
                     BataggValue *out)
{
	*out = (BataggValue){0};
	return false;
}

static double no_time(const BataggHost *host)
{
	return 0;
}

static void no_call(const BataggHost *host, double seconds)
{
}

static void *no_state(const BataggHost *host, const BataggMember *m)
{
	return NULL;
}

/* A host for probing create(): it says nothing and has no members. */
static const BataggHost probe_host = {
        .struct_size = sizeof(BataggHost),
        .log = quiet_log,
        .value = no_value,
        .now = no_time,
        .call_again = no_call,
        .member_state = no_state,
};

/* create() with the one option o: NULL when accepted, else its message. */
static char *refusal(const BataggStrategy *t, const BataggOption *o)
{
	BataggError err = {.option = -1};
	void *state = t->create(&probe_host, o, 1, &err);

	if (state) {
		if (t->destroy)
			t->destroy(state);
		return NULL;
	}
	err.message[sizeof(err.message) - 1] = '\0';
	return g_strdup(err.message);
}

gboolean plugin_check_options(const char *path, const BataggStrategy *t, GError **error)
{
	static const BataggOption unknown = {
	        .key = "batagg.no.such.option", .type = BATAGG_OPTION_NUMBER, .text = "0"};
	g_autofree char *unknown_said = NULL;

	if (!t->create || !t->options)
		return TRUE;
	/* What create() says of an option it does not know; one that takes
	 * anything cannot be checked. */
	unknown_said = refusal(t, &unknown);
	if (!unknown_said)
		return TRUE;
	for (const BataggOptionHelp *h = t->options; h->key; h++) {
		BataggOption o = {.key = h->key};
		g_autofree char *said = NULL;
		g_autofree char *as_unknown = NULL;

		/* A family ("ccls/<threshold>") has no one key to try. */
		if (strchr(h->key, '<'))
			continue;
		if (h->type && strcmp(h->type, "text") == 0)
			o = (BataggOption){.key = h->key, .type = BATAGG_OPTION_TEXT, .text = ""};
		else if (h->type && strcmp(h->type, "boolean") == 0)
			o = (BataggOption){
			        .key = h->key, .type = BATAGG_OPTION_BOOL, .text = "false"};
		else
			o = (BataggOption){
			        .key = h->key, .type = BATAGG_OPTION_NUMBER, .text = "0"};
		said = refusal(t, &o);
		/* The same words as for an option it does not know, the key
		 * aside: it does not know this one either. */
		as_unknown = said ? replace_all(unknown_said, unknown.key, h->key) : NULL;
		if (said && (strcmp(said, unknown_said) == 0 || strcmp(said, as_unknown) == 0)) {
			g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_INVALID,
			            "%s: refused: %s '%s': options: it documents '%s', but its "
			            "create() refuses it as it refuses an option it does not know "
			            "(\"%s\")",
			            path, kind_name(t->kind), t->name, h->key, said);
			return FALSE;
		}
	}
	return TRUE;
}
