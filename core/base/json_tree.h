/* SPDX-License-Identifier: MIT */
/*
 * A JSON document as a small tree that remembers where each key and value
 * starts (line and column, 1-based), for messages that point at what the
 * user wrote.  Parsed with yajl's event parser; duplicate keys and nesting
 * deeper than JSON_MAX_DEPTH are problems, found while parsing.
 */
#ifndef BATAGG_JSON_TREE_H
#define BATAGG_JSON_TREE_H

#include <glib.h>

#include "base/problems.h"

/* Objects and arrays nest at most this deep (the root is level 1; a config
 * needs 4).  Deeper input is refused while it is parsed, so that nothing
 * that walks the tree recurses without bound. */
#define JSON_MAX_DEPTH 32

typedef enum { J_NULL, J_BOOL, J_NUMBER, J_STRING, J_OBJECT, J_ARRAY } JType;

typedef struct {
	int line, col;
} JPos;

typedef struct JNode JNode;
struct JNode {
	JType type;
	JPos at;          /* where the value starts */
	char *text;       /* J_NUMBER: as written; J_STRING: the string */
	gboolean boolean; /* J_BOOL */
	/* J_OBJECT: its keys (char *) and where each starts (JPos); the values
	 * are items, in the order written.  A duplicate key is a problem and
	 * only its first value is kept. */
	GPtrArray *keys;
	GArray *key_at;
	GPtrArray *items; /* J_OBJECT values and J_ARRAY items: JNode * */
	GHashTable *seen; /* J_OBJECT while it is parsed: its keys (borrowed) */
};

/* Parses len bytes of text.  Returns (transfer full) the tree, or NULL when
 * the text is not JSON: then problems has the syntax error (with the
 * problems found before it, such as a duplicate key). */
JNode *json_parse(const char *text, size_t len, Problems *problems);
void json_free(JNode *n);

/* "a boolean", "an object", ...: for messages. */
const char *json_type_name(JType t);

/* The value of key in object n, or NULL. */
const JNode *json_get(const JNode *n, const char *key);

#endif
