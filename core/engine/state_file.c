/* SPDX-License-Identifier: MIT */
/* The state file: see state_file.h.  The records are state_format.h's. */
#include "engine/state_file.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

struct StateFile {
	GPtrArray *records; /* StateRecord *, in the order first saved */
	gboolean dirty;
};

StateFile *state_file_new(void)
{
	StateFile *sf = g_new0(StateFile, 1);

	sf->records = g_ptr_array_new_with_free_func(state_format_record_free);
	return sf;
}

void state_file_free(StateFile *sf)
{
	if (!sf)
		return;
	g_ptr_array_free(sf->records, TRUE);
	g_free(sf);
}

static StateRecord *find(const StateFile *sf, const char *service, guint *index)
{
	for (guint i = 0; i < sf->records->len; i++) {
		StateRecord *r = sf->records->pdata[i];

		if (strcmp(r->service, service) == 0) {
			if (index)
				*index = i;
			return r;
		}
	}
	return NULL;
}

static StateSaved *find_saved(const StateRecord *r, const char *strategy, guint *index)
{
	for (guint i = 0; i < r->saved->len; i++) {
		StateSaved *s = &g_array_index(r->saved, StateSaved, i);

		if (strcmp(s->strategy, strategy) == 0) {
			if (index)
				*index = i;
			return s;
		}
	}
	return NULL;
}

/* ---- reading ------------------------------------------------------------- */

static StateFile *parse(const char *text, size_t len, const char *origin, GError **error)
{
	GPtrArray *records = state_format_parse(text, len, origin, error);
	StateFile *sf;

	if (!records)
		return NULL;
	sf = g_new0(StateFile, 1);
	sf->records = records;
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
		g_set_error(error, BATAGG_STATE_ERROR, BATAGG_STATE_ERROR_FOREIGN,
		            "%s: %" G_GSIZE_FORMAT " bytes, more than a state file of batagg's has",
		            path, len);
		return NULL;
	}
	return parse(text, len, path, error);
}

/* ---- writing ------------------------------------------------------------- */

char *state_file_text(const StateFile *sf)
{
	return state_format_text(sf->records);
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
	const StateRecord *r = find(sf, service, NULL);
	const StateSaved *s;

	if (!r || strcmp(r->serial, serial ? serial : "") != 0)
		return NULL;
	s = find_saved(r, strategy, NULL);
	return s ? s->text : NULL;
}

const char *state_file_serial(const StateFile *sf, const char *service)
{
	const StateRecord *r = find(sf, service, NULL);

	return r ? r->serial : NULL;
}

gboolean state_file_set(StateFile *sf, const char *service, const char *serial,
                        const char *strategy, const char *text)
{
	guint index = 0, at = 0;
	StateRecord *r = find(sf, service, &index);
	StateSaved *s;

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
		StateSaved add = {g_strdup(strategy), g_strdup(text)};

		if (!r) {
			r = state_format_record_new(service, serial);
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
	return i < sf->records->len ? ((const StateRecord *)sf->records->pdata[i])->service : NULL;
}
