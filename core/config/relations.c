/* SPDX-License-Identifier: MIT */
/*
 * The rules between the config's keys (SPEC 3), once all are read:
 * virtual batteries in a loop, what a series battery's modules may be,
 * expectedBatteries' names, and services listed in two roles.
 */
#include "config/relations.h"

#include <string.h>

#include "config/values.h"
#include "config/virtuals.h"

/* Virtual batteries that list each other read their own values back
 * through the bus and never let go of them: a loop (A lists B, B lists A, or
 * longer) is an error.  A depth-first walk with its own stack (a config may
 * chain any number of virtual batteries), each loop reported where it
 * closes. */
static void loops(Check *c, const ConfigVirtual *v, size_t n)
{
	g_autoptr(GHashTable) index = g_hash_table_new(g_str_hash, g_str_equal);
	g_autofree guint8 *state = g_new0(guint8, n); /* 0 new, 1 on the stack, 2 done */
	g_autofree size_t *next = g_new0(size_t, n);  /* the next member to follow */
	g_autofree size_t *stack = g_new(size_t, n);

	for (size_t i = n; i-- > 0;)
		g_hash_table_insert(index, v[i].name, GSIZE_TO_POINTER(i + 1));
	for (size_t root = 0; root < n; root++) {
		size_t depth = 0;

		if (state[root] || v[root].series)
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
			/* Not a virtual battery, itself, or a string (strings()). */
			if (!j-- || j == i || v[j].series)
				continue;
			if (state[j] == 0) {
				state[j] = 1;
				stack[depth++] = j;
			} else if (state[j] == 1) {
				GString *loop = g_string_new(NULL);
				size_t k = depth;
				const JNode *at = c->virtual_at->pdata[j];

				while (stack[k - 1] != j)
					k--;
				for (; k <= depth; k++)
					g_string_append_printf(loop, "\"%s\" lists \"%s\", ",
					                       v[stack[k - 1]].name,
					                       v[k < depth ? stack[k] : j].name);
				g_string_truncate(loop, loop->len - 2);
				check_error(
				        c, at->at,
				        "key 'virtualBatteries': virtual batteries in a loop: %s "
				        "(each would read its own values back)",
				        loop->str);
				g_string_free(loop, TRUE);
			}
		}
	}
}

static JPos at_of(const ConfigService *s)
{
	return (JPos){s->at.line, s->at.col};
}

/* The virtual battery or string named name, or NULL. */
static const ConfigVirtual *virtual_named(const Config *cfg, const char *name)
{
	for (size_t v = 0; v < cfg->n_virtuals; v++) {
		if (strcmp(cfg->virtuals[v].name, name) == 0)
			return &cfg->virtuals[v];
	}
	return NULL;
}

/* A string's modules are batteries, each in one string and in nothing else
 * batagg makes; a string is the aggregate's member only. */
static void strings(Check *c)
{
	const Config *cfg = c->cfg;

	for (size_t v = 0; v < cfg->n_virtuals; v++) {
		const ConfigVirtual *a = &cfg->virtuals[v];
		const ConfigVirtual *same = virtual_named(cfg, a->name);

		c->key = virtuals_key(a);
		if (same != a && (same->series || a->series))
			check_error(c, ((const JNode *)c->virtual_at->pdata[v])->at,
			            "\"%s\" is both a %s and a %s", a->name, virtuals_kind(same),
			            virtuals_kind(a));
		for (size_t m = 0; m < a->n_members; m++) {
			const ConfigService *s = &a->members[m];
			const ConfigVirtual *named = virtual_named(cfg, s->name);

			if (named && named != a && (a->series || named->series))
				check_error(
				        c, at_of(s),
				        "%s \"%s\" lists %s \"%s\": a series battery's modules "
				        "are batteries, and a series battery is a member of the "
				        "aggregate only",
				        virtuals_kind(a), a->name, virtuals_kind(named),
				        named->name);
			for (size_t w = 0; a->series && w < cfg->n_virtuals; w++) {
				const ConfigVirtual *b = &cfg->virtuals[w];

				if (w == v || (b->series && w < v) ||
				    !values_in_services(b->members, b->n_members, s->name))
					continue;
				check_error(
				        c, at_of(s),
				        "\"%s\" is a module of series battery \"%s\" and %s of "
				        "%s \"%s\": a module belongs to one series battery only",
				        s->name, a->name, b->series ? "a module" : "a member",
				        virtuals_kind(b), b->name);
			}
		}
	}
}

/* expectedBatteries names services batagg publishes. */
static void expected_names(Check *c)
{
	const Config *cfg = c->cfg;

	c->key = "expectedBatteries";
	for (size_t i = 0; i < cfg->n_expected; i++) {
		const ConfigExpected *x = &cfg->expected[i];

		if (x->name && strcmp(x->name, cfg->service_name) != 0 &&
		    !virtual_named(cfg, x->name))
			check_error(c, (JPos){x->at.line, x->at.col},
			            "key 'expectedBatteries': \"%s\" is not a service batagg "
			            "publishes (serviceName, or a virtual or series battery)",
			            x->name);
	}
}

void relations_check(Check *c)
{
	Config *cfg = c->cfg;

	expected_names(c);
	c->key = "virtualBatteries";
	loops(c, cfg->virtuals, cfg->n_virtuals);
	strings(c);

	/* What the user evidently meant, as the Python daemon did: a service
	 * listed to be used in a role is used in it, and only in it. */
	c->key = "excludedServices";
	for (size_t i = 0; cfg->excluded && cfg->excluded[i]; i++) {
		const char *name = cfg->excluded[i];
		const char *also = NULL, *what = NULL;

		if (values_in_services(cfg->primary, cfg->n_primary, name))
			also = "primaryServices", what = "a primary service";
		else if (values_in_services(cfg->auxiliary, cfg->n_auxiliary, name))
			also = "auxiliaryServices", what = "an auxiliary service";
		for (size_t v = 0; !also && v < cfg->n_virtuals; v++) {
			if (!values_in_services(cfg->virtuals[v].members,
			                        cfg->virtuals[v].n_members, name))
				continue;
			also = virtuals_key(&cfg->virtuals[v]);
			what = cfg->virtuals[v].series ? "a module of its series battery"
			                               : "a member of its virtual battery";
		}
		if (also)
			check_warning(
			        c, g_array_index(c->excluded_at, JPos, i),
			        "\"%s\" is in excludedServices and in %s: batagg uses it as %s, "
			        "never as a member of the aggregate",
			        name, also, what);
	}
	for (size_t v = 0; v < cfg->n_virtuals; v++) {
		const ConfigVirtual *vb = &cfg->virtuals[v];
		const JNode *at = c->virtual_at->pdata[v];

		c->key = virtuals_key(vb);
		if (strcmp(vb->name, cfg->service_name) == 0)
			check_error(c, at->at, "%s \"%s\" has the aggregate's own name",
			            virtuals_kind(vb), vb->name);
		/* batagg never follows the aggregate it publishes (the Python
		 * daemon, one process per virtual battery, did), and the virtual
		 * battery is one of the aggregate's members. */
		if (values_in_services(vb->members, vb->n_members, cfg->service_name))
			check_error(c, at->at,
			            "key '%s': %s \"%s\" lists the aggregate \"%s\" (serviceName), "
			            "which batagg does not read back: the %s is a member of the "
			            "aggregate (for values that replace the aggregate's, use "
			            "primaryServices)",
			            virtuals_key(vb), virtuals_kind(vb), vb->name,
			            cfg->service_name, virtuals_kind(vb));
	}
}
