/* SPDX-License-Identifier: MIT */
/*
 * Trust: opening plugin files only where nobody but root (or the user batagg
 * runs as) can have put them.  A shared object's constructors run when it
 * is opened, before its descriptor can be read, and batagg runs as root; so
 * the file, its directory and every directory above it must be owned by
 * root or us and writable by nobody else (a sticky directory owned by root
 * or us may stand above the plugin's own), and the file is no symbolic
 * link.  What is checked is what is loaded: the directory is opened once and
 * the file opened in it, and the module is loaded through that fd.
 */
#ifndef BATAGG_TRUST_H
#define BATAGG_TRUST_H

#include <glib.h>

/* The error domain of loading plugins: trust's, and the registry's. */
#define BATAGG_PLUGIN_ERROR (trust_error_quark())
GQuark trust_error_quark(void);

typedef enum {
	BATAGG_PLUGIN_ERROR_UNSAFE_PATH,
	BATAGG_PLUGIN_ERROR_OPEN,
	BATAGG_PLUGIN_ERROR_NOT_A_PLUGIN,
	BATAGG_PLUGIN_ERROR_ABI,
	BATAGG_PLUGIN_ERROR_INVALID,
	BATAGG_PLUGIN_ERROR_DUPLICATE,
	BATAGG_PLUGIN_ERROR_UNKNOWN_NAME,
} BataggPluginError;

/* Opens dir, following links (a linked directory is judged by where it
 * leads), and checks it and every directory above it.  Returns its fd, or
 * -1 with error set (BATAGG_PLUGIN_ERROR); messages start with path, the
 * file or directory being loaded. */
int trust_open_dir(const char *dir, const char *path, GError **error);

/* Opens name in the trusted directory dirfd, never through a link, and
 * checks the file it opened.  Returns its fd, or -1 with error set. */
int trust_open_file(int dirfd, const char *name, const char *path, GError **error);

#endif
