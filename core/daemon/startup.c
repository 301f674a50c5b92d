/* SPDX-License-Identifier: MIT */
/* The config the daemon starts with: see startup.h. */
#include "daemon/startup.h"

#include <string.h>

#include "base/problems.h"
#include "strategies/strategies.h"

/* Each round sets aside at least one more key, and there are not many. */
#define MAX_ROUNDS 32

typedef struct {
	const char *path;
	const char *last_good;
	char *text; /* the file's */
	gsize len;
	GPtrArray *bad;    /* char *: top-level keys set aside, in order found */
	GPtrArray *lines;  /* char *: problems logged, so that none is logged twice */
	gboolean unplaced; /* an error no key could be blamed for */
} Reading;

/* The last good config, or NULL with error set when there is none (a
 * missing copy is no copy, not the defaults). */
static Config *load_last_good(const char *last_good, GError **error)
{
	if (!g_file_test(last_good, G_FILE_TEST_EXISTS)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s does not exist",
		            last_good);
		return NULL;
	}
	return config_load(last_good, error);
}

static void log_problems(Reading *r, const Problems *p, gboolean errors_only)
{
	for (guint i = 0; i < problems_len(p); i++) {
		const Problem *pr = problems_get(p, i);

		if (errors_only && pr->level != PROBLEM_ERROR)
			continue;
		if (g_ptr_array_find_with_equal_func(r->lines, pr->text, g_str_equal, NULL))
			continue;
		g_ptr_array_add(r->lines, g_strdup(pr->text));
		g_warning("%s", pr->text);
	}
}

/* Adds the keys p has errors for; TRUE when one was new. */
static gboolean blame(Reading *r, const Problems *p)
{
	gboolean more = FALSE;

	for (guint i = 0; i < problems_len(p); i++) {
		const Problem *pr = problems_get(p, i);

		if (pr->level != PROBLEM_ERROR)
			continue;
		if (!pr->key) {
			r->unplaced = TRUE;
			continue;
		}
		if (g_ptr_array_find_with_equal_func(r->bad, pr->key, g_str_equal, NULL))
			continue;
		g_ptr_array_add(r->bad, g_strdup(pr->key));
		more = TRUE;
	}
	return more;
}

static gboolean membership_bad(const Reading *r)
{
	for (guint i = 0; i < r->bad->len; i++) {
		if (g_strv_contains(config_membership_keys, r->bad->pdata[i]))
			return TRUE;
	}
	return FALSE;
}

/* The file read again with the bad keys at their defaults, the membership
 * keys from the last good config when one of them is bad.  NULL with
 * error set when that is needed and there is none. */
static Config *reread(Reading *r, GError **error)
{
	Problems *scratch = problems_new(r->path);
	Config *cfg, *good;
	g_autoptr(GError) why = NULL;

	g_ptr_array_add(r->bad, NULL);
	cfg = config_read_skipping(r->text, r->len, scratch, (const char *const *)r->bad->pdata);
	g_ptr_array_remove_index(r->bad, r->bad->len - 1);
	/* New problems (keys that relate to a skipped one) are blamed too. */
	log_problems(r, scratch, TRUE);
	blame(r, scratch);
	problems_free(scratch);
	if (!cfg || !membership_bad(r))
		return cfg;
	good = load_last_good(r->last_good, &why);
	if (!good) {
		g_set_error(error, BATAGG_CONFIG_ERROR, BATAGG_CONFIG_ERROR_INVALID,
		            "a key that decides which services are aggregated has a problem "
		            "(above), and there is no last good config to take it from (%s): "
		            "batagg cannot tell which batteries to aggregate",
		            why->message);
		config_free(cfg);
		return NULL;
	}
	config_take_membership(cfg, good);
	config_free(good);
	return cfg;
}

static void say_what_runs(const Reading *r)
{
	g_autoptr(GString) membership = g_string_new(NULL);

	for (guint i = 0; i < r->bad->len; i++) {
		const char *key = r->bad->pdata[i];

		if (g_strv_contains(config_membership_keys, key))
			continue;
		if (!config_key_known(key)) {
			g_warning("%s: '%s' is no key batagg knows (above): ignored", r->path, key);
			continue;
		}
		g_warning("%s: key '%s' has a problem (above): batagg runs with its default",
		          r->path, key);
	}
	if (!membership_bad(r))
		return;
	for (const char *const *k = config_membership_keys; *k; k++)
		g_string_append_printf(membership, "%s%s", membership->len ? ", " : "", *k);
	g_warning("%s: batagg runs %s as in the last good config %s", r->path, membership->str,
	          r->last_good);
}

/* The last good config in place of a file that is no config at all. */
static gboolean run_last_good(Reading *r, StartupLoadFn load, Startup *out, GError **error)
{
	g_autoptr(GError) why = NULL;
	Config *good = load_last_good(r->last_good, &why);

	if (!good) {
		g_set_error(error, BATAGG_CONFIG_ERROR, BATAGG_CONFIG_ERROR_SYNTAX,
		            "%s is not a config batagg can read (above), and there is no last good "
		            "config to run instead (%s); the file may hold exclusions, so batagg "
		            "does not guess",
		            r->path, why->message);
		return FALSE;
	}
	g_critical("%s: batagg runs the last good config %s instead", r->path, r->last_good);
	out->reg = load(good, error);
	if (!out->reg) {
		config_free(good);
		return FALSE;
	}
	out->cfg = good;
	out->problems = TRUE;
	return TRUE;
}

static gboolean read_leniently(Reading *r, StartupLoadFn load, Startup *out, GError **error)
{
	Problems *first = problems_new(r->path);
	Config *cfg = config_read(r->text, r->len, first);
	Registry *reg = NULL;
	int round;

	if (!cfg) {
		for (guint i = 0; i < problems_len(first); i++)
			g_critical("%s", problems_get(first, i)->text);
		problems_free(first);
		return run_last_good(r, load, out, error);
	}
	log_problems(r, first, FALSE);
	blame(r, first);
	problems_free(first);
	for (round = 0; round < MAX_ROUNDS; round++) {
		Problems *p;

		config_free(cfg);
		cfg = reread(r, error);
		if (!cfg)
			goto fail;
		if (!reg) {
			reg = load(cfg, error);
			if (!reg)
				goto fail;
		}
		p = problems_new(r->path);
		strategies_report(reg, cfg, FALSE, p);
		log_problems(r, p, TRUE);
		if (!blame(r, p)) {
			gboolean left = problems_count(p, PROBLEM_ERROR) > 0;

			problems_free(p);
			if (left || r->unplaced)
				break;
			say_what_runs(r);
			out->cfg = cfg;
			out->reg = reg;
			out->problems = r->bad->len > 0;
			return TRUE;
		}
		problems_free(p);
	}
	g_set_error(error, BATAGG_CONFIG_ERROR, BATAGG_CONFIG_ERROR_INVALID,
	            "%s has problems (above) batagg cannot run around", r->path);
fail:
	config_free(cfg);
	registry_free(reg);
	return FALSE;
}

gboolean startup_read(const char *path, const char *last_good, StartupLoadFn load, Startup *out,
                      GError **error)
{
	Reading r = {.path = path, .last_good = last_good};
	g_autoptr(GError) io = NULL;
	gboolean ok;

	*out = (Startup){0};
	if (!g_file_get_contents(path, &r.text, &r.len, &io)) {
		if (g_error_matches(io, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
			/* No file: every default (SPEC 3). */
			Problems *none = problems_new(path);
			Config *cfg = config_read_file(path, none);

			problems_free(none);
			out->reg = load(cfg, error);
			if (!out->reg) {
				config_free(cfg);
				return FALSE;
			}
			out->cfg = cfg;
			return TRUE;
		}
		g_critical("%s: %s", path, io->message);
		return run_last_good(&r, load, out, error);
	}
	r.bad = g_ptr_array_new_with_free_func(g_free);
	r.lines = g_ptr_array_new_with_free_func(g_free);
	ok = read_leniently(&r, load, out, error);
	g_ptr_array_free(r.bad, TRUE);
	g_ptr_array_free(r.lines, TRUE);
	g_free(r.text);
	return ok;
}

void startup_keep_good(const char *path, const char *last_good)
{
	static gboolean told;
	g_autofree char *text = NULL;
	g_autofree char *kept = NULL;
	gsize len = 0, kept_len = 0;
	g_autoptr(GError) error = NULL;

	if (!g_file_get_contents(path, &text, &len, NULL))
		return; /* no file: the defaults need no copy */
	/* Flash memory wears: write only what changed. */
	if (g_file_get_contents(last_good, &kept, &kept_len, NULL) && kept_len == len &&
	    memcmp(kept, text, len) == 0)
		return;
	if (!g_file_set_contents(last_good, text, (gssize)len, &error) && !told) {
		told = TRUE;
		g_warning("cannot keep the last good config: %s", error->message);
	}
}

/* "<dir>/<name><suffix>": dir state_dir, or the config's own. */
static char *beside(const char *path, const char *state_dir, const char *suffix)
{
	g_autofree char *dir = state_dir ? g_strdup(state_dir) : g_path_get_dirname(path);
	g_autofree char *base = g_path_get_basename(path);
	g_autofree char *name = g_strconcat(base, suffix, NULL);

	return g_build_filename(dir, name, NULL);
}

char *startup_last_good_path(const char *path, const char *state_dir)
{
	return beside(path, state_dir, ".last-good");
}

char *startup_state_path(const char *path, const char *state_dir)
{
	return beside(path, state_dir, ".state");
}
