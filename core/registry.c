/* SPDX-License-Identifier: MIT */
/*
 * The plugin registry.  Loading a file checks, in this order, and refuses
 * with a message that starts with the file's path: that the directory and
 * the file are safe (owned by root or us, writable by nobody else, a regular
 * file), that it opens, that it exports the descriptor, the interface
 * version, every entry, and that no name is taken.  Only then are its
 * entries registered, all at once, and the module made resident.
 */
#include "registry.h"

#include <errno.h>
#include <fcntl.h>
#include <gmodule.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* ---- safety -------------------------------------------------------------- */

static gboolean safe_owner(const struct stat *st)
{
	return st->st_uid == 0 || st->st_uid == geteuid();
}

/* The daemon runs as root: a file anyone else can write is code anyone can
 * run as root. */
static gboolean check_safe(const char *path, const struct stat *st, const char *what,
                           GError **error)
{
	if (!safe_owner(st)) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_UNSAFE_PATH,
		            "%s: refused: the %s is owned by uid %u, not by root or this user",
		            path, what, (unsigned)st->st_uid);
		return FALSE;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_UNSAFE_PATH,
		            "%s: refused: the %s is writable by %s (mode %04o); run chmod go-w",
		            path, what, (st->st_mode & S_IWOTH) ? "other users" : "its group",
		            (unsigned)(st->st_mode & 07777));
		return FALSE;
	}
	return TRUE;
}

static gboolean check_dir(const char *dir, const char *for_path, GError **error)
{
	struct stat st;

	if (stat(dir, &st) != 0) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_OPEN, "%s: %s",
		            for_path, g_strerror(errno));
		return FALSE;
	}
	if (!S_ISDIR(st.st_mode)) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_OPEN,
		            "%s: not a directory", for_path);
		return FALSE;
	}
	return check_safe(for_path, &st, "directory", error);
}

static gboolean check_file(const char *path, GError **error)
{
	g_autofree char *dir = g_path_get_dirname(path);
	struct stat st;
	int fd;

	if (!check_dir(dir, path, error))
		return FALSE;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		g_set_error(error, BATAGG_PLUGIN_ERROR,
		            errno == ELOOP ? BATAGG_PLUGIN_ERROR_UNSAFE_PATH
		                           : BATAGG_PLUGIN_ERROR_OPEN,
		            "%s: %s", path,
		            errno == ELOOP ? "refused: a symbolic link" : g_strerror(errno));
		return FALSE;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_UNSAFE_PATH,
		            "%s: refused: not a regular file", path);
		return FALSE;
	}
	close(fd);
	return check_safe(path, &st, "file", error);
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

gboolean registry_load_file(Registry *reg, const char *path, GError **error)
{
	g_autoptr(GArray) pending = g_array_new(FALSE, FALSE, sizeof(Pending));
	const BataggPluginDesc *raw = NULL;
	BataggPluginDesc desc;
	GModule *module;

	g_array_set_clear_func(pending, pending_clear);
	if (!check_file(path, error))
		return FALSE;
	module = g_module_open(path, G_MODULE_BIND_LOCAL);
	if (!module) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_OPEN,
		            "%s: cannot load: %s (a missing library? ldd shows what it needs)",
		            path, g_module_error());
		return FALSE;
	}
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

static gint by_name(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int registry_load_dir(Registry *reg, const char *dir, GPtrArray **errors, GError **error)
{
	g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
	GDir *d;
	const char *name;
	int loaded = 0;

	if (!check_dir(dir, dir, error))
		return -1;
	d = g_dir_open(dir, 0, error);
	if (!d)
		return -1;
	while ((name = g_dir_read_name(d))) {
		if (g_str_has_suffix(name, ".so"))
			g_ptr_array_add(files, g_build_filename(dir, name, NULL));
	}
	g_dir_close(d);
	g_ptr_array_sort(files, by_name);
	for (guint i = 0; i < files->len; i++) {
		GError *e = NULL;

		if (registry_load_file(reg, files->pdata[i], &e)) {
			loaded++;
			continue;
		}
		if (!*errors)
			*errors = g_ptr_array_new();
		g_ptr_array_add(*errors, e);
	}
	return loaded;
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
