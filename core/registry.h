/* SPDX-License-Identifier: MIT */
/*
 * Registry: loads strategy plugins (GModule) and finds strategies by kind and
 * name.  The loader checks, in order, and refuses with a message that starts
 * with the file's path: before the file is opened (opening runs its
 * constructors), that it is trusted (the file and every directory above it
 * up to /, links in the directory resolved, owned by root or us and writable
 * by neither group nor others; the file a regular file, not a link); then,
 * loading the very file it checked, that it opens, that it exports
 * batagg_plugin, the interface version, every entry's validity, and that no
 * (kind, name) is already registered.  A file's entries are registered all
 * or none; loaded modules stay resident.
 */
#ifndef BATAGG_REGISTRY_H
#define BATAGG_REGISTRY_H

#include <glib.h>

#include "batagg/plugin.h"

typedef struct Registry Registry;

typedef enum {
	REGISTRY_RATIO = 0, /* BataggRatioMethod */
	REGISTRY_CVL,       /* BataggCvlMode */
	REGISTRY_MERGE,     /* BataggMergePolicy */
	REGISTRY_N_KINDS,
} RegistryKind;

#define BATAGG_PLUGIN_ERROR (batagg_plugin_error_quark())
GQuark batagg_plugin_error_quark(void);

typedef enum {
	BATAGG_PLUGIN_ERROR_UNSAFE_PATH,
	BATAGG_PLUGIN_ERROR_OPEN,
	BATAGG_PLUGIN_ERROR_NOT_A_PLUGIN,
	BATAGG_PLUGIN_ERROR_ABI,
	BATAGG_PLUGIN_ERROR_INVALID,
	BATAGG_PLUGIN_ERROR_DUPLICATE,
	BATAGG_PLUGIN_ERROR_UNKNOWN_NAME,
} BataggPluginError;

/* Returns (transfer full) an empty registry; free with registry_free(). */
Registry *registry_new(void);
void registry_free(Registry *reg);

/* Loads one plugin file.  FALSE with error set (its message starts with the
 * path) when refused; nothing of the file is registered then. */
gboolean registry_load_file(Registry *reg, const char *path, GError **error);

/* Loads every "*.so" in dir, in name order.  A refused file does not stop
 * the others: each refusal is appended to *errors (a GPtrArray of GError*,
 * created if NULL) and the function returns the number of files loaded, or
 * -1 with error set when the directory itself is unusable (missing, unsafe). */
int registry_load_dir(Registry *reg, const char *dir, GPtrArray **errors, GError **error);

/* The entry of that kind and name, or NULL; cast to the kind's table type.
 * It is the registry's copy of the plugin's table, of this daemon's full
 * size: the fields beyond the plugin's struct_size read as NULL (0), so any
 * field may be read.  The pointer stays valid for the registry's lifetime. */
const void *registry_find(Registry *reg, RegistryKind kind, const char *name);

/* Like registry_find(), but on failure sets error
 * (BATAGG_PLUGIN_ERROR_UNKNOWN_NAME) to "unknown <what> 'name'; known: a, b, c"
 * with the known names sorted. */
const void *registry_lookup(Registry *reg, RegistryKind kind, const char *name, GError **error);

/* Returns (transfer full) the sorted, comma-separated names of a kind. */
char *registry_names(Registry *reg, RegistryKind kind);

/* The file an entry came from (for messages), or NULL. */
const char *registry_origin(Registry *reg, RegistryKind kind, const char *name);

#endif
