/* SPDX-License-Identifier: MIT */
/*
 * Registry: loads strategy plugins (GModule) and finds strategies by kind and
 * name.  The loader checks, in order, and refuses with a message that starts
 * with the file's path: before the file is opened (opening runs its
 * constructors), that it is trusted (the file and every directory above it
 * up to /, links in the directory resolved, owned by root or us and writable
 * by neither group nor others; the file a regular file, not a link); then,
 * loading the very file it checked, that it opens, that it exports
 * batagg_plugin, the interface version, every strategy's validity, and that
 * no (kind, name) is already registered.  A file's strategies are
 * registered all or none; loaded modules stay resident.  The trust checks
 * are trust.c's, those of the descriptor and the tables plugin_check.c's.
 */
#ifndef BATAGG_REGISTRY_H
#define BATAGG_REGISTRY_H

#include <glib.h>

#include "batagg/plugin.h"
#include "base/kind.h"
#include "strategies/trust.h"

typedef struct Registry Registry;

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

/* The strategy of that kind and name, or NULL.  The table is the
 * registry's copy of the plugin's, of this daemon's full size: the fields
 * beyond the plugin's struct_size read as NULL (0), so any field may be
 * read; cast it to its kind's type.  Valid for the registry's lifetime. */
const BataggStrategy *registry_find(Registry *reg, BataggKind kind, const char *name);

/* Like registry_find(), but on failure sets error
 * (BATAGG_PLUGIN_ERROR_UNKNOWN_NAME) to "unknown <kind> 'name' (did you mean
 * 'x'?); known: a, b, c", the known names sorted. */
const BataggStrategy *registry_lookup(Registry *reg, BataggKind kind, const char *name,
                                      GError **error);

/* Returns (transfer full) what to tell a user who wrote name for a strategy
 * of kind that is not registered: 'unknown <what> "x" (did you mean "y"?);
 * known: "a", "b"', for a message that names the key as written ("value"
 * for a key whose value is the name). */
char *registry_unknown(Registry *reg, BataggKind kind, const char *what, const char *name);

/* Returns (transfer container) every strategy of kind (0: of every kind),
 * sorted by kind and name. */
GPtrArray *registry_list(Registry *reg, BataggKind kind);

/* The file a strategy came from. */
const char *registry_origin(Registry *reg, const BataggStrategy *s);

#endif
