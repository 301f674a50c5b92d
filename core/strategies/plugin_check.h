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

/* Checks one strategy table of the file path and returns (transfer full,
 * g_free()) the registry's copy of it, of this daemon's full size: the
 * fields beyond the plugin's struct_size read as NULL.  NULL with error
 * set when it is refused. */
BataggStrategy *plugin_check_table(const char *path, const BataggStrategy *head, GError **error);

#endif
