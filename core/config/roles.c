/* SPDX-License-Identifier: MIT */
/*
 * The rules of roles: a pure function of the config and one service.
 */
#include "config/roles.h"

#include <string.h>

gboolean roles_names(const char *entry, const char *service, const char *custom_name)
{
	if (g_str_has_prefix(entry, "name:"))
		return custom_name && strcmp(entry + 5, custom_name) == 0;
	return strcmp(entry, service) == 0;
}

/* The entry of list naming the service, or NULL; *rank is its position. */
static const ConfigService *find(const ConfigService *list, size_t n, const char *service,
                                 const char *custom_name, int *rank)
{
	for (size_t i = 0; i < n; i++) {
		if (roles_names(list[i].name, service, custom_name)) {
			*rank = (int)i;
			return &list[i];
		}
	}
	return NULL;
}

static gboolean excluded(const Config *cfg, const char *service, const char *custom_name)
{
	for (size_t i = 0; cfg->excluded && cfg->excluded[i]; i++) {
		if (roles_names(cfg->excluded[i], service, custom_name))
			return TRUE;
	}
	return FALSE;
}

size_t roles_of(const Config *cfg, const char *service, const char *custom_name, Role *out)
{
	const ConfigService *entry;
	size_t n = 0;
	int rank;

	for (size_t v = 0; v < cfg->n_virtuals; v++) {
		const ConfigVirtual *vb = &cfg->virtuals[v];

		entry = find(vb->members, vb->n_members, service, custom_name, &rank);
		if (entry)
			out[n++] = (Role){(int)v, vb->series ? ROLE_MEMBER : ROLE_PRIMARY, rank,
			                  (const char *const *)entry->paths};
	}
	if (n > 0)
		return n;
	entry = find(cfg->primary, cfg->n_primary, service, custom_name, &rank);
	if (entry) {
		out[n++] = (Role){ROLES_AGGREGATE, ROLE_PRIMARY, rank,
		                  (const char *const *)entry->paths};
		return n;
	}
	entry = find(cfg->auxiliary, cfg->n_auxiliary, service, custom_name, &rank);
	if (entry) {
		out[n++] = (Role){ROLES_AGGREGATE, ROLE_AUXILIARY, rank,
		                  (const char *const *)entry->paths};
		return n;
	}
	if (!excluded(cfg, service, custom_name))
		out[n++] = (Role){ROLES_AGGREGATE, ROLE_MEMBER, 0, NULL};
	return n;
}
