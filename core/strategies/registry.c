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
#include "strategies/registry.h"

#include "base/suggest.h"
#include "strategies/plugin_check.h"
#include "strategies/trust.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmodule.h>

typedef struct {
	BataggStrategy *table; /* the registry's full-size copy of the plugin's table */
	char *origin;          /* the file it came from */
} Entry;

struct Registry {
	GHashTable *kinds[KIND_N]; /* name -> Entry */
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

	for (int k = 0; k < KIND_N; k++)
		reg->kinds[k] = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, entry_free);
	return reg;
}

void registry_free(Registry *reg)
{
	if (!reg)
		return;
	for (int k = 0; k < KIND_N; k++)
		g_hash_table_destroy(reg->kinds[k]);
	g_free(reg);
}

/* Copies and checks every strategy of the file into pending
 * (BataggStrategy *, owned), then refuses any name taken twice in the file
 * or already registered. */
static gboolean collect(Registry *reg, const char *path, const BataggPluginDesc *desc,
                        GPtrArray *pending, GError **error)
{
	for (const BataggStrategy *const *s = desc->strategies; s && *s; s++) {
		BataggStrategy *copy = plugin_check_table(path, *s, desc->abi_major, error);

		if (!copy)
			return FALSE;
		if (!plugin_check_options(path, copy, error)) {
			g_free(copy);
			return FALSE;
		}
		g_ptr_array_add(pending, copy);
	}
	for (guint i = 0; i < pending->len; i++) {
		const BataggStrategy *p = pending->pdata[i];
		Entry *old = g_hash_table_lookup(reg->kinds[p->kind], p->name);

		for (guint j = 0; j < i && !old; j++) {
			const BataggStrategy *q = pending->pdata[j];

			if (q->kind == p->kind && strcmp(q->name, p->name) == 0) {
				g_set_error(error, BATAGG_PLUGIN_ERROR,
				            BATAGG_PLUGIN_ERROR_DUPLICATE,
				            "%s: refused: it names %s '%s' twice", path,
				            kind_name(p->kind), p->name);
				return FALSE;
			}
		}
		if (old) {
			g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_DUPLICATE,
			            "%s: refused: %s '%s' is already registered by %s", path,
			            kind_name(p->kind), p->name, old->origin);
			return FALSE;
		}
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
	g_autoptr(GPtrArray) pending = g_ptr_array_new_with_free_func(g_free);
	const BataggPluginDesc *raw = NULL;
	BataggPluginDesc desc;
	GModule *module;
	int fd;

	fd = trust_open_file(dirfd, name, path, error);
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
	if (!plugin_check_desc(path, raw, &desc, error) ||
	    !collect(reg, path, &desc, pending, error)) {
		g_module_close(module);
		return FALSE;
	}
	for (guint i = 0; i < pending->len; i++) {
		Entry *e = g_new0(Entry, 1);

		e->table = g_steal_pointer(&pending->pdata[i]);
		e->origin = g_strdup(path);
		g_hash_table_insert(reg->kinds[e->table->kind], (gpointer)e->table->name, e);
	}
	/* Never unloaded: entries point into it, and stack traces stay readable. */
	g_module_make_resident(module);
	return TRUE;
}

gboolean registry_load_file(Registry *reg, const char *path, GError **error)
{
	g_autofree char *dir = g_path_get_dirname(path);
	g_autofree char *name = g_path_get_basename(path);
	int dirfd = trust_open_dir(dir, path, error);
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

static gboolean of_origin(gpointer key, gpointer value, gpointer origin)
{
	return strcmp(((Entry *)value)->origin, origin) == 0;
}

/* A ratio method whose fallback names no ratio method refuses its whole
 * file, once the directory is read (a fallback may name a method of a file
 * read after its own).  Returns how many files it refused. */
static int refuse_bad_fallbacks(Registry *reg, GPtrArray **errors)
{
	int refused = 0;
	GHashTableIter it;
	gpointer value;
	gboolean again = TRUE;

	while (again) {
		again = FALSE;
		g_hash_table_iter_init(&it, reg->kinds[BATAGG_KIND_RATIO]);
		while (g_hash_table_iter_next(&it, NULL, &value)) {
			const BataggRatioMethod *r =
			        (const BataggRatioMethod *)((Entry *)value)->table;
			g_autofree char *origin = NULL;

			if (!r->fallback ||
			    g_hash_table_contains(reg->kinds[BATAGG_KIND_RATIO], r->fallback))
				continue;
			origin = g_strdup(((Entry *)value)->origin);
			if (!*errors)
				*errors = g_ptr_array_new();
			g_ptr_array_add(
			        *errors,
			        g_error_new(BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_INVALID,
			                    "%s: refused: %s '%s': fallback: '%s' names no %s",
			                    origin, kind_name(BATAGG_KIND_RATIO), r->head.name,
			                    r->fallback, kind_name(BATAGG_KIND_RATIO)));
			for (int k = 0; k < KIND_N; k++)
				g_hash_table_foreach_remove(reg->kinds[k], of_origin, origin);
			refused++;
			/* Another's fallback may have named one of those. */
			again = TRUE;
			break;
		}
	}
	return refused;
}

int registry_load_dir(Registry *reg, const char *dir, GPtrArray **errors, GError **error)
{
	g_autoptr(GPtrArray) names = NULL;
	int dirfd = trust_open_dir(dir, dir, error);
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
	loaded -= refuse_bad_fallbacks(reg, errors);
	return names ? loaded : -1;
}

const BataggStrategy *registry_find(Registry *reg, BataggKind kind, const char *name)
{
	Entry *e = kind_known(kind) && name ? g_hash_table_lookup(reg->kinds[kind], name) : NULL;

	return e ? e->table : NULL;
}

const char *registry_origin(Registry *reg, const BataggStrategy *s)
{
	Entry *e = g_hash_table_lookup(reg->kinds[s->kind], s->name);

	return e ? e->origin : NULL;
}

static int by_strategy(const void *a, const void *b)
{
	const BataggStrategy *x = *(const BataggStrategy *const *)a;
	const BataggStrategy *y = *(const BataggStrategy *const *)b;

	return x->kind != y->kind ? (int)x->kind - (int)y->kind : strcmp(x->name, y->name);
}

GPtrArray *registry_list(Registry *reg, BataggKind kind)
{
	GPtrArray *out = g_ptr_array_new();

	for (int k = 1; k < KIND_N; k++) {
		GHashTableIter it;
		gpointer value;

		if (kind && (int)kind != k)
			continue;
		g_hash_table_iter_init(&it, reg->kinds[k]);
		while (g_hash_table_iter_next(&it, NULL, &value))
			g_ptr_array_add(out, ((Entry *)value)->table);
	}
	g_ptr_array_sort(out, by_strategy);
	return out;
}

/* The names of kind, sorted: in *names (borrowed, NULL-terminated) and as
 * text, each quoted with q ("" or "\""), ", " between. */
static GString *known_names(Registry *reg, BataggKind kind, const char ***names, const char *q)
{
	g_autoptr(GPtrArray) all = registry_list(reg, kind);
	GString *known = g_string_new(NULL);

	*names = g_new0(const char *, all->len + 1);
	for (guint i = 0; i < all->len; i++) {
		(*names)[i] = ((const BataggStrategy *)all->pdata[i])->name;
		g_string_append_printf(known, "%s%s%s%s", i ? ", " : "", q, (*names)[i], q);
	}
	return known;
}

char *registry_unknown(Registry *reg, BataggKind kind, const char *what, const char *name)
{
	g_autofree const char **names = NULL;
	g_autoptr(GString) known = known_names(reg, kind, &names, "\"");
	const char *near = suggest(name, names, -1);

	if (near)
		return g_strdup_printf("unknown %s \"%s\" (did you mean \"%s\"?); known: %s", what,
		                       name, near, known->str);
	return g_strdup_printf("unknown %s \"%s\"; known: %s", what, name,
	                       known->len ? known->str : "none (no plugins loaded)");
}

const BataggStrategy *registry_lookup(Registry *reg, BataggKind kind, const char *name,
                                      GError **error)
{
	const BataggStrategy *s = registry_find(reg, kind, name);
	g_autofree const char **names = NULL;
	g_autoptr(GString) known = NULL;
	const char *near;

	if (s)
		return s;
	known = known_names(reg, kind, &names, "");
	near = name ? suggest(name, names, -1) : NULL;
	if (near)
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_UNKNOWN_NAME,
		            "unknown %s '%s' (did you mean '%s'?); known: %s", kind_name(kind),
		            name, near, known->str);
	else
		g_set_error(error, BATAGG_PLUGIN_ERROR, BATAGG_PLUGIN_ERROR_UNKNOWN_NAME,
		            "unknown %s '%s'; known: %s", kind_name(kind), name ? name : "(none)",
		            known->len ? known->str : "none (no plugins loaded)");
	return NULL;
}
