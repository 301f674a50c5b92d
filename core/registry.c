/* SPDX-License-Identifier: MIT */
/*
 * The plugin registry.  Opening a shared object runs its constructors, so a
 * file is opened only when it is trusted: the file and every directory above
 * it, up to / and with links resolved, owned by root or us and writable by
 * nobody else, and the file a regular file reached without a link.  The
 * file checked is the file loaded (it is opened once, and loaded through
 * that fd).  Then, refusing with a message that starts with the file's path:
 * that it exports the descriptor, the interface version, every entry, and
 * that no name is taken.  Only then are its entries registered, all at
 * once, as copies of this daemon's size, and the module made resident.
 */
#include "registry.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmodule.h>

GQuark batagg_plugin_error_quark(void)
{
	return g_quark_from_static_string("batagg-plugin-error-quark");
}

typedef struct {
	void *table;  /* the registry's full-size copy of the plugin's table */
	char *origin; /* the file it came from */
} Entry;

struct Registry {
	GHashTable *kinds[REGISTRY_N_KINDS]; /* name -> Entry */
};

static const char *const kind_names[REGISTRY_N_KINDS] = {
        [REGISTRY_RATIO] = "current ratio method",
        [REGISTRY_CVL] = "CVL mode",
        [REGISTRY_MERGE] = "merge policy",
};

static void entry_free(gpointer data)
{
	Entry *e = data;

	g_free(e->table);
	g_free(e->origin);
	g_free(e);
}

Registry *registry_new(void)
{
	Registry *reg = g_new0(Registry, 1);

	for (int k = 0; k < REGISTRY_N_KINDS; k++)
		reg->kinds[k] = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, entry_free);
	return reg;
}

void registry_free(Registry *reg)
{
	if (!reg)
		return;
	for (int k = 0; k < REGISTRY_N_KINDS; k++)
		g_hash_table_destroy(reg->kinds[k]);
	g_free(reg);
}

/* ---- trust --------------------------------------------------------------- */

/* Opening a shared object runs its constructors before its descriptor can be
 * read, and the daemon runs as root.  So a file is opened only when no one
 * but root or this user can have written it or put it there: the file, its
 * directory and every directory above it, up to /, are owned by root or us
 * and writable by neither group nor others.  One exception, above the
 * plugin's own directory: a sticky directory owned by root or us such as
 * /tmp, where others may create names but not rename or remove ours, so the
 * directory below it that we own cannot be swapped. */

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
static int open_trusted_dir(const char *dir, const char *path, GError **error)
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
static int open_trusted_file(int dirfd, const char *name, const char *path, GError **error)
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

/* ---- validation ---------------------------------------------------------- */

/* Names users write in config.json.  Dots and capitals are allowed so that
 * hooks keep the ids existing configs use ("hooks.FixedValueHook"). */
static gboolean valid_name(const char *name)
{
	if (!name || !*name)
		return FALSE;
	for (const char *c = name; *c; c++) {
		if (!g_ascii_isalnum(*c) && *c != '_' && *c != '.')
			return FALSE;
	}
	return TRUE;
}

/* The end of a field: a table of struct_size bytes has it when this fits. */
#define END_OF(type, field) (offsetof(type, field) + sizeof(((type *)NULL)->field))

/* Each kind's table as this daemon knows it, and the part of it a plugin
 * must provide: up to its last required field. */
static const size_t full_size[REGISTRY_N_KINDS] = {
        [REGISTRY_RATIO] = sizeof(BataggRatioMethod),
        [REGISTRY_CVL] = sizeof(BataggCvlMode),
        [REGISTRY_MERGE] = sizeof(BataggMergePolicy),
};
static const size_t min_size[REGISTRY_N_KINDS] = {
        [REGISTRY_RATIO] = END_OF(BataggRatioMethod, ratios),
        [REGISTRY_CVL] = END_OF(BataggCvlMode, cvl),
        [REGISTRY_MERGE] = END_OF(BataggMergePolicy, merge),
};

/* The descriptor of interface 1.0; later minors may append fields. */
#define DESC_MIN_SIZE END_OF(BataggPluginDesc, merge_policies)

/* A zero-filled table of this daemon's size holding the first struct_size
 * bytes of the plugin's: every field the plugin's build lacks reads as NULL,
 * so the rest of the core may read any field of a registered table. */
static void *copy_table(RegistryKind kind, const void *entry)
{
	void *copy = g_malloc0(full_size[kind]);
	uint32_t size;

	memcpy(&size, entry, sizeof(size)); /* every table starts with struct_size */
	memcpy(copy, entry, MIN(size, full_size[kind]));
	return copy;
}

static gboolean has_required(RegistryKind kind, const void *table)
{
	switch (kind) {
	case REGISTRY_RATIO:
		return ((const BataggRatioMethod *)table)->ratios != NULL;
	case REGISTRY_CVL:
		return ((const BataggCvlMode *)table)->cvl != NULL;
	case REGISTRY_MERGE:
		return ((const BataggMergePolicy *)table)->merge != NULL;
	default:
		return FALSE;
	}
}

/* All three tables start with these two fields. */
typedef struct {
	uint32_t struct_size;
	const char *name;
} TableHead;

/* Checks one copied table: its size, its name, its required function. */
static gboolean check_table(const char *path, RegistryKind kind, const void *table, GError **error)
{
	const TableHead *head = table;

	if (head->struct_size < min_size[kind]) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_INVALID,
		            "%s: a %s table is %u bytes, smaller than the %zu this interface "
		            "needs",
		            path, kind_names[kind], head->struct_size, min_size[kind]);
		return FALSE;
	}
	if (!valid_name(head->name)) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_INVALID,
		            "%s: a %s has an invalid name '%s' (letters, digits, '_' and '.' "
		            "only)",
		            path, kind_names[kind], head->name ? head->name : "(null)");
		return FALSE;
	}
	if (!has_required(kind, table)) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_INVALID,
		            "%s: %s '%s' lacks its required function", path, kind_names[kind],
		            head->name);
		return FALSE;
	}
	return TRUE;
}

static const void *const *entries_of(const BataggPluginDesc *desc, RegistryKind kind)
{
	switch (kind) {
	case REGISTRY_RATIO:
		return (const void *const *)desc->ratio_methods;
	case REGISTRY_CVL:
		return (const void *const *)desc->cvl_modes;
	case REGISTRY_MERGE:
		return (const void *const *)desc->merge_policies;
	default:
		return NULL;
	}
}

typedef struct {
	RegistryKind kind;
	void *table; /* a copy_table(); owned until registered */
} Pending;

static void pending_clear(gpointer data)
{
	g_free(((Pending *)data)->table);
}

static const char *pending_name(const Pending *p)
{
	return ((const TableHead *)p->table)->name;
}

/* Copies and checks every entry of the file into pending, then refuses any
 * name taken twice in the file or already registered. */
static gboolean collect(Registry *reg, const char *path, const BataggPluginDesc *desc,
                        GArray *pending, GError **error)
{
	for (int k = 0; k < REGISTRY_N_KINDS; k++) {
		for (const void *const *e = entries_of(desc, k); e && *e; e++) {
			Pending p = {k, copy_table(k, *e)};

			g_array_append_val(pending, p);
			if (!check_table(path, k, p.table, error))
				return FALSE;
		}
	}
	for (guint i = 0; i < pending->len; i++) {
		Pending *p = &g_array_index(pending, Pending, i);
		Entry *old = g_hash_table_lookup(reg->kinds[p->kind], pending_name(p));

		for (guint j = 0; j < i && !old; j++) {
			Pending *q = &g_array_index(pending, Pending, j);

			if (q->kind == p->kind && strcmp(pending_name(q), pending_name(p)) == 0) {
				g_set_error(error, BATAGG_PLUGIN_ERROR,
				            BATAGG_PLUGIN_ERROR_DUPLICATE,
				            "%s: refused: it names %s '%s' twice", path,
				            kind_names[p->kind], pending_name(p));
				return FALSE;
			}
		}
		if (old) {
			g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_DUPLICATE,
			            "%s: refused: %s '%s' is already registered by %s", path,
			            kind_names[p->kind], pending_name(p), old->origin);
			return FALSE;
		}
	}
	return TRUE;
}

/* Checks the descriptor's version and size, then copies it into *desc the
 * way copy_table() copies a table. */
static gboolean check_desc(const char *path, const BataggPluginDesc *raw, BataggPluginDesc *desc,
                           GError **error)
{
	/* abi_major, abi_minor and struct_size lead every version. */
	if (raw->abi_major != BATAGG_PLUGIN_ABI_MAJOR || raw->abi_minor > BATAGG_PLUGIN_ABI_MINOR) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_ABI,
		            "%s: refused: built for plugin interface %u.%u; this batagg provides "
		            "%d.%d",
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

/* text with every occurrence of name replaced by path. */
static char *replace_name(const char *text, const char *name, const char *path)
{
	g_auto(GStrv) parts = g_strsplit(text ? text : "unknown error", name, -1);

	return g_strjoinv(path, parts);
}

/* Opens the module through its checked fd, so that the file loaded is the
 * file checked, whatever happened to its path since.  The dynamic linker and
 * GModule know a module by the name it was opened under, and would hand
 * this module out again for any later file opened under the same name: so
 * once the module is open, its fd stays open for the life of the process,
 * and the name, with our pid in it, stays this file's (a debugger or
 * sanitizer symbolizer can open it too). */
static GModule *open_module(const char *path, int fd, GError **error)
{
	g_autofree char *name = g_strdup_printf("/proc/%ld/fd/%d", (long)getpid(), fd);
	g_autofree char *why = NULL;
	GModule *module = g_module_open(name, G_MODULE_BIND_LOCAL);

	if (module)
		return module;
	why = replace_name(g_module_error(), name, path);
	close(fd);
	g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_OPEN,
	            "%s: cannot load: %s (a missing library? ldd shows what it needs)", path, why);
	return NULL;
}

/* Loads the file name of the trusted directory dirfd; path names it in
 * messages and as the entries' origin. */
static gboolean load_at(Registry *reg, int dirfd, const char *name, const char *path,
                        GError **error)
{
	g_autoptr(GArray) pending = g_array_new(FALSE, FALSE, sizeof(Pending));
	const BataggPluginDesc *raw = NULL;
	BataggPluginDesc desc;
	GModule *module;
	int fd;

	g_array_set_clear_func(pending, pending_clear);
	fd = open_trusted_file(dirfd, name, path, error);
	if (fd < 0)
		return FALSE;
	/* The plugin's constructors run here, before its descriptor is seen. */
	module = open_module(path, fd, error);
	if (!module)
		return FALSE;
	if (!g_module_symbol(module, BATAGG_PLUGIN_SYMBOL, (gpointer *)&raw) || !raw) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_NOT_A_PLUGIN,
		            "%s: not a batagg plugin (no symbol %s)", path, BATAGG_PLUGIN_SYMBOL);
		g_module_close(module);
		return FALSE;
	}
	if (!check_desc(path, raw, &desc, error) || !collect(reg, path, &desc, pending, error)) {
		g_module_close(module);
		return FALSE;
	}
	for (guint i = 0; i < pending->len; i++) {
		Pending *p = &g_array_index(pending, Pending, i);
		Entry *e = g_new0(Entry, 1);

		e->table = g_steal_pointer(&p->table);
		e->origin = g_strdup(path);
		g_hash_table_insert(reg->kinds[p->kind], (gpointer)((TableHead *)e->table)->name,
		                    e);
	}
	/* Never unloaded: entries point into it, and stack traces stay readable. */
	g_module_make_resident(module);
	return TRUE;
}

gboolean registry_load_file(Registry *reg, const char *path, GError **error)
{
	g_autofree char *dir = g_path_get_dirname(path);
	g_autofree char *name = g_path_get_basename(path);
	int dirfd = open_trusted_dir(dir, path, error);
	gboolean ok;

	if (dirfd < 0)
		return FALSE;
	ok = load_at(reg, dirfd, name, path, error);
	close(dirfd);
	return ok;
}

static gint by_name(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The "*.so" names in the directory dirfd, sorted; NULL with error set. */
static GPtrArray *plugin_names(int dirfd, const char *dir, GError **error)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	const struct dirent *de;

	if (!d) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_OPEN, "%s: %s", dir,
		            g_strerror(errno));
		if (fd >= 0)
			close(fd);
		g_ptr_array_free(names, TRUE);
		return NULL;
	}
	while ((de = readdir(d))) {
		if (g_str_has_suffix(de->d_name, ".so"))
			g_ptr_array_add(names, g_strdup(de->d_name));
	}
	closedir(d);
	g_ptr_array_sort(names, by_name);
	return names;
}

int registry_load_dir(Registry *reg, const char *dir, GPtrArray **errors, GError **error)
{
	g_autoptr(GPtrArray) names = NULL;
	int dirfd = open_trusted_dir(dir, dir, error);
	int loaded = 0;

	if (dirfd < 0)
		return -1;
	names = plugin_names(dirfd, dir, error);
	for (guint i = 0; names && i < names->len; i++) {
		g_autofree char *path = g_build_filename(dir, names->pdata[i], NULL);
		GError *e = NULL;

		if (load_at(reg, dirfd, names->pdata[i], path, &e)) {
			loaded++;
			continue;
		}
		if (!*errors)
			*errors = g_ptr_array_new();
		g_ptr_array_add(*errors, e);
	}
	close(dirfd);
	return names ? loaded : -1;
}

const void *registry_find(Registry *reg, RegistryKind kind, const char *name)
{
	Entry *e = name ? g_hash_table_lookup(reg->kinds[kind], name) : NULL;

	return e ? e->table : NULL;
}

const char *registry_origin(Registry *reg, RegistryKind kind, const char *name)
{
	Entry *e = g_hash_table_lookup(reg->kinds[kind], name);

	return e ? e->origin : NULL;
}

char *registry_names(Registry *reg, RegistryKind kind)
{
	g_autofree const char **names =
	        (const char **)g_hash_table_get_keys_as_array(reg->kinds[kind], NULL);
	guint n = g_hash_table_size(reg->kinds[kind]);

	qsort(names, n, sizeof(char *), (int (*)(const void *, const void *))by_name);
	return g_strjoinv(", ", (char **)names);
}

const void *registry_lookup(Registry *reg, RegistryKind kind, const char *name, GError **error)
{
	const void *entry = registry_find(reg, kind, name);
	g_autofree char *known = NULL;

	if (entry)
		return entry;
	known = registry_names(reg, kind);
	g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_UNKNOWN_NAME,
	            "unknown %s '%s'; known: %s", kind_names[kind], name ? name : "(none)",
	            known[0] ? known : "none (no plugins loaded)");
	return NULL;
}
