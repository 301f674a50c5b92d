/* SPDX-License-Identifier: MIT */
/*
 * A published service's device instance and custom name in localsettings.
 */
#include "daemon/identity.h"

#include <string.h>

#include "base/names.h"
#include "bus/settings.h"

struct Identity {
	char *service; /* for the log */
	IdentityFn changed;
	void *user_data;
	Settings *settings;
	gboolean read;
	gboolean gone;     /* localsettings vanished since the last round */
	int instance;      /* preferred, then as read */
	char *custom_name; /* as read */
};

static void on_settings(void *user_data, int instance, const char *custom_name)
{
	Identity *id = user_data;
	gboolean first = !id->read;

	id->read = TRUE;
	id->instance = instance;
	g_free(id->custom_name);
	id->custom_name = g_strdup(custom_name);
	id->changed(id->user_data, first);
}

Identity *identity_new(DBusConnection *conn, const char *service, gboolean aggregate,
                       IdentityFn changed, void *user_data)
{
	Identity *id = g_new0(Identity, 1);
	g_autofree char *name_group = names_settings_name_group(service);
	g_autofree char *device = names_settings_device(service, aggregate, &id->instance);

	id->service = g_strdup(service);
	id->changed = changed;
	id->user_data = user_data;
	id->custom_name = g_strdup("");
	id->settings = settings_new(conn, device, id->instance, name_group, on_settings, id);
	return id;
}

void identity_free(Identity *id)
{
	if (!id)
		return;
	settings_free(id->settings);
	g_free(id->custom_name);
	g_free(id->service);
	g_free(id);
}

gboolean identity_read(const Identity *id)
{
	return id->read;
}

int identity_instance(const Identity *id)
{
	return id->instance;
}

const char *identity_custom_name(const Identity *id)
{
	return id->custom_name;
}

/* A name too long is refused rather than cut: the writer then reads back
 * either its own name or the old one, never one it did not write. */
gboolean identity_write_name(Identity *id, const Value *v)
{
	if (v->type != VALUE_TEXT)
		return FALSE;
	if (strlen(v->u.s) > SETTINGS_NAME_MAX) {
		g_warning("%s: refused a /CustomName longer than %d bytes", id->service,
		          SETTINGS_NAME_MAX);
		return FALSE;
	}
	g_free(id->custom_name);
	id->custom_name = g_strdup(v->u.s);
	settings_write_name(id->settings, v->u.s);
	return TRUE;
}

gboolean identity_setting(Identity *id, const char *path, const Value *v)
{
	if (strcmp(path, settings_instance_path(id->settings)) == 0) {
		int instance = v->type == VALUE_TEXT ? settings_parse_instance(v->u.s) : -1;

		if (instance >= 0) {
			id->instance = instance;
			id->changed(id->user_data, FALSE);
		}
		return TRUE;
	}
	if (strcmp(path, settings_name_path(id->settings)) == 0) {
		if (v->type == VALUE_TEXT) {
			Value name = value_text_cut(v->u.s, SETTINGS_NAME_MAX);

			g_free(id->custom_name);
			id->custom_name = name.u.s;
			id->changed(id->user_data, FALSE);
		}
		return TRUE;
	}
	return FALSE;
}

const char *identity_instance_path(const Identity *id)
{
	return settings_instance_path(id->settings);
}

const char *identity_name_path(const Identity *id)
{
	return settings_name_path(id->settings);
}

void identity_lost(Identity *id)
{
	id->gone = TRUE;
}

void identity_back(Identity *id)
{
	/* A first round that failed (localsettings not there at start) or a
	 * restart: localsettings may not have them.  A first round still in
	 * flight gets its answers now. */
	if (!id->gone && (settings_registered(id->settings) || !id->read))
		return;

	id->gone = FALSE;
	g_info("%s: registering the device instance %d and name \"%s\" with %s again", id->service,
	       id->instance, id->custom_name, SETTINGS_SERVICE);
	settings_register_again(id->settings, id->instance, id->custom_name);
}
