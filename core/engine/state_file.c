/* SPDX-License-Identifier: MIT */
/* The state file: see state_file.h. */
#include "engine/state_file.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#include "base/json_tree.h"

GQuark batagg_state_error_quark(void)
{
	return g_quark_from_static_string("batagg-state-error-quark");
}

/* One strategy's text. */
typedef struct {
	char *strategy;
	char *text;
} Saved;

/* One member's record. */
typedef struct {
	char *service;
	char *serial;
	GArray *saved; /* Saved, in the order first saved */
} Record;

struct StateFile {
	GPtrArray *records; /* Record *, in the order first saved */
	gboolean dirty;
};

static void saved_clear(gpointer data)
{
	Saved *s = data;

	g_free(s->strategy);
	g_free(s->text);
}

static void record_free(gpointer data)
{
	Record *r = data;

	g_free(r->service);
	g_free(r->serial);
	g_array_free(r->saved, TRUE);
	g_free(r);
}

static Record *record_new(const char *service, const char *serial)
{
	Record *r = g_new0(Record, 1);

	r->service = g_strdup(service);
	r->serial = g_strdup(serial);
	r->saved = g_array_new(FALSE, FALSE, sizeof(Saved));
	g_array_set_clear_func(r->saved, saved_clear);
	return r;
}

StateFile *state_file_new(void)
{
	StateFile *sf = g_new0(StateFile, 1);

	sf->records = g_ptr_array_new_with_free_func(record_free);
	return sf;
}

void state_file_free(StateFile *sf)
{
	if (!sf)
		return;
	g_ptr_array_free(sf->records, TRUE);
	g_free(sf);
}

static Record *find(const StateFile *sf, const char *service, guint *index)
{
	for (guint i = 0; i < sf->records->len; i++) {
		Record *r = sf->records->pdata[i];

		if (strcmp(r->service, service) == 0) {
			if (index)
				*index = i;
			return r;
		}
	}
	return NULL;
}

static Saved *find_saved(const Record *r, const char *strategy, guint *index)
{
	for (guint i = 0; i < r->saved->len; i++) {
		Saved *s = &g_array_index(r->saved, Saved, i);

		if (strcmp(s->strategy, strategy) == 0) {
			if (index)
				*index = i;
			return s;
		}
	}
	return NULL;
}

/* ---- reading ------------------------------------------------------------- */

static gboolean refuse(GError **error, int code, const char *origin, const char *fmt, ...)
        G_GNUC_PRINTF(4, 5);
static gboolean refuse(GError **error, int code, const char *origin, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, BATAGG_STATE_ERROR, code, "%s: %s", origin, msg);
	return FALSE;
}

static const JNode *member_field(const JNode *m, const char *key, JType type)
{
	const JNode *n = json_get(m, key);

	return n && n->type == type ? n : NULL;
}

/* One record of the file, into sf. */
static gboolean read_record(StateFile *sf, const JNode *m, guint i, const char *origin,
                            GError **error)
{
	const JNode *service = m->type == J_OBJECT ? member_field(m, "service", J_STRING) : NULL;
	const JNode *serial = m->type == J_OBJECT ? member_field(m, "serial", J_STRING) : NULL;
	const JNode *saved = m->type == J_OBJECT ? member_field(m, "strategies", J_OBJECT) : NULL;
	Record *r;

	if (!service || !service->text[0] || !serial || !saved)
		return refuse(error, BATAGG_STATE_ERROR_CORRUPT, origin,
		              "member %u is not an object with a \"service\", a \"serial\" and "
		              "\"strategies\"",
		              i + 1);
	if (find(sf, service->text, NULL))
		return refuse(error, BATAGG_STATE_ERROR_CORRUPT, origin, "\"%s\" is listed twice",
		              service->text);
	r = record_new(service->text, serial->text);
	g_ptr_array_add(sf->records, r);
	for (guint k = 0; k < saved->items->len; k++) {
		const JNode *text = saved->items->pdata[k];
		Saved s;

		if (text->type != J_STRING)
			return refuse(error, BATAGG_STATE_ERROR_CORRUPT, origin,
			              "what \"%s\" saved for \"%s\" is no text",
			              (const char *)saved->keys->pdata[k], service->text);
		s.strategy = g_strdup(saved->keys->pdata[k]);
		s.text = g_strdup(text->text);
		g_array_append_val(r->saved, s);
	}
	return TRUE;
}

static gboolean read_tree(StateFile *sf, const JNode *root, const char *origin, GError **error)
{
	const JNode *format = json_get(root, "format");
	const JNode *version = json_get(root, "version");
	const JNode *members = json_get(root, "members");

	if (!format || format->type != J_STRING || strcmp(format->text, STATE_FILE_FORMAT) != 0)
		return refuse(error, BATAGG_STATE_ERROR_FOREIGN, origin,
		              "not a state file of batagg's (no \"format\": \"%s\")",
		              STATE_FILE_FORMAT);
	if (!version || version->type != J_NUMBER)
		return refuse(error, BATAGG_STATE_ERROR_VERSION, origin,
		              "no \"version\" number; this batagg reads version %d",
		              STATE_FILE_VERSION);
	if (g_ascii_strtod(version->text, NULL) != STATE_FILE_VERSION)
		return refuse(error, BATAGG_STATE_ERROR_VERSION, origin,
		              "a state file of version %s; this batagg reads version %d",
		              version->text, STATE_FILE_VERSION);
	if (!members || members->type != J_ARRAY)
		return refuse(error, BATAGG_STATE_ERROR_CORRUPT, origin, "no list of \"members\"");
	for (guint i = 0; i < members->items->len; i++) {
		if (!read_record(sf, members->items->pdata[i], i, origin, error))
			return FALSE;
	}
	return TRUE;
}

static StateFile *parse(const char *text, size_t len, const char *origin, GError **error)
{
	Problems *problems = problems_new(origin);
	JNode *root = json_parse(text, len, problems);
	StateFile *sf = state_file_new();
	gboolean ok;

	if (!root || problems_count(problems, PROBLEM_ERROR) > 0) {
		const Problem *first = problems_len(problems) ? problems_get(problems, 0) : NULL;

		g_set_error(error, BATAGG_STATE_ERROR, BATAGG_STATE_ERROR_CORRUPT, "%s",
		            first ? first->text : "not JSON");
		ok = FALSE;
	} else if (root->type != J_OBJECT) {
		ok = refuse(error, BATAGG_STATE_ERROR_FOREIGN, origin,
		            "not a state file of batagg's (not a JSON object)");
	} else {
		ok = read_tree(sf, root, origin, error);
	}
	json_free(root);
	problems_free(problems);
	if (!ok) {
		state_file_free(sf);
		return NULL;
	}
	return sf;
}

StateFile *state_file_parse(const char *text, size_t len, GError **error)
{
	return parse(text, len, "state file", error);
}

StateFile *state_file_load(const char *path, GError **error)
{
	g_autofree char *text = NULL;
	g_autoptr(GError) io = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &text, &len, &io)) {
		if (g_error_matches(io, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return state_file_new();
		g_propagate_error(error, g_steal_pointer(&io));
		return NULL;
	}
	if (len > STATE_FILE_MAX_BYTES) {
		refuse(error, BATAGG_STATE_ERROR_FOREIGN, path,
		       "%" G_GSIZE_FORMAT " bytes, more than a state file of batagg's has", len);
		return NULL;
	}
	return parse(text, len, path, error);
}

/* ---- writing ------------------------------------------------------------- */

static void gen_string(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

char *state_file_text(const StateFile *sf)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t len;
	char *text;

	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_map_open(g);
	gen_string(g, "format");
	gen_string(g, STATE_FILE_FORMAT);
	gen_string(g, "version");
	yajl_gen_integer(g, STATE_FILE_VERSION);
	gen_string(g, "members");
	yajl_gen_array_open(g);
	for (guint i = 0; i < sf->records->len; i++) {
		const Record *r = sf->records->pdata[i];

		yajl_gen_map_open(g);
		gen_string(g, "service");
		gen_string(g, r->service);
		gen_string(g, "serial");
		gen_string(g, r->serial);
		gen_string(g, "strategies");
		yajl_gen_map_open(g);
		for (guint k = 0; k < r->saved->len; k++) {
			const Saved *s = &g_array_index(r->saved, Saved, k);

			gen_string(g, s->strategy);
			gen_string(g, s->text);
		}
		yajl_gen_map_close(g);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	yajl_gen_get_buf(g, &buf, &len);
	text = g_strdup_printf("%.*s\n", (int)len, (const char *)buf);
	yajl_gen_free(g);
	return text;
}

static gboolean write_all(int fd, const char *text, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, text, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		text += n;
		len -= (size_t)n;
	}
	return TRUE;
}

/* The rename is durable once the directory is on disk too. */
static void sync_dir(const char *path)
{
	g_autofree char *dir = g_path_get_dirname(path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

gboolean state_file_write(StateFile *sf, const char *path, GError **error)
{
	g_autofree char *text = state_file_text(sf);
	g_autofree char *tmp = g_strconcat(path, ".XXXXXX", NULL);
	int fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0644);
	int saved_errno;

	if (fd < 0) {
		saved_errno = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved_errno),
		            "cannot write beside %s: %s", path, g_strerror(saved_errno));
		return FALSE;
	}
	if (!write_all(fd, text, strlen(text)) || fsync(fd) != 0) {
		saved_errno = errno;
		close(fd);
		unlink(tmp);
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved_errno),
		            "cannot write %s: %s", tmp, g_strerror(saved_errno));
		return FALSE;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		saved_errno = errno;
		unlink(tmp);
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved_errno),
		            "cannot replace %s: %s", path, g_strerror(saved_errno));
		return FALSE;
	}
	sync_dir(path);
	sf->dirty = FALSE;
	return TRUE;
}

gboolean state_file_dirty(const StateFile *sf)
{
	return sf->dirty;
}

/* ---- the records --------------------------------------------------------- */

const char *state_file_get(const StateFile *sf, const char *service, const char *serial,
                           const char *strategy)
{
	const Record *r = find(sf, service, NULL);
	const Saved *s;

	if (!r || strcmp(r->serial, serial ? serial : "") != 0)
		return NULL;
	s = find_saved(r, strategy, NULL);
	return s ? s->text : NULL;
}

const char *state_file_serial(const StateFile *sf, const char *service)
{
	const Record *r = find(sf, service, NULL);

	return r ? r->serial : NULL;
}

gboolean state_file_set(StateFile *sf, const char *service, const char *serial,
                        const char *strategy, const char *text)
{
	guint index = 0, at = 0;
	Record *r = find(sf, service, &index);
	Saved *s;

	g_return_val_if_fail(!text || g_utf8_validate(text, -1, NULL), FALSE);
	serial = serial ? serial : "";
	if (r && strcmp(r->serial, serial) != 0) {
		/* Another battery on that service: what was kept is not its. */
		if (!text)
			return FALSE;
		g_ptr_array_remove_index(sf->records, index);
		r = NULL;
		sf->dirty = TRUE;
	}
	s = r ? find_saved(r, strategy, &at) : NULL;
	if (!text) {
		if (!s)
			return FALSE;
		g_array_remove_index(r->saved, at);
		if (r->saved->len == 0)
			g_ptr_array_remove_index(sf->records, index);
		sf->dirty = TRUE;
		return TRUE;
	}
	if (s && strcmp(s->text, text) == 0)
		return FALSE;
	if (s) {
		g_free(s->text);
		s->text = g_strdup(text);
	} else {
		Saved add = {g_strdup(strategy), g_strdup(text)};

		if (!r) {
			r = record_new(service, serial);
			g_ptr_array_add(sf->records, r);
		}
		g_array_append_val(r->saved, add);
	}
	sf->dirty = TRUE;
	return TRUE;
}

gboolean state_file_forget(StateFile *sf, const char *service)
{
	guint index;

	if (!service) {
		if (sf->records->len == 0)
			return FALSE;
		g_ptr_array_set_size(sf->records, 0);
	} else if (find(sf, service, &index)) {
		g_ptr_array_remove_index(sf->records, index);
	} else {
		return FALSE;
	}
	sf->dirty = TRUE;
	return TRUE;
}

guint state_file_len(const StateFile *sf)
{
	return sf->records->len;
}

const char *state_file_service(const StateFile *sf, guint i)
{
	return i < sf->records->len ? ((const Record *)sf->records->pdata[i])->service : NULL;
}
