/* SPDX-License-Identifier: MIT */
/*
 * The trust checks of plugin files and their directories, through file
 * descriptors only, so that no path can change between a check and a use.
 */
#include "strategies/trust.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- trust --------------------------------------------------------------- */

/* Opening a shared object runs its constructors before its descriptor can be
 * read, and the daemon runs as root.  So a file is opened only when no one
 * but root or this user can have written it or put it there: the file, its
 * directory and every directory above it, up to /, are owned by root or us
 * and writable by neither group nor others.  One exception, above the
 * plugin's own directory: a sticky directory owned by root or us such as
 * /tmp, where others may create names but not rename or remove ours, so the
 * directory below it that we own cannot be swapped. */

GQuark trust_error_quark(void)
{
	return g_quark_from_static_string("batagg-plugin-error-quark");
}

static gboolean trusted_owner(const struct stat *st)
{
	return st->st_uid == 0 || st->st_uid == geteuid();
}

/* what: "the file", or "the directory /a/b".  sticky_ok: a sticky directory
 * writable by others is trusted (an ancestor of the plugin's directory). */
static gboolean check_trusted(const char *path, const char *what, const struct stat *st,
                              gboolean sticky_ok, GError **error)
{
	if (!trusted_owner(st)) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_UNSAFE_PATH,
		            "%s: refused: %s is owned by uid %u, not by root or this user", path,
		            what, (unsigned)st->st_uid);
		return FALSE;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(sticky_ok && (st->st_mode & S_ISVTX))) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_UNSAFE_PATH,

		            "%s: refused: %s is writable by %s (mode %04o); a plugin and every "
		            "directory above it must be writable by its owner only",
		            path, what, (st->st_mode & S_IWOTH) ? "other users" : "its group",
		            (unsigned)(st->st_mode & 07777));
		return FALSE;
	}
	return TRUE;
}

/* "/a/b" becomes "/a", and "/a" becomes "/". */
static void set_parent_name(char **name)
{
	char *parent = g_path_get_dirname(*name);

	g_free(*name);
	*name = parent;
}

/* Checks the directory fd, named dir; fills *st.  An ancestor of the
 * plugin's directory may be sticky (check_trusted). */
static gboolean check_trusted_dir(const char *path, const char *dir, int fd, gboolean ancestor,
                                  struct stat *st, GError **error)
{
	g_autofree char *what = g_strdup_printf("the directory %s", dir);

	if (fstat(fd, st) != 0) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_OPEN, "%s: %s: %s",
		            path, dir, g_strerror(errno));
		return FALSE;
	}
	if (!S_ISDIR(st->st_mode)) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_OPEN,
		            "%s: %s is not a directory", path, dir);
		return FALSE;
	}
	return check_trusted(path, what, st, ancestor, error);
}

/* Whether the directories fd and a are the same. */
static gboolean same_dir(int fd, const struct stat *a)
{
	struct stat b;

	return fstat(fd, &b) == 0 && b.st_dev == a->st_dev && b.st_ino == a->st_ino;
}

/* Checks the directory fd, named name, and every directory above it up to
 * /, each opened as ".." of the one below it: so the directories checked
 * are those above the very directory opened, whatever happens to any path
 * meanwhile.  The names come from name and only serve the messages. */
static gboolean check_up_to_root(int fd, const char *name, const char *path, GError **error)
{
	g_autofree char *at_name = g_strdup(name);
	int at = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	gboolean ancestor = FALSE;

	for (; at >= 0; ancestor = TRUE) {
		struct stat st;
		int parent, saved;

		if (!check_trusted_dir(path, at_name, at, ancestor, &st, error)) {
			close(at);
			return FALSE;
		}
		parent = openat(at, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		saved = errno;
		close(at);
		errno = saved;
		at = parent;
		if (at >= 0 && same_dir(at, &st)) {
			close(at); /* "/" is its own parent */
			return TRUE;
		}
		set_parent_name(&at_name);
	}
	g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_OPEN, "%s: %s: %s", path,
	            at_name, g_strerror(errno));
	return FALSE;
}

/* Opens dir, following links (a linked directory is judged by where it
 * leads), and checks it and every directory above it.  realpath() names
 * them.  Walking up through "..", rather than down from "/", also keeps
 * qemu-user -L (the cross-built tests) from mapping "/" onto its sysroot.
 * Returns the fd of dir, to read and to open files in, or -1 with error set;
 * messages start with path, the file or directory being loaded. */
int trust_open_dir(const char *dir, const char *path, GError **error)
{
	char *resolved = realpath(dir, NULL);
	int fd = resolved ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;

	if (fd < 0) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_OPEN, "%s: %s", path,
		            g_strerror(errno));
		free(resolved);
		return -1;
	}
	if (!check_up_to_root(fd, resolved, path, error)) {
		close(fd);
		fd = -1;
	}
	free(resolved);
	return fd;
}

/* Opens name in the trusted directory dirfd, never through a link, and
 * checks the file it opened.  Returns its fd, or -1 with error set. */
int trust_open_file(int dirfd, const char *name, const char *path, GError **error)
{
	/* O_NONBLOCK: a FIFO named *.so must not hang the daemon. */
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;

	if (fd < 0) {
		g_set_error(error, BATAGG_PLUGIN_ERROR,
		            errno == ELOOP ? BATAGG_PLUGIN_ERROR_UNSAFE_PATH
		                           : BATAGG_PLUGIN_ERROR_OPEN,
		            "%s: %s", path,
		            errno == ELOOP ? "refused: a symbolic link" : g_strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_UNSAFE_PATH,
		            "%s: refused: not a regular file", path);
		close(fd);
		return -1;
	}
	if (!check_trusted(path, "the file", &st, FALSE, error)) {

		close(fd);
		return -1;
	}
	return fd;
}
