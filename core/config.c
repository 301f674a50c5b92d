/* SPDX-License-Identifier: MIT */
/*
 * The config file.  yajl's event parser builds a small tree that remembers
 * where each value stood (for line:column in messages) and catches duplicate
 * keys; the checks then walk the tree once, collecting every problem, and
 * fill the typed Config.  Nothing the user wrote is ever silently ignored.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "names.h"

GQuark batagg_config_error_quark(void)
{
	return g_quark_from_static_string("batagg-config-error-quark");
}

/* ---- a JSON tree with positions ------------------------------------------ */

typedef enum { J_NULL, J_BOOL, J_NUMBER, J_STRING, J_OBJECT, J_ARRAY } JType;

typedef struct JNode JNode;
struct JNode {
	JType type;
	size_t offset;    /* byte offset where the value ends being read */
	char *text;       /* J_NUMBER: as written; J_STRING: the string */
	gboolean boolean; /* J_BOOL */
	GPtrArray *keys;  /* J_OBJECT: char * */
	GPtrArray *items; /* J_OBJECT values and J_ARRAY items: JNode * */
	GHashTable *seen; /* J_OBJECT while it is parsed: its keys (borrowed) */
};

static void jnode_free(JNode *n)
{
	if (!n)
		return;
	if (n->seen)
		g_hash_table_destroy(n->seen);
	g_free(n->text);
	if (n->keys)
		g_ptr_array_free(n->keys, TRUE);
	if (n->items)
		g_ptr_array_free(n->items, TRUE);
	g_free(n);
}

typedef struct {
	const char *origin;
	const char *text;
	yajl_handle handle;
	GPtrArray *stack; /* JNode * of open containers */
	JNode *root;
	char *pending_key; /* the key whose value comes next */
	GPtrArray *errors; /* char *, one line each */
	gboolean too_deep; /* parsing stopped at CONFIG_MAX_DEPTH */
	size_t at;         /* position() was last here, at line:col */
	int at_line, at_col;
} Parser;

/* Line and column (1-based) of offset.  Problems come mostly in the order
 * of the text, so a search starts where the last one ended: a file with a
 * problem on every line is read once, not once per problem. */
static void position(Parser *p, size_t offset, int *line, int *col)
{
	size_t i;

	if (!p->at_line || offset < p->at) {
		p->at = 0;
		p->at_line = 1;
		p->at_col = 1;
	}
	for (i = p->at; i < offset && p->text[i]; i++) {
		if (p->text[i] == '\n') {
			p->at_line++;
			p->at_col = 1;
		} else {
			p->at_col++;
		}
	}
	p->at = i;
	*line = p->at_line;
	*col = p->at_col;
}

G_GNUC_PRINTF(4, 5)
static void problem(GPtrArray *errors, const char *origin, const char *where, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(errors, g_strdup_printf("%s:%s %s", origin, where, msg));
}

static char *where(Parser *p, size_t offset)
{
	int line, col;

	position(p, offset, &line, &col);
	return g_strdup_printf("%d:%d:", line, col);
}

static int add_node(Parser *p, JNode *n)
{
	JNode *parent = p->stack->len ? p->stack->pdata[p->stack->len - 1] : NULL;

	n->offset = yajl_get_bytes_consumed(p->handle);
	if (!parent) {
		p->root = n;
		return 1;
	}
	if (parent->type == J_ARRAY) {
		g_ptr_array_add(parent->items, n);
		return 1;
	}
	if (!parent->seen)
		parent->seen = g_hash_table_new(g_str_hash, g_str_equal);
	g_hash_table_add(parent->seen, p->pending_key);
	g_ptr_array_add(parent->keys, p->pending_key);
	g_ptr_array_add(parent->items, n);
	p->pending_key = NULL;
	return 1;
}

static JNode *new_node(JType type)
{
	JNode *n = g_new0(JNode, 1);

	n->type = type;
	if (type == J_OBJECT || type == J_ARRAY)
		n->items = g_ptr_array_new_with_free_func((GDestroyNotify)jnode_free);
	if (type == J_OBJECT)
		n->keys = g_ptr_array_new_with_free_func(g_free);
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

	/* Deeper than any config needs: stop here, so that nothing that walks
	 * the tree (flatten(), jnode_free()) recurses without bound. */
	if (p->stack->len >= CONFIG_MAX_DEPTH) {
		g_autofree char *w = where(p, yajl_get_bytes_consumed(p->handle) - 1);

		problem(p->errors, p->origin, w,
		        "nested too deeply: at most %d levels of objects and arrays",
		        CONFIG_MAX_DEPTH);
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
	g_autofree char *key = g_strndup((const char *)s, len);

	if (obj->seen && g_hash_table_contains(obj->seen, key)) {
		g_autofree char *w = where(p, yajl_get_bytes_consumed(p->handle));

		problem(p->errors, p->origin, w, "duplicate key '%s'", key);
	}
	g_free(p->pending_key);
	p->pending_key = g_steal_pointer(&key);
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

static gboolean parse_json(Parser *p, const char *text, size_t len)
{
	yajl_status st;

	p->handle = yajl_alloc(&callbacks, NULL, p);
	p->stack = g_ptr_array_new();
	st = yajl_parse(p->handle, (const unsigned char *)text, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(p->handle);
	if (st != yajl_status_ok && !p->too_deep) {
		unsigned char *err = yajl_get_error(p->handle, 1, (const unsigned char *)text, len);
		size_t at = yajl_get_bytes_consumed(p->handle);
		g_autofree char *w = where(p, at);
		/* yajl says "parse error: WHAT\n  CONTEXT\n  (right here) --^". */
		g_auto(GStrv) lines = g_strsplit((char *)err, "\n", 3);
		const char *what = lines[0] ? lines[0] : "";
		g_autofree char *context = g_strdup(lines[0] && lines[1] ? lines[1] : "");

		if (g_str_has_prefix(what, "parse error: "))
			what += strlen("parse error: ");
		g_strstrip(context);
		if (context[0])
			problem(p->errors, p->origin, w, "syntax error: %s, near '%s'", what,
			        context);
		else
			problem(p->errors, p->origin, w, "syntax error: %s", what);
		yajl_free_error(p->handle, err);
	}
	yajl_free(p->handle);
	g_ptr_array_free(p->stack, TRUE);
	g_free(p->pending_key);
	p->pending_key = NULL;
	return st == yajl_status_ok;
}

/* ---- checks -------------------------------------------------------------- */

typedef struct {
	Parser *p;
	Config *cfg;
	const JNode **virtual_at; /* where each of cfg->virtuals was written */
} Check;

static void bad(Check *c, const JNode *n, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static void bad(Check *c, const JNode *n, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;
	g_autofree char *w = where(c->p, n->offset);

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	problem(c->p->errors, c->p->origin, w, "%s", msg);
}

static const char *type_name(JType t)
{
	static const char *const names[] = {"null",     "a boolean", "a number",
	                                    "a string", "an object", "an array"};
	return names[t];
}

static gboolean expect(Check *c, const JNode *n, JType t, const char *key)
{
	if (n->type == t)
		return TRUE;
	bad(c, n, "key '%s': expected %s, got %s", key, type_name(t), type_name(n->type));
	return FALSE;
}

static gboolean number_of(Check *c, const JNode *n, const char *key, double *out)
{
	if (!expect(c, n, J_NUMBER, key))
		return FALSE;
	*out = g_ascii_strtod(n->text, NULL);
	return TRUE;
}

static gboolean integer_of(Check *c, const JNode *n, const char *key, int min, int *out)
{
	char *end;
	gint64 v;

	if (!expect(c, n, J_NUMBER, key))
		return FALSE;
	v = g_ascii_strtoll(n->text, &end, 10);
	if (*end || v < min || v > G_MAXINT) {
		bad(c, n, "key '%s': expected a whole number >= %d, got %s", key, min, n->text);
		return FALSE;
	}
	*out = (int)v;
	return TRUE;
}

static gboolean one_of(Check *c, const JNode *n, const char *key, const char *const *allowed,
                       int *index)
{
	g_autofree char *list = NULL;

	if (!expect(c, n, J_STRING, key))
		return FALSE;
	for (int i = 0; allowed[i]; i++) {
		if (strcmp(n->text, allowed[i]) == 0) {
			*index = i;
			return TRUE;
		}
	}
	list = g_strjoinv("\", \"", (char **)allowed);
	bad(c, n, "key '%s': unknown value \"%s\"; allowed: \"%s\"", key, n->text, list);
	return FALSE;
}

/* A strategy's name: the registry checks later that it exists. */
static gboolean strategy_name(Check *c, const JNode *n, const char *key, char **out)
{
	if (!expect(c, n, J_STRING, key))
		return FALSE;
	for (const char *s = n->text; *s; s++) {
		if (!g_ascii_isalnum(*s) && *s != '_' && *s != '.') {
			bad(c, n, "key '%s': \"%s\" is not a strategy name", key, n->text);
			return FALSE;
		}
	}
	if (!n->text[0]) {
		bad(c, n, "key '%s': empty name", key);
		return FALSE;
	}
	g_free(*out);
	*out = g_strdup(n->text);
	return TRUE;
}

/* A battery service's bus name, checked as the bus checks it: libdbus
 * aborts a program that asks for an invalid one. */
static gboolean service_name(Check *c, const JNode *n, const char *key)
{
	g_autofree char *why = names_battery_service_problem(n->text);

	if (why)
		bad(c, n, "key '%s': \"%s\" is not a battery service name: %s", key, n->text, why);
	return !why;
}

/* "class:<hook>" or "class:<hook>#<suffix>": the suffix tells two hooks of a
 * kind apart, in "classes" and in messages.  It has the characters of a bus
 * name's element, so that it could one day name a path (names.h) or a
 * service; unlike an element it may start with a digit ("#2"), as existing
 * configs have it. */
static gboolean hook_id(Check *c, const JNode *n, const char *key)
{
	const char *hash = strchr(n->text, '#');

	for (const char *s = hash ? hash + 1 : ""; *s; s++) {
		if (!names_is_bus_name_char(*s)) {
			bad(c, n,
			    "key '%s': \"%s\": a hook's suffix (after '#') has only A-Z, a-z, "
			    "0-9, '_' and '-'",
			    key, n->text);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean battery_name(Check *c, const JNode *n, const char *key, gboolean hooks)
{
	if (!expect(c, n, J_STRING, key))
		return FALSE;
	if (g_str_has_prefix(n->text, "name:") && n->text[5])
		return TRUE;
	if (hooks && g_str_has_prefix(n->text, "class:"))
		return hook_id(c, n, key);
	if (g_str_has_prefix(n->text, NAMES_BATTERY_PREFIX))
		return service_name(c, n, key);
	bad(c, n,
	    "key '%s': \"%s\" is not a battery service (" NAMES_BATTERY_PREFIX "…) or "
	    "\"name:<custom name>\"%s",
	    key, n->text, hooks ? " or a hook \"class:…\"" : "");
	return FALSE;
}

static char **string_list(Check *c, const JNode *n, const char *key, gboolean paths)
{
	GPtrArray *out = g_ptr_array_new();

	for (guint i = 0; i < n->items->len; i++) {
		const JNode *item = n->items->pdata[i];

		if (!expect(c, item, J_STRING, key))
			continue;
		if (paths && item->text[0] != '/') {
			bad(c, item, "key '%s': \"%s\" is not a D-Bus path (it starts with '/')",
			    key, item->text);
			continue;
		}
		g_ptr_array_add(out, g_strdup(item->text));
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

/* An array of names, or an object name -> array of paths. */
static ConfigService *services(Check *c, const JNode *n, const char *key, gboolean hooks,
                               size_t *count)
{
	GArray *out = g_array_new(FALSE, TRUE, sizeof(ConfigService));
	g_autoptr(GHashTable) listed = g_hash_table_new(g_str_hash, g_str_equal);

	if (n->type != J_ARRAY && n->type != J_OBJECT) {
		bad(c, n,
		    "key '%s': expected an array of service names or an object of service "
		    "name -> array of paths, got %s",
		    key, type_name(n->type));
	}
	for (guint i = 0; (n->type == J_ARRAY || n->type == J_OBJECT) && i < n->items->len; i++) {
		const JNode *item = n->items->pdata[i];
		ConfigService s = {0};

		if (n->type == J_ARRAY) {
			if (!battery_name(c, item, key, hooks))
				continue;
			s.name = g_strdup(item->text);
		} else {
			JNode name = {.type = J_STRING,
			              .offset = item->offset,
			              .text = n->keys->pdata[i]};

			if (!battery_name(c, &name, key, hooks) || !expect(c, item, J_ARRAY, key))
				continue;
			s.name = g_strdup(name.text);
			s.paths = string_list(c, item, key, TRUE);
		}
		if (g_hash_table_contains(listed, s.name))
			bad(c, item, "key '%s': \"%s\" is listed twice", key, s.name);
		g_array_append_val(out, s);
		g_hash_table_add(listed, s.name);
	}
	*count = out->len;
	return (ConfigService *)(void *)g_array_free(out, FALSE);
}

/* Options of a hook: numbers (as written), strings, booleans (as "1" and "0",
 * which is how the Python daemon's hooks read them: float(True) is 1.0) and
 * objects of them, which flatten into "outer/inner" keys, in order.  Arrays
 * and null mean nothing to a hook: an error naming the option, whose name in
 * messages is the key path, "classes.<id>.outer.inner".  The parser's depth
 * limit bounds the recursion. */
static void flatten(Check *c, const JNode *n, const char *prefix, const char *key_path, GArray *out)
{
	for (guint i = 0; i < n->items->len; i++) {
		const JNode *item = n->items->pdata[i];
		const char *k = n->keys->pdata[i];
		g_autofree char *key = prefix ? g_strdup_printf("%s/%s", prefix, k) : g_strdup(k);
		g_autofree char *path = g_strdup_printf("%s.%s", key_path, k);
		ConfigOption o = {0};

		switch (item->type) {
		case J_OBJECT:
			flatten(c, item, key, path, out);
			continue;
		case J_NUMBER:
		case J_STRING:
			o.value = g_strdup(item->text);
			break;
		case J_BOOL:
			o.value = g_strdup(item->boolean ? "1" : "0");
			break;
		default:
			bad(c, item,
			    "key '%s': expected a number, a string, a boolean or an object, got %s",
			    path, type_name(item->type));
			continue;
		}
		o.key = g_steal_pointer(&key);
		g_array_append_val(out, o);
	}
}

static const char *const known_hooks[] = {"hooks.FixedValueHook", "hooks.CustomChargingHook",
                                          "hooks.TemperatureChargingHook", NULL};

static gboolean known_hook(const char *id)
{
	g_autofree char *cls = g_strndup(id, strcspn(id, "#"));

	return g_strv_contains(known_hooks, cls);
}

static void check_classes(Check *c, const JNode *n)
{
	GArray *out = g_array_new(FALSE, TRUE, sizeof(ConfigClass));

	for (guint i = 0; i < n->items->len; i++) {
		const JNode *item = n->items->pdata[i];
		g_autoptr(GArray) opts = NULL;
		g_autofree char *where = NULL;
		ConfigClass cls = {0};

		if (!expect(c, item, J_OBJECT, "classes"))
			continue;
		opts = g_array_new(FALSE, TRUE, sizeof(ConfigOption));
		where = g_strdup_printf("classes.%s", (const char *)n->keys->pdata[i]);
		flatten(c, item, NULL, where, opts);
		cls.id = g_strdup(n->keys->pdata[i]);
		cls.n_options = opts->len;
		cls.options = (ConfigOption *)(void *)g_array_free(g_steal_pointer(&opts), FALSE);
		g_array_append_val(out, cls);
	}
	c->cfg->n_classes = out->len;
	c->cfg->classes = (ConfigClass *)(void *)g_array_free(out, FALSE);
}

static gboolean in_services(const ConfigService *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(list[i].name, name) == 0)
			return TRUE;
	}
	return FALSE;
}

/* Virtual batteries that list each other read their own values back
 * through the bus and never let go of them: a loop (A lists B, B lists A, or
 * longer) is an error.  A depth-first walk with its own stack (a config may
 * chain any number of virtual batteries), each loop reported where it
 * closes. */
static void check_loops(Check *c, const ConfigVirtual *v, size_t n)
{
	g_autoptr(GHashTable) index = g_hash_table_new(g_str_hash, g_str_equal);
	g_autofree guint8 *state = g_new0(guint8, n); /* 0 new, 1 on the stack, 2 done */
	g_autofree size_t *next = g_new0(size_t, n);  /* the next member to follow */
	g_autofree size_t *stack = g_new(size_t, n);

	for (size_t i = n; i-- > 0;)
		g_hash_table_insert(index, v[i].name, GSIZE_TO_POINTER(i + 1));
	for (size_t root = 0; root < n; root++) {
		size_t depth = 0;

		if (state[root])
			continue;
		state[root] = 1;
		stack[depth++] = root;
		while (depth) {
			size_t i = stack[depth - 1];
			size_t j;

			if (next[i] == v[i].n_members) {
				state[i] = 2;
				depth--;
				continue;
			}
			j = GPOINTER_TO_SIZE(
			        g_hash_table_lookup(index, v[i].members[next[i]++].name));
			if (!j-- || j == i) /* not a virtual battery, or itself */
				continue;
			if (state[j] == 0) {
				state[j] = 1;
				stack[depth++] = j;
			} else if (state[j] == 1) {
				GString *loop = g_string_new(NULL);
				size_t k = depth;

				while (stack[k - 1] != j)
					k--;
				for (; k <= depth; k++)
					g_string_append_printf(loop, "\"%s\" lists \"%s\", ",
					                       v[stack[k - 1]].name,
					                       v[k < depth ? stack[k] : j].name);
				g_string_truncate(loop, loop->len - 2);
				bad(c, c->virtual_at[j],
				    "key 'virtualBatteries': virtual batteries in a loop: %s (each "
				    "would "
				    "read its own values back)",
				    loop->str);
				g_string_free(loop, TRUE);
			}
		}
	}
}

static void check_virtuals(Check *c, const JNode *n)
{
	GArray *out = g_array_new(FALSE, TRUE, sizeof(ConfigVirtual));
	GPtrArray *at = g_ptr_array_new();

	for (guint i = 0; i < n->items->len; i++) {
		const JNode *item = n->items->pdata[i];
		JNode name = {.type = J_STRING, .offset = item->offset, .text = n->keys->pdata[i]};
		ConfigVirtual v = {0};

		if (!battery_name(c, &name, "virtualBatteries", FALSE))
			continue;
		if (g_str_has_prefix(name.text, "name:")) {
			bad(c, item,
			    "key 'virtualBatteries': a virtual battery needs a service "
			    "name, not \"%s\"",
			    name.text);
			continue;
		}
		v.name = g_strdup(name.text);
		v.members = services(c, item, "virtualBatteries", TRUE, &v.n_members);
		if (in_services(v.members, v.n_members, v.name))
			bad(c, item, "key 'virtualBatteries': virtual battery \"%s\" lists itself",
			    v.name);
		g_array_append_val(out, v);
		g_ptr_array_add(at, (gpointer)item);
	}
	c->cfg->n_virtuals = out->len;
	c->cfg->virtuals = (ConfigVirtual *)(void *)g_array_free(out, FALSE);
	g_free(c->virtual_at);
	c->virtual_at = (const JNode **)g_ptr_array_free(at, FALSE);
	check_loops(c, c->cfg->virtuals, c->cfg->n_virtuals);
}

static void check_ir(Check *c, const JNode *n)
{
	for (guint i = 0; i < n->items->len; i++) {
		const char *k = n->keys->pdata[i];
		const JNode *item = n->items->pdata[i];
		double x;

		if (strcmp(k, "maxPercentageError") == 0 &&
		    number_of(c, item, "ir.maxPercentageError", &x)) {
			if (x > 0)
				c->cfg->ir_max_percentage_error = x;
			else
				bad(c, item, "key 'ir.maxPercentageError': must be > 0");
		} else if (strcmp(k, "minVoltageChange") == 0 &&
		           number_of(c, item, "ir.minVoltageChange", &x)) {
			if (x >= 0)
				c->cfg->ir_min_voltage_change = x;
			else
				bad(c, item, "key 'ir.minVoltageChange': must be >= 0");
		} else if (strcmp(k, "maxPercentageError") != 0 &&
		           strcmp(k, "minVoltageChange") != 0) {
			bad(c, item,
			    "unknown key 'ir.%s' (known: maxPercentageError, "
			    "minVoltageChange)",
			    k);
		}
	}
}

static void check_merge_policies(Check *c, const JNode *n)
{
	GArray *out = g_array_new(FALSE, TRUE, sizeof(ConfigMergePolicy));

	for (guint i = 0; i < n->items->len; i++) {
		const char *path = n->keys->pdata[i];
		ConfigMergePolicy mp = {0};

		if (path[0] != '/') {
			bad(c, n->items->pdata[i],
			    "key 'mergePolicies': \"%s\" is not a D-Bus path", path);
			continue;
		}
		if (!strategy_name(c, n->items->pdata[i], "mergePolicies", &mp.policy))
			continue;
		mp.path = g_strdup(path);
		g_array_append_val(out, mp);
	}
	c->cfg->n_merge_policies = out->len;
	c->cfg->merge_policies = (ConfigMergePolicy *)(void *)g_array_free(out, FALSE);
}

static const char *const top_keys[] = {
        "serviceName",
        "excludedServices",
        "primaryServices",
        "auxiliaryServices",
        "capacity",
        "virtualBatteries",
        "classes",
        "currentRatioMethod",
        "cclMode",
        "cvlMode",
        "ir",
        "reconnectTimeout",
        "startupBatteryWait",
        "logLevel",
        "pluginDirectory",
        "mergePolicies",
        NULL,
};

static const char *const ccl_modes[] = {"battery+dvcc", "battery", "dvcc", NULL};
static const char *const log_levels[] = {"DEBUG",    "INFO",   "WARNING", "ERROR",
                                         "CRITICAL", "NOTSET", NULL};

static guint edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	g_autofree guint *row = g_new(guint, lb + 1);

	for (size_t j = 0; j <= lb; j++)
		row[j] = (guint)j;
	for (size_t i = 1; i <= la; i++) {
		guint diag = row[0];

		row[0] = (guint)i;
		for (size_t j = 1; j <= lb; j++) {
			guint up = row[j];
			guint cost = g_ascii_tolower(a[i - 1]) != g_ascii_tolower(b[j - 1]);

			row[j] = MIN(MIN(row[j] + 1, row[j - 1] + 1), diag + cost);
			diag = up;
		}
	}
	return row[lb];
}

static void unknown_key(Check *c, const JNode *n, const char *key)
{
	for (int i = 0; top_keys[i]; i++) {
		if (edit_distance(key, top_keys[i]) <= 2) {
			bad(c, n, "unknown key '%s' (did you mean '%s'?)", key, top_keys[i]);
			return;
		}
	}
	bad(c, n, "unknown key '%s'", key);
}

static void check_key(Check *c, const char *key, const JNode *n)
{
	Config *cfg = c->cfg;
	int index;
	double x;

	if (strcmp(key, "serviceName") == 0) {
		if (expect(c, n, J_STRING, key) && service_name(c, n, key)) {
			g_free(cfg->service_name);
			cfg->service_name = g_strdup(n->text);
		}
	} else if (strcmp(key, "excludedServices") == 0) {
		if (expect(c, n, J_ARRAY, key)) {
			for (guint i = 0; i < n->items->len; i++)
				battery_name(c, n->items->pdata[i], key, FALSE);
			g_strfreev(cfg->excluded);
			cfg->excluded = string_list(c, n, key, FALSE);
		}
	} else if (strcmp(key, "primaryServices") == 0) {
		cfg->primary = services(c, n, key, FALSE, &cfg->n_primary);
	} else if (strcmp(key, "auxiliaryServices") == 0) {
		cfg->auxiliary = services(c, n, key, FALSE, &cfg->n_auxiliary);
	} else if (strcmp(key, "capacity") == 0) {
		if (n->type == J_NULL)
			return;
		if (number_of(c, n, key, &x)) {
			if (x < 0 || !isfinite(x))
				bad(c, n, "key 'capacity': must be a positive number of Ah, got %s",
				    n->text);
			/* 0 means "not set", as it did for the Python daemon. */
			cfg->has_capacity = x > 0;
			cfg->capacity = x;
		}
	} else if (strcmp(key, "virtualBatteries") == 0) {
		if (expect(c, n, J_OBJECT, key))
			check_virtuals(c, n);
	} else if (strcmp(key, "classes") == 0) {
		if (expect(c, n, J_OBJECT, key))
			check_classes(c, n);
	} else if (strcmp(key, "currentRatioMethod") == 0) {
		strategy_name(c, n, key, &cfg->current_ratio_method);
	} else if (strcmp(key, "cclMode") == 0) {
		if (one_of(c, n, key, ccl_modes, &index))
			cfg->ccl_mode = (CclMode)index;
	} else if (strcmp(key, "cvlMode") == 0) {
		strategy_name(c, n, key, &cfg->cvl_mode);
	} else if (strcmp(key, "ir") == 0) {
		if (expect(c, n, J_OBJECT, key))
			check_ir(c, n);
	} else if (strcmp(key, "reconnectTimeout") == 0) {
		integer_of(c, n, key, 0, &cfg->reconnect_timeout);
	} else if (strcmp(key, "startupBatteryWait") == 0) {
		integer_of(c, n, key, 1, &cfg->startup_battery_wait);
	} else if (strcmp(key, "logLevel") == 0) {
		if (one_of(c, n, key, log_levels, &index)) {
			g_free(cfg->log_level);
			cfg->log_level = g_strdup(log_levels[index]);
		}
	} else if (strcmp(key, "pluginDirectory") == 0) {
		if (expect(c, n, J_STRING, key)) {
			if (!g_path_is_absolute(n->text))
				bad(c, n, "key 'pluginDirectory': \"%s\" is not an absolute path",
				    n->text);
			g_free(cfg->plugin_directory);
			cfg->plugin_directory = g_strdup(n->text);
		}
	} else if (strcmp(key, "mergePolicies") == 0) {
		if (expect(c, n, J_OBJECT, key))
			check_merge_policies(c, n);
	} else {
		unknown_key(c, n, key);
	}
}

/* Relations between keys (SPEC 3): the Python daemon silently ignored an
 * excluded service that was also primary; batagg says so. */
static void check_relations(Check *c, const JNode *root)
{
	Config *cfg = c->cfg;

	for (size_t i = 0; cfg->excluded && cfg->excluded[i]; i++) {
		const char *name = cfg->excluded[i];
		const char *also =
		        in_services(cfg->primary, cfg->n_primary, name)       ? "primaryServices"
		        : in_services(cfg->auxiliary, cfg->n_auxiliary, name) ? "auxiliaryServices"
		                                                              : NULL;

		for (size_t v = 0; !also && v < cfg->n_virtuals; v++) {
			if (in_services(cfg->virtuals[v].members, cfg->virtuals[v].n_members, name))
				also = "virtualBatteries";
		}
		if (also)
			bad(c, root, "\"%s\" is in excludedServices and in %s: it cannot be both",
			    name, also);
	}
	for (size_t v = 0; v < cfg->n_virtuals; v++) {
		const ConfigVirtual *vb = &cfg->virtuals[v];

		if (strcmp(vb->name, cfg->service_name) == 0)
			bad(c, c->virtual_at[v],
			    "virtual battery \"%s\" has the aggregate's own name", vb->name);
		/* batagg never follows the aggregate it publishes (the Python
		 * daemon, one process per virtual battery, did), and the virtual
		 * battery is one of the aggregate's members. */
		if (in_services(vb->members, vb->n_members, cfg->service_name))
			bad(c, c->virtual_at[v],
			    "key 'virtualBatteries': virtual battery \"%s\" lists the aggregate "
			    "\"%s\" (serviceName), which batagg does not read back: the virtual "
			    "battery is a member of the aggregate (for values that replace the "
			    "aggregate's, use primaryServices)",
			    vb->name, cfg->service_name);
		for (size_t m = 0; m < vb->n_members; m++) {
			const char *id = vb->members[m].name;

			if (!g_str_has_prefix(id, "class:"))
				continue;
			if (!known_hook(id + 6)) {
				g_autofree char *list = g_strjoinv(", ", (char **)known_hooks);

				bad(c, c->virtual_at[v],
				    "virtual battery \"%s\": unknown hook \"%s\"; known: %s",
				    vb->name, id, list);
			}
		}
	}
}

Config *config_new_default(void)
{
	Config *cfg = g_new0(Config, 1);

	cfg->service_name = g_strdup(BATAGG_DEFAULT_SERVICE);
	cfg->excluded = g_new0(char *, 1);
	cfg->current_ratio_method = g_strdup("ir");
	cfg->ccl_mode = CCL_BATTERY_DVCC;
	cfg->cvl_mode = g_strdup("max_when_balancing");
	cfg->ir_max_percentage_error = 0.1;
	cfg->ir_min_voltage_change = 0.02;
	cfg->reconnect_timeout = 0;
	cfg->startup_battery_wait = 30;
	cfg->log_level = g_strdup("INFO");
	return cfg;
}

static gboolean fail_with(GPtrArray *errors, GError **error)
{
	g_ptr_array_add(errors, NULL);
	g_autofree char *text = g_strjoinv("\n", (char **)errors->pdata);

	g_set_error_literal(error, BATAGG_CONFIG_ERROR, BATAGG_CONFIG_ERROR_INVALID, text);
	return FALSE;
}

Config *config_parse(const char *text, size_t len, const char *origin, GError **error)
{
	g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *copy = g_strndup(text, len);
	Parser p = {.origin = origin, .text = copy, .errors = errors};
	Check c = {.p = &p};
	gboolean parsed = parse_json(&p, copy, len);

	if (!parsed) {
		g_autofree char *text_of_errors = NULL;

		jnode_free(p.root);
		/* Every problem: a duplicate key may come before the syntax error. */
		g_ptr_array_add(errors, NULL);
		text_of_errors = g_strjoinv("\n", (char **)errors->pdata);
		g_set_error_literal(error, BATAGG_CONFIG_ERROR, BATAGG_CONFIG_ERROR_SYNTAX,
		                    text_of_errors);
		return NULL;
	}
	c.cfg = config_new_default();
	if (!p.root || p.root->type != J_OBJECT) {
		problem(errors, origin, "", "the config must be a JSON object ({ ... })");
	} else {
		for (guint i = 0; i < p.root->items->len; i++) {
			const char *key = p.root->keys->pdata[i];
			gboolean again = FALSE;

			/* A duplicate is reported already; its second value is not
			 * read (it would replace the first). */
			for (guint k = 0; k < i && !again; k++)
				again = strcmp(p.root->keys->pdata[k], key) == 0;
			if (!again)
				check_key(&c, key, p.root->items->pdata[i]);
		}
		check_relations(&c, p.root);
	}
	jnode_free(p.root);
	g_free(c.virtual_at);
	if (errors->len) {
		config_free(c.cfg);
		fail_with(errors, error);
		return NULL;
	}
	return c.cfg;
}

Config *config_load(const char *path, GError **error)
{
	g_autofree char *text = NULL;
	gsize len = 0;
	GError *io = NULL;

	if (!g_file_get_contents(path, &text, &len, &io)) {
		if (g_error_matches(io, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
			g_error_free(io);
			return config_new_default();
		}
		g_set_error(error, BATAGG_CONFIG_ERROR, BATAGG_CONFIG_ERROR_IO, "%s: %s", path,
		            io->message);
		g_error_free(io);
		return NULL;
	}
	return config_parse(text, len, path, error);
}

static void free_services(ConfigService *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		g_free(list[i].name);
		g_strfreev(list[i].paths);
	}
	g_free(list);
}

void config_free(Config *cfg)
{
	if (!cfg)
		return;
	g_free(cfg->service_name);
	g_strfreev(cfg->excluded);
	free_services(cfg->primary, cfg->n_primary);
	free_services(cfg->auxiliary, cfg->n_auxiliary);
	for (size_t v = 0; v < cfg->n_virtuals; v++) {
		g_free(cfg->virtuals[v].name);
		free_services(cfg->virtuals[v].members, cfg->virtuals[v].n_members);
	}
	g_free(cfg->virtuals);
	for (size_t i = 0; i < cfg->n_classes; i++) {
		for (size_t k = 0; k < cfg->classes[i].n_options; k++) {
			g_free(cfg->classes[i].options[k].key);
			g_free(cfg->classes[i].options[k].value);
		}
		g_free(cfg->classes[i].options);
		g_free(cfg->classes[i].id);
	}
	g_free(cfg->classes);
	for (size_t i = 0; i < cfg->n_merge_policies; i++) {
		g_free(cfg->merge_policies[i].path);
		g_free(cfg->merge_policies[i].policy);
	}
	g_free(cfg->merge_policies);
	g_free(cfg->current_ratio_method);
	g_free(cfg->cvl_mode);
	g_free(cfg->log_level);
	g_free(cfg->plugin_directory);
	g_free(cfg);
}

static void summarize_services(GString *s, const char *title, const ConfigService *list, size_t n)
{
	g_string_append_printf(s, "%-22s", title);
	if (n == 0)
		g_string_append(s, "none");
	for (size_t i = 0; i < n; i++) {
		g_autofree char *paths = list[i].paths && list[i].paths[0]
		                                 ? g_strjoinv(" ", list[i].paths)
		                                 : g_strdup("all paths");

		g_string_append_printf(s, "%s%s (%s)", i ? "\n                      " : "",
		                       list[i].name, paths);
	}
	g_string_append_c(s, '\n');
}

char *config_summary(const Config *cfg)
{
	static const char *const ccl_names[] = {"battery+dvcc", "battery", "dvcc"};
	GString *s = g_string_new(NULL);
	g_autofree char *excluded = cfg->excluded && cfg->excluded[0]
	                                    ? g_strjoinv(", ", cfg->excluded)
	                                    : g_strdup("none");

	g_string_append_printf(s, "%-22s%s\n", "service:", cfg->service_name);
	g_string_append_printf(s, "%-22s%s\n", "excluded:", excluded);
	summarize_services(s, "primary:", cfg->primary, cfg->n_primary);
	summarize_services(s, "auxiliary:", cfg->auxiliary, cfg->n_auxiliary);
	g_string_append_printf(s, "%-22s", "virtual batteries:");
	if (!cfg->n_virtuals)
		g_string_append(s, "none");
	for (size_t v = 0; v < cfg->n_virtuals; v++) {
		g_string_append_printf(s, "%s%s <-", v ? "\n                      " : "",
		                       cfg->virtuals[v].name);
		for (size_t m = 0; m < cfg->virtuals[v].n_members; m++)
			g_string_append_printf(s, " %s", cfg->virtuals[v].members[m].name);
	}
	g_string_append_c(s, '\n');
	if (cfg->has_capacity)
		g_string_append_printf(s, "%-22sfixed %g Ah\n", "capacity:", cfg->capacity);
	else
		g_string_append_printf(s, "%-22sfrom the batteries\n", "capacity:");
	g_string_append_printf(s, "%-22s%s (ir: maxPercentageError %g, minVoltageChange %g V)\n",
	                       "current ratio method:", cfg->current_ratio_method,
	                       cfg->ir_max_percentage_error, cfg->ir_min_voltage_change);
	g_string_append_printf(s, "%-22s%s\n", "CCL mode:", ccl_names[cfg->ccl_mode]);
	g_string_append_printf(s, "%-22s%s\n", "CVL mode:", cfg->cvl_mode);
	for (size_t i = 0; i < cfg->n_merge_policies; i++)
		g_string_append_printf(s, "%-22s%s: %s\n",
		                       i ? "" : "merge policies:", cfg->merge_policies[i].path,
		                       cfg->merge_policies[i].policy);
	g_string_append_printf(s, "%-22s%d s\n", "reconnect timeout:", cfg->reconnect_timeout);
	g_string_append_printf(s, "%-22s%d checks\n",
	                       "startup battery wait:", cfg->startup_battery_wait);
	g_string_append_printf(s, "%-22s%s\n", "log level:", cfg->log_level);
	if (cfg->plugin_directory)
		g_string_append_printf(s, "%-22s%s\n", "plugin directory:", cfg->plugin_directory);
	return g_string_free(s, FALSE);
}
