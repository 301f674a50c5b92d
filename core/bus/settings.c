/* SPDX-License-Identifier: MIT */
/*
 * The localsettings client: AddSetting for the device instance and the custom
 * name, then GetValue to read what localsettings kept (it may have changed
 * the instance to keep it unique), then the read callback.  The same round
 * runs again when localsettings comes back after a restart.  Writes of the
 * custom name go out with SetValue and their result code is checked; a
 * failed one is written again at the next round.
 */
#include "bus/settings.h"

#include <stdlib.h>
#include <string.h>

#include "bus/dbus_value.h"
#include "base/names.h"
#include "bus/pending.h"

#define SETTINGS_TIMEOUT_MS 5000

struct Settings {
	DBusConnection *conn;
	char *device_group;  /* "Devices/<device>" */
	char *name_group;    /* "Battery/<name group>" */
	char *instance_path; /* "/Settings/Devices/<device>/ClassAndVrmInstance" */
	char *name_path;     /* "/Settings/Battery/<name group>/CustomName" */
	SettingsReadFn read;
	void *user_data;

	Pending *pending; /* the calls in flight */
	int instance;
	char *custom_name;
	char *unsaved_name; /* a name whose write failed, or NULL */

	/* The round in flight: replies still awaited, and how many settings
	 * were read back. */
	gboolean in_round;
	int steps_left;
	int answered;
	gboolean registered; /* the last round read both */
	guint timeout;
	/* A round asked for while one was in flight. */
	gboolean again;
};

typedef void (*ReplyFn)(Settings *s, DBusMessage *reply);

typedef struct {
	Settings *s;
	ReplyFn fn;
} Call;

static void start_round(Settings *s);

static void finish(Settings *s)
{
	if (!s->in_round)
		return;
	s->in_round = FALSE;
	if (s->timeout) {
		g_source_remove(s->timeout);
		s->timeout = 0;
	}
	s->registered = s->answered == 2;
	s->read(s->user_data, s->instance, s->custom_name ? s->custom_name : "");
	if (s->again) {
		s->again = FALSE;
		start_round(s);
	}
}

static void step_done(Settings *s)
{
	if (--s->steps_left <= 0)
		finish(s);
}

static void on_reply(DBusMessage *reply, void *data)
{
	Call *call = data;

	call->fn(call->s, reply);
}

/* Sends msg (consumed) to localsettings; fn gets the reply (or error).
 * FALSE when it could not be sent (fn is then never called). */
static gboolean send(Settings *s, DBusMessage *msg, ReplyFn fn)
{
	const char *member = dbus_message_get_member(msg);
	g_autofree char *what = g_strdup(member);
	Call *call = g_new0(Call, 1);

	call->s = s;
	call->fn = fn;
	if (pending_call(s->pending, s->conn, msg, SETTINGS_TIMEOUT_MS, on_reply, call, g_free))
		return TRUE;
	g_warning("settings: cannot send %s to %s", what, SETTINGS_SERVICE);
	return FALSE;
}

/* A step of the round: when it cannot be sent, it is done (failed). */
static void send_step(Settings *s, DBusMessage *msg, ReplyFn fn)
{
	if (!send(s, msg, fn))
		step_done(s);
}

static DBusMessage *get_value(const char *path)
{
	return dbus_message_new_method_call(SETTINGS_SERVICE, path, NAMES_BUSITEM_IFACE,
	                                    "GetValue");
}

static gboolean reply_ok(DBusMessage *reply, const char *what)
{
	if (dbus_message_get_type(reply) != DBUS_MESSAGE_TYPE_ERROR)
		return TRUE;
	g_warning("settings: %s failed: %s", what, dbus_message_get_error_name(reply));
	return FALSE;
}

/* The value of a GetValue reply (invalid on an error). */
static Value reply_value(DBusMessage *reply, const char *what)
{
	DBusMessageIter it;
	Value v = VALUE_INIT;

	if (reply_ok(reply, what) && dbus_message_iter_init(reply, &it))
		dbus_value_read(&it, &v);
	return v;
}

static void got_instance(Settings *s, DBusMessage *reply)
{
	Value v = reply_value(reply, s->instance_path);

	if (v.type == VALUE_TEXT && settings_parse_instance(v.u.s) >= 0) {
		s->instance = settings_parse_instance(v.u.s);
		s->answered++;
	}
	value_clear(&v);
	step_done(s);
}

static void got_name(Settings *s, DBusMessage *reply)
{
	Value v = reply_value(reply, s->name_path);

	if (v.type == VALUE_TEXT) {
		Value name = value_text_cut(v.u.s, SETTINGS_NAME_MAX);

		g_free(s->custom_name);
		s->custom_name = name.u.s;
		s->answered++;
	}
	value_clear(&v);
	step_done(s);
}

static DBusMessage *set_value(const char *path, const char *text)
{
	DBusMessage *msg = dbus_message_new_method_call(SETTINGS_SERVICE, path, NAMES_BUSITEM_IFACE,
	                                                "SetValue");
	DBusMessageIter it;
	Value v = value_text(text);

	dbus_message_iter_init_append(msg, &it);
	dbus_value_append_variant(&it, &v);
	value_clear(&v);
	return msg;
}

/* A SetValue reply; TRUE when localsettings took it. */
static gboolean written(DBusMessage *reply)
{
	dbus_int32_t rc = -1;

	if (!reply_ok(reply, "SetValue CustomName"))
		return FALSE;
	if (!dbus_message_get_args(reply, NULL, DBUS_TYPE_INT32, &rc, DBUS_TYPE_INVALID) ||
	    rc != 0) {
		g_warning("settings: %s refused the custom name (SetValue returned %d)",
		          SETTINGS_SERVICE, rc);
		return FALSE;
	}
	return TRUE;
}

static void wrote_unsaved(Settings *s, DBusMessage *reply)
{
	if (written(reply))
		g_clear_pointer(&s->unsaved_name, g_free);
	send_step(s, get_value(s->name_path), got_name);
}

/* AddSetting answers 0, or one of localsettings' error codes (-2: an
 * element starts with '_', -4: an invalid path, ...). */
static void added(DBusMessage *reply, const char *path)
{
	dbus_int32_t rc = 0;

	if (reply_ok(reply, path) &&
	    dbus_message_get_args(reply, NULL, DBUS_TYPE_INT32, &rc, DBUS_TYPE_INVALID) && rc != 0)
		g_warning("settings: %s refused the setting %s (AddSetting returned %d)",
		          SETTINGS_SERVICE, path, rc);
}

static void added_instance(Settings *s, DBusMessage *reply)
{
	added(reply, s->instance_path);
	send_step(s, get_value(s->instance_path), got_instance);
}

static void added_name(Settings *s, DBusMessage *reply)
{
	added(reply, s->name_path);
	if (s->unsaved_name)
		send_step(s, set_value(s->name_path, s->unsaved_name), wrote_unsaved);
	else
		send_step(s, get_value(s->name_path), got_name);
}

static DBusMessage *add_setting(const char *group, const char *name, const char *def)
{
	DBusMessage *msg = dbus_message_new_method_call(SETTINGS_SERVICE, "/Settings",
	                                                NAMES_SETTINGS_IFACE, "AddSetting");
	DBusMessageIter it;
	Value text = value_text(def);
	Value zero = value_int(0);

	dbus_message_iter_init_append(msg, &it);
	dbus_value_append_string(&it, group);
	dbus_value_append_string(&it, name);
	dbus_value_append_variant(&it, &text);
	dbus_value_append_string(&it, "s");
	dbus_value_append_variant(&it, &zero);
	dbus_value_append_variant(&it, &zero);
	value_clear(&text);
	return msg;
}

static gboolean on_timeout(gpointer data)
{
	Settings *s = data;

	s->timeout = 0;
	g_warning("settings: %s did not answer in %d s; using device instance %d and the name "
	          "read so far",
	          SETTINGS_SERVICE, SETTINGS_TIMEOUT_MS / 1000, s->instance);
	finish(s);
	return G_SOURCE_REMOVE;
}

static void start_round(Settings *s)
{
	g_autofree char *def = g_strdup_printf("battery:%d", s->instance);

	s->in_round = TRUE;
	s->steps_left = 2;
	s->answered = 0;
	/* One more second than a single call may take, so replies win. */
	s->timeout = g_timeout_add(SETTINGS_TIMEOUT_MS * 2 + 1000, on_timeout, s);
	send_step(s, add_setting(s->device_group, "ClassAndVrmInstance", def), added_instance);
	send_step(s, add_setting(s->name_group, "CustomName", s->custom_name ? s->custom_name : ""),
	          added_name);
}

/* AddSetting's group of the setting at path: "/Settings/<group>/<name>". */
static char *group_of(const char *path)
{
	const char *start = path + strlen("/Settings/");

	return g_strndup(start, (size_t)(strrchr(path, '/') - start));
}

Settings *settings_new(DBusConnection *conn, const char *device, int instance,
                       const char *name_group, SettingsReadFn read, void *user_data)
{
	Settings *s = g_new0(Settings, 1);

	s->conn = dbus_connection_ref(conn);
	s->instance_path = names_instance_setting(device);
	s->name_path = names_name_setting(name_group);
	s->device_group = group_of(s->instance_path);
	s->name_group = group_of(s->name_path);
	s->instance = instance;
	s->read = read;
	s->user_data = user_data;
	s->pending = pending_new();
	start_round(s);
	return s;
}

void settings_register_again(Settings *s, int instance, const char *custom_name)
{
	s->instance = instance;
	if (custom_name) {
		g_free(s->custom_name);
		s->custom_name = g_strdup(custom_name);
	}
	if (s->in_round)
		s->again = TRUE;
	else
		start_round(s);
}

gboolean settings_registered(const Settings *s)
{
	return s->registered;
}

const char *settings_instance_path(const Settings *s)
{
	return s->instance_path;
}

const char *settings_name_path(const Settings *s)
{
	return s->name_path;
}

int settings_parse_instance(const char *text)
{
	const char *colon = text ? strchr(text, ':') : NULL;
	char *end = NULL;
	long n;

	if (!colon || !colon[1])
		return -1;
	n = strtol(colon + 1, &end, 10);
	if (*end || n < 0 || n > G_MAXINT32)
		return -1;
	return (int)n;
}

static void wrote_name(Settings *s, DBusMessage *reply)
{
	if (written(reply))
		g_clear_pointer(&s->unsaved_name, g_free);
}

void settings_write_name(Settings *s, const char *name)
{
	g_free(s->custom_name);
	s->custom_name = g_strdup(name);
	/* Until localsettings says it has it. */
	g_free(s->unsaved_name);
	s->unsaved_name = g_strdup(name);
	send(s, set_value(s->name_path, name), wrote_name);
}

void settings_free(Settings *s)
{
	if (!s)
		return;
	pending_free(s->pending);
	if (s->timeout)
		g_source_remove(s->timeout);
	dbus_connection_unref(s->conn);
	g_free(s->device_group);
	g_free(s->name_group);
	g_free(s->instance_path);
	g_free(s->name_path);
	g_free(s->custom_name);
	g_free(s->unsaved_name);
	g_free(s);
}
