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
        [BATAGG_KIND_RATIO] = sizeof(BataggRatioMethod),
        [BATAGG_KIND_CVL] = sizeof(BataggCvlMode),
        [BATAGG_KIND_MERGE] = sizeof(BataggMergePolicy),
        [BATAGG_KIND_HOOK] = sizeof(BataggHook),
};
static const size_t min_size[KIND_N] = {
        [BATAGG_KIND_RATIO] = END_OF(BataggRatioMethod, ratios),
        [BATAGG_KIND_CVL] = END_OF(BataggCvlMode, cvl),
        [BATAGG_KIND_MERGE] = END_OF(BataggMergePolicy, merge),
        [BATAGG_KIND_HOOK] = END_OF(BataggHook, value),
};

/* The descriptor of interface 2.0; later minors may append fields. */
#define DESC_MIN_SIZE END_OF(BataggPluginDesc, strategies)

/* A zero-filled table of this daemon's size holding the first struct_size
 * bytes of the plugin's: every field the plugin's build lacks reads as NULL,
 * so the rest of the core may read any field of a registered table. */
static BataggStrategy *copy_table(const BataggStrategy *head)
{
	void *copy = g_malloc0(full_size[head->kind]);

	memcpy(copy, head, MIN(head->struct_size, full_size[head->kind]));
	return copy;
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
		return ((const BataggHook *)s)->provides && ((const BataggHook *)s)->value;
	default:
		return FALSE;
	}
}

/* Checks one head and, when it is sound, copies its table. */
BataggStrategy *plugin_check_table(const char *path, const BataggStrategy *head, GError **error)
{
	BataggStrategy *copy;

	if (!kind_known(head->kind)) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_INVALID,
		            "%s: a strategy has kind %u, which this interface does not know", path,
		            head->kind);
		return NULL;
	}
	if (head->struct_size < min_size[head->kind]) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_INVALID,
		            "%s: a %s table is %u bytes, smaller than the %zu this interface "
		            "needs",
		            path, kind_name(head->kind), head->struct_size, min_size[head->kind]);
		return NULL;
	}
	copy = copy_table(head);
	if (!valid_name(copy->name)) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_INVALID,
		            "%s: a %s has an invalid name '%s' (letters, digits, '_' and '.' "
		            "only, at most 64)",
		            path, kind_name(copy->kind), copy->name ? copy->name : "(null)");
	} else if (!has_required(copy)) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_INVALID,
		            "%s: %s '%s' lacks its required function", path, kind_name(copy->kind),
		            copy->name);
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
	/* abi_major, abi_minor and struct_size lead every version. */
	if (raw->abi_major != BATAGG_PLUGIN_ABI_MAJOR || raw->abi_minor > BATAGG_PLUGIN_ABI_MINOR) {
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
