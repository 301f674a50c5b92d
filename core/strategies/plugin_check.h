/* SPDX-License-Identifier: MIT */
/*
 * Plugin checks: whether what a plugin file exports is sound, before any
 * of it is registered.  The descriptor's interface version and size, and
 * each strategy table's kind, size, name and required function; a sound
 * one is copied to this daemon's full size.  Every refusal is a
 * BATAGG_PLUGIN_ERROR whose message starts with the file's path.  Knows
 * nothing of the registry: registry.c decides what to do with them.
 */
#ifndef BATAGG_PLUGIN_CHECK_H
#define BATAGG_PLUGIN_CHECK_H

#include <glib.h>

#include "batagg/plugin.h"

/* Checks the descriptor raw of the file path (its version and size), then
 * copies it into *desc: the fields beyond raw's struct_size read as NULL.
 * FALSE with error set when it is refused. */
gboolean plugin_check_desc(const char *path, const BataggPluginDesc *raw, BataggPluginDesc *desc,
                           GError **error);

/* Checks one strategy table of the file path, built for interface major
 * (2 or 3), and returns (transfer full, g_free()) the registry's copy of
 * it, of this daemon's full size: a 2.x table's fields moved after 3.0's
 * head, the fields beyond the plugin's struct_size reading as NULL.  NULL
 * with error set when it is refused: an unknown kind, too small, no valid
 * name, no required function, a path in reads that is no object path, a
 * merge policy's or hook's key path batagg does not read. */
BataggStrategy *plugin_check_table(const char *path, const BataggStrategy *head, uint32_t major,
                                   GError **error);

/* Whether table t's options help (t->options) matches what its create()
 * accepts: create() is called with each documented option alone (a
 * number 0, an empty text, false), and refusing one as it refuses an
 * option it does not know refuses the plugin (error set, naming the file
 * and the option).  A create() that takes any option cannot be checked;
 * families ("ccls/<threshold>") are not tried. */
gboolean plugin_check_options(const char *path, const BataggStrategy *t, GError **error);

#endif
