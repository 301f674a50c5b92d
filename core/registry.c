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
	const void *entry;
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

typedef struct {
	RegistryKind kind;
	const char *name;
	const void *entry;
} Pending;

#define ENTRY_HEAD(e)                                                                              \
	((const struct {                                                                           \
		uint32_t struct_size;                                                              \
		const char *name;                                                                  \
	} *)(e))

/* Checks one table; its required functions must be set. */
static gboolean check_entry(const char *path, RegistryKind kind, const void *entry, size_t min_size,
                            gboolean has_required, GError **error)
{
	uint32_t size = ENTRY_HEAD(entry)->struct_size;
	const char *name = ENTRY_HEAD(entry)->name;

	if (size < min_size) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_INVALID,
		            "%s: a %s table is %u bytes, smaller than the %zu this interface "
		            "needs",
		            path, kind_names[kind], size, min_size);
		return FALSE;
	}
	if (!valid_name(name)) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_INVALID,
		            "%s: a %s has an invalid name '%s' (letters, digits, '_' and '.' "
		            "only)",
		            path, kind_names[kind], name ? name : "(null)");
		return FALSE;
	}
	if (!has_required) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_INVALID,
		            "%s: %s '%s' lacks its required function", path, kind_names[kind],
		            name);
		return FALSE;
	}
	return TRUE;
}

static gboolean collect(Registry *reg, const char *path, const BataggPluginDesc *desc,
                        GArray *pending, GError **error)
{
	for (const BataggRatioMethod *const *m = desc->ratio_methods; m && *m; m++) {
		Pending p = {REGISTRY_RATIO, (*m)->name, *m};

		if (!check_entry(path, REGISTRY_RATIO, *m,
		                 offsetof(BataggRatioMethod, member_added), (*m)->ratios != NULL,
		                 error))
			return FALSE;
		g_array_append_val(pending, p);
	}
	for (const BataggCvlMode *const *m = desc->cvl_modes; m && *m; m++) {
		Pending p = {REGISTRY_CVL, (*m)->name, *m};

		if (!check_entry(path, REGISTRY_CVL, *m, sizeof(BataggCvlMode), (*m)->cvl != NULL,
		                 error))
			return FALSE;
		g_array_append_val(pending, p);
	}
	for (const BataggMergePolicy *const *m = desc->merge_policies; m && *m; m++) {
		Pending p = {REGISTRY_MERGE, (*m)->name, *m};

		if (!check_entry(path, REGISTRY_MERGE, *m, offsetof(BataggMergePolicy, provides),
		                 (*m)->merge != NULL, error))
			return FALSE;
		g_array_append_val(pending, p);
	}
	for (guint i = 0; i < pending->len; i++) {
		Pending *p = &g_array_index(pending, Pending, i);
		Entry *old = g_hash_table_lookup(reg->kinds[p->kind], p->name);

		for (guint j = 0; j < i && !old; j++) {
			Pending *q = &g_array_index(pending, Pending, j);

			if (q->kind == p->kind && strcmp(q->name, p->name) == 0) {
				g_set_error(error, BATAGG_PLUGIN_ERROR,
				            BATAGG_PLUGIN_ERROR_DUPLICATE,
				            "%s: refused: it names %s '%s' twice", path,
				            kind_names[p->kind], p->name);
				return FALSE;
			}
		}
		if (old) {
			g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_DUPLICATE,
			            "%s: refused: %s '%s' is already registered by %s", path,
			            kind_names[p->kind], p->name, old->origin);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean check_desc(const char *path, const BataggPluginDesc *desc, GError **error)
{
	if (desc->abi_major != BATAGG_PLUGIN_ABI_MAJOR ||
	    desc->abi_minor > BATAGG_PLUGIN_ABI_MINOR) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_ABI,
		            "%s: refused: built for plugin interface %u.%u; this batagg provides "
		            "%d.%d",
		            path, desc->abi_major, desc->abi_minor, BATAGG_PLUGIN_ABI_MAJOR,
		            BATAGG_PLUGIN_ABI_MINOR);
		return FALSE;
	}
	if (desc->struct_size < sizeof(BataggPluginDesc) || !desc->name) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_INVALID,
		            "%s: refused: malformed descriptor (size %u, name %s)", path,
		            desc->struct_size, desc->name ? desc->name : "missing");
		return FALSE;
	}
	return TRUE;
}

gboolean registry_load_file(Registry *reg, const char *path, GError **error)
{
	g_autoptr(GArray) pending = g_array_new(FALSE, FALSE, sizeof(Pending));
	const BataggPluginDesc *desc = NULL;
	GModule *module;

	if (!check_file(path, error))
		return FALSE;
	module = g_module_open(path, G_MODULE_BIND_LOCAL);
	if (!module) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_OPEN,
		            "%s: cannot load: %s (a missing library? ldd shows what it needs)",
		            path, g_module_error());
		return FALSE;
	}
	if (!g_module_symbol(module, BATAGG_PLUGIN_SYMBOL, (gpointer *)&desc) || !desc) {
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_NOT_A_PLUGIN,
		            "%s: not a batagg plugin (no symbol %s)", path, BATAGG_PLUGIN_SYMBOL);
		g_module_close(module);
		return FALSE;
	}
	if (!check_desc(path, desc, error) || !collect(reg, path, desc, pending, error)) {
		g_module_close(module);
		return FALSE;
	}
	for (guint i = 0; i < pending->len; i++) {
		Pending *p = &g_array_index(pending, Pending, i);
		Entry *e = g_new0(Entry, 1);

		e->entry = p->entry;
		e->origin = g_strdup(path);
		g_hash_table_insert(reg->kinds[p->kind], (gpointer)p->name, e);
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

	return e ? e->entry : NULL;
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
