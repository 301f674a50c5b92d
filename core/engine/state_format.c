/* SPDX-License-Identifier: MIT */
/* The state file's format: see state_format.h. */
#include "engine/state_format.h"

#include <stdarg.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "base/json_tree.h"

GQuark state_format_error_quark(void)
{
	return g_quark_from_static_string("batagg-state-error-quark");
}

static void saved_clear(gpointer data)
{
	StateSaved *s = data;

	g_free(s->strategy);
	g_free(s->text);
}

void state_format_record_free(gpointer record)
{
	StateRecord *r = record;

	g_free(r->service);
	g_free(r->serial);
	g_array_free(r->saved, TRUE);
	g_free(r);
}

StateRecord *state_format_record_new(const char *service, const char *serial)
{
	StateRecord *r = g_new0(StateRecord, 1);

	r->service = g_strdup(service);
	r->serial = g_strdup(serial);
	r->saved = g_array_new(FALSE, FALSE, sizeof(StateSaved));
	g_array_set_clear_func(r->saved, saved_clear);
	return r;
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

static gboolean listed(const GPtrArray *records, const char *service)
{
	for (guint i = 0; i < records->len; i++) {
		if (strcmp(((const StateRecord *)records->pdata[i])->service, service) == 0)
			return TRUE;
	}
	return FALSE;
}

/* One record of the file, into records. */
static gboolean read_record(GPtrArray *records, const JNode *m, guint i, const char *origin,
                            GError **error)
{
	const JNode *service = m->type == J_OBJECT ? member_field(m, "service", J_STRING) : NULL;
	const JNode *serial = m->type == J_OBJECT ? member_field(m, "serial", J_STRING) : NULL;
	const JNode *saved = m->type == J_OBJECT ? member_field(m, "strategies", J_OBJECT) : NULL;
	StateRecord *r;

	if (!service || !service->text[0] || !serial || !saved)
		return refuse(error, BATAGG_STATE_ERROR_CORRUPT, origin,
		              "member %u is not an object with a \"service\", a \"serial\" and "
		              "\"strategies\"",
		              i + 1);
	if (listed(records, service->text))
		return refuse(error, BATAGG_STATE_ERROR_CORRUPT, origin, "\"%s\" is listed twice",
		              service->text);
	r = state_format_record_new(service->text, serial->text);
	g_ptr_array_add(records, r);
	for (guint k = 0; k < saved->items->len; k++) {
		const JNode *text = saved->items->pdata[k];
		StateSaved s;

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

static gboolean read_tree(GPtrArray *records, const JNode *root, const char *origin, GError **error)
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
		if (!read_record(records, members->items->pdata[i], i, origin, error))
			return FALSE;
	}
	return TRUE;
}

GPtrArray *state_format_parse(const char *text, size_t len, const char *origin, GError **error)
{
	Problems *problems = problems_new(origin);
	JNode *root = json_parse(text, len, problems);
	GPtrArray *records = g_ptr_array_new_with_free_func(state_format_record_free);
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
		ok = read_tree(records, root, origin, error);
	}
	json_free(root);
	problems_free(problems);
	if (!ok) {
		g_ptr_array_free(records, TRUE);
		return NULL;
	}
	return records;
}

/* ---- writing ------------------------------------------------------------- */

static void gen_string(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

char *state_format_text(const GPtrArray *records)
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
	for (guint i = 0; i < records->len; i++) {
		const StateRecord *r = records->pdata[i];

		yajl_gen_map_open(g);
		gen_string(g, "service");
		gen_string(g, r->service);
		gen_string(g, "serial");
		gen_string(g, r->serial);
		gen_string(g, "strategies");
		yajl_gen_map_open(g);
		for (guint k = 0; k < r->saved->len; k++) {
			const StateSaved *s = &g_array_index(r->saved, StateSaved, k);

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
