/* SPDX-License-Identifier: MIT */
/*
 * The JSON tree.  yajl tells where a token ends; its start is found by
 * looking back over the token in the text, and turned into line:column by
 * a scan that only moves forward (tokens come in order), so a large file
 * costs linear time.
 */
#include "base/json_tree.h"

#include <string.h>
#include <yajl/yajl_parse.h>

typedef struct {
	const char *text;
	size_t len;
	Problems *problems;
	yajl_handle handle;
	GPtrArray *stack;     /* JNode * of open containers */
	GPtrArray *discarded; /* JNode *: the values of duplicate keys */
	JNode *root;
	char *pending_key; /* the key whose value comes next */
	JPos pending_key_at;
	char *top_key;     /* the top-level key whose value is being read */
	gboolean too_deep; /* parsing stopped at JSON_MAX_DEPTH */
	size_t at;         /* position() was last here, at line:col */
	JPos at_pos;
} Parser;

void json_free(JNode *n)
{
	if (!n)
		return;
	if (n->seen)
		g_hash_table_destroy(n->seen);
	g_free(n->text);
	if (n->keys)
		g_ptr_array_free(n->keys, TRUE);
	if (n->key_at)
		g_array_free(n->key_at, TRUE);
	if (n->items)
		g_ptr_array_free(n->items, TRUE);
	g_free(n);
}

const char *json_type_name(JType t)
{
	static const char *const names[] = {"null",     "a boolean", "a number",
	                                    "a string", "an object", "an array"};
	return names[t];
}

const JNode *json_get(const JNode *n, const char *key)
{
	for (guint i = 0; n && n->type == J_OBJECT && i < n->keys->len; i++) {
		if (strcmp(n->keys->pdata[i], key) == 0)
			return n->items->pdata[i];
	}
	return NULL;
}

/* Line and column (1-based) of offset. */
static JPos position(Parser *p, size_t offset)
{
	size_t i;

	if (!p->at_pos.line || offset < p->at) {
		p->at = 0;
		p->at_pos = (JPos){1, 1};
	}
	for (i = p->at; i < offset && i < p->len; i++) {
		if (p->text[i] == '\n')
			p->at_pos = (JPos){p->at_pos.line + 1, 1};
		else
			p->at_pos.col++;
	}
	p->at = i;
	return p->at_pos;
}

/* Where the token of type t that ends at or before end starts. */
static size_t token_start(const Parser *p, size_t end, JType t)
{
	const char *s = p->text;
	size_t i = MIN(end, p->len);

	if (t == J_OBJECT || t == J_ARRAY) {
		while (i > 0 && s[i - 1] != (t == J_OBJECT ? '{' : '['))
			i--;
		return i > 0 ? i - 1 : 0;
	}
	/* What yajl may have read past the token. */
	while (i > 0 && strchr(" \t\r\n,:]}", s[i - 1]))
		i--;
	if (t != J_STRING) {
		while (i > 0 && (g_ascii_isalnum(s[i - 1]) || strchr("+-.", s[i - 1])))
			i--;
		return i;
	}
	/* From the closing quote back to the opening one, which no odd run of
	 * backslashes escapes. */
	for (i = i > 0 ? i - 1 : 0; i > 0;) {
		size_t slashes = 0;

		i--;
		while (i > slashes && s[i - 1 - slashes] == '\\')
			slashes++;
		if (s[i] == '"' && slashes % 2 == 0)
			return i;
	}
	return 0;
}

static JPos start_of(Parser *p, JType t)
{
	return position(p, token_start(p, yajl_get_bytes_consumed(p->handle), t));
}

static int add_node(Parser *p, JNode *n)
{
	JNode *parent = p->stack->len ? p->stack->pdata[p->stack->len - 1] : NULL;

	n->at = start_of(p, n->type);
	if (!parent) {
		p->root = n;
		return 1;
	}
	if (parent->type == J_ARRAY) {
		g_ptr_array_add(parent->items, n);
		return 1;
	}
	/* A duplicate key was reported; only its first value counts.  The
	 * second is parsed (it may be a container, open on the stack) into
	 * what is thrown away at the end. */
	if (g_hash_table_contains(parent->seen, p->pending_key)) {
		g_ptr_array_add(p->discarded, n);
		g_clear_pointer(&p->pending_key, g_free);
		return 1;
	}
	g_hash_table_add(parent->seen, p->pending_key);
	g_ptr_array_add(parent->keys, p->pending_key);
	g_array_append_val(parent->key_at, p->pending_key_at);
	g_ptr_array_add(parent->items, n);
	p->pending_key = NULL;
	return 1;
}

static JNode *new_node(JType type)
{
	JNode *n = g_new0(JNode, 1);

	n->type = type;
	if (type == J_OBJECT || type == J_ARRAY)
		n->items = g_ptr_array_new_with_free_func((GDestroyNotify)json_free);
	if (type == J_OBJECT) {
		n->keys = g_ptr_array_new_with_free_func(g_free);
		n->key_at = g_array_new(FALSE, FALSE, sizeof(JPos));
		n->seen = g_hash_table_new(g_str_hash, g_str_equal);
	}
	return n;
}

static int on_null(void *ctx)
{
	return add_node(ctx, new_node(J_NULL));
}

static int on_boolean(void *ctx, int b)
{
	JNode *n = new_node(J_BOOL);

	n->boolean = b;
	return add_node(ctx, n);
}

static int on_number(void *ctx, const char *s, size_t len)
{
	JNode *n = new_node(J_NUMBER);

	n->text = g_strndup(s, len);
	return add_node(ctx, n);
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
	JNode *n = new_node(J_STRING);

	n->text = g_strndup((const char *)s, len);
	return add_node(ctx, n);
}

static int open_container(Parser *p, JType type)
{
	JNode *n;

	if (p->stack->len >= JSON_MAX_DEPTH) {
		JPos at = start_of(p, type);

		problems_add(p->problems, PROBLEM_ERROR, at.line, at.col, p->top_key,
		             "nested too deeply: at most %d levels of objects and arrays",
		             JSON_MAX_DEPTH);
		p->too_deep = TRUE;
		return 0;
	}
	n = new_node(type);
	add_node(p, n);
	g_ptr_array_add(p->stack, n);
	return 1;
}

static int on_start_map(void *ctx)
{
	return open_container(ctx, J_OBJECT);
}

static int on_map_key(void *ctx, const unsigned char *s, size_t len)
{
	Parser *p = ctx;
	JNode *obj = p->stack->pdata[p->stack->len - 1];

	g_free(p->pending_key);
	p->pending_key = g_strndup((const char *)s, len);
	p->pending_key_at = start_of(p, J_STRING);
	if (p->stack->len == 1) {
		g_free(p->top_key);
		p->top_key = g_strdup(p->pending_key);
	}
	/* Each problem names the top-level key it is in: the daemon's start
	 * runs that key at its default. */
	if (g_hash_table_contains(obj->seen, p->pending_key))
		problems_add(p->problems, PROBLEM_ERROR, p->pending_key_at.line,
		             p->pending_key_at.col, p->top_key, "duplicate key '%s'",
		             p->pending_key);
	return 1;
}

static int on_end_container(void *ctx)
{
	Parser *p = ctx;
	JNode *n = g_ptr_array_remove_index(p->stack, p->stack->len - 1);

	g_clear_pointer(&n->seen, g_hash_table_destroy);
	return 1;
}

static int on_start_array(void *ctx)
{
	return open_container(ctx, J_ARRAY);
}

static const yajl_callbacks callbacks = {
        .yajl_null = on_null,
        .yajl_boolean = on_boolean,
        .yajl_number = on_number,
        .yajl_string = on_string,
        .yajl_start_map = on_start_map,
        .yajl_map_key = on_map_key,
        .yajl_end_map = on_end_container,
        .yajl_start_array = on_start_array,
        .yajl_end_array = on_end_container,
};

static void syntax_error(Parser *p)
{
	unsigned char *err = yajl_get_error(p->handle, 1, (const unsigned char *)p->text, p->len);
	JPos at = position(p, yajl_get_bytes_consumed(p->handle));
	/* yajl says "parse error: WHAT\n  CONTEXT\n  (right here) --^". */
	g_auto(GStrv) lines = g_strsplit((char *)err, "\n", 3);
	const char *what = lines[0] ? lines[0] : "";
	g_autofree char *context = g_strdup(lines[0] && lines[1] ? lines[1] : "");

	if (g_str_has_prefix(what, "parse error: "))
		what += strlen("parse error: ");
	g_strstrip(context);
	if (context[0])
		problems_add(p->problems, PROBLEM_ERROR, at.line, at.col, NULL,
		             "syntax error: %s, near '%s'", what, context);
	else
		problems_add(p->problems, PROBLEM_ERROR, at.line, at.col, NULL, "syntax error: %s",
		             what);
	yajl_free_error(p->handle, err);
}

JNode *json_parse(const char *text, size_t len, Problems *problems)
{
	Parser p = {.text = text, .len = len, .problems = problems};
	yajl_status st;

	p.handle = yajl_alloc(&callbacks, NULL, &p);
	p.stack = g_ptr_array_new();
	p.discarded = g_ptr_array_new_with_free_func((GDestroyNotify)json_free);
	st = yajl_parse(p.handle, (const unsigned char *)text, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(p.handle);
	if (st != yajl_status_ok && !p.too_deep)
		syntax_error(&p);
	yajl_free(p.handle);
	/* Containers still open belong to the tree (or to nothing yet). */
	g_ptr_array_free(p.stack, TRUE);
	g_ptr_array_free(p.discarded, TRUE);
	g_free(p.pending_key);
	g_free(p.top_key);

	if (st != yajl_status_ok) {
		json_free(p.root);
		return NULL;
	}
	return p.root;
}
