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

/* Opens dir, following links (a linked directory is judged by where it
 * leads), and checks it and every directory above it.  Returns its fd, or
 * -1 with error set (BATAGG_PLUGIN_ERROR); messages start with path, the
 * file or directory being loaded. */
int trust_open_dir(const char *dir, const char *path, GError **error);

/* Opens name in the trusted directory dirfd, never through a link, and
 * checks the file it opened.  Returns its fd, or -1 with error set. */
int trust_open_file(int dirfd, const char *name, const char *path, GError **error);

#endif
