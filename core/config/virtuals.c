/* SPDX-License-Identifier: MIT */
/*
 * Virtual batteries ("virtualBatteries") and series batteries
 * ("seriesBatteries"): both keys add to cfg->virtuals, one parser for
 * both.
 */
#include "config/virtuals.h"

#include <string.h>

#include "config/values.h"

const char *virtuals_kind(const ConfigVirtual *v)
{
	return v->series ? "series battery" : "virtual battery";
}

const char *virtuals_key(const ConfigVirtual *v)
{
	return v->series ? "seriesBatteries" : "virtualBatteries";
}

/* The virtual batteries and strings so far, to append to (both keys add
 * to cfg->virtuals, each entry's node to c->virtual_at). */
static GArray *virtuals_so_far(Check *c)
{
	GArray *out = g_array_new(FALSE, TRUE, sizeof(ConfigVirtual));

	g_array_append_vals(out, c->cfg->virtuals, c->cfg->n_virtuals);
	g_free(c->cfg->virtuals);
	c->cfg->virtuals = NULL;
	c->cfg->n_virtuals = 0;
	return out;
}

/* Battery name -> its members: a virtual battery's (an array of names, or
 * an object name -> paths; hooks too), or a string's modules (an array,
 * from the negative end). */
void virtuals_read(Check *c, const char *key, const JNode *n)
{
	gboolean series = strcmp(key, "seriesBatteries") == 0;
	GArray *out;

	if (!values_type(c, n, J_OBJECT, key))
		return;
	out = virtuals_so_far(c);
	for (guint i = 0; i < n->items->len; i++) {
		const JNode *item = n->items->pdata[i];
		const char *name = n->keys->pdata[i];
		JPos at = g_array_index(n->key_at, JPos, i);
		ConfigVirtual v = {.at = check_pos(at), .series = series};

		if (!values_battery_name(c, at, name, key, FALSE))
			continue;
		if (g_str_has_prefix(name, "name:")) {
			check_error(c, at, "key '%s': a %s needs a service name, not \"%s\"", key,
			            virtuals_kind(&v), name);
			continue;
		}
		if (series && !values_type(c, item, J_ARRAY, key))
			continue;
		v.name = g_strdup(name);
		v.members = values_services(c, item, key, !series, series, &v.n_members);
		if (series && item->items->len == 0)
			check_error(c, item->at, "key '%s': \"%s\" lists no modules", key, name);
		if (values_in_services(v.members, v.n_members, v.name))
			check_error(c, item->at, "key '%s': %s \"%s\" lists itself", key,
			            virtuals_kind(&v), v.name);
		g_array_append_val(out, v);
		g_ptr_array_add(c->virtual_at, (gpointer)item);
	}
	c->cfg->n_virtuals = out->len;
	c->cfg->virtuals = (ConfigVirtual *)(void *)g_array_free(out, FALSE);
}
