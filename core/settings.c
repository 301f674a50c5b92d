/* SPDX-License-Identifier: MIT */
/*
 * The localsettings client: AddSetting for the device instance and the custom
 * name, then GetValue to read what localsettings kept (it may have changed
 * the instance to keep it unique), then one ready callback.  Writes of the
 * custom name go out with SetValue and their result code is checked.
 */
#include "settings.h"

#include <stdlib.h>
#include <string.h>

#include "dbus_value.h"

#define SETTINGS_TIMEOUT_MS 5000

struct Settings {
	DBusConnection *conn;
	char *device;
	int default_instance;
	char *name_group;
	char *instance_path;
	char *name_path;
	SettingsReadyFn ready;
	void *user_data;

	GPtrArray *pending; /* DBusPendingCall * in flight */
	int steps_left;     /* replies still awaited before ready */
	int instance;
	char *custom_name;
	guint timeout;
	gboolean done;
};

typedef void (*ReplyFn)(Settings *s, DBusMessage *reply);

typedef struct {
	Settings *s;
	ReplyFn fn;
} Call;

static void finish(Settings *s)
{
	if (s->done)
		return;
	s->done = TRUE;
	if (s->timeout) {
		g_source_remove(s->timeout);
		s->timeout = 0;
	}
	s->ready(s->user_data, s->instance, s->custom_name ? s->custom_name : "");
}

static void step_done(Settings *s)
{
	if (--s->steps_left <= 0)
		finish(s);
}

static void on_reply(DBusPendingCall *pending, void *data)
{
	Call *call = data;
	Settings *s = call->s;
	ReplyFn fn = call->fn;
	DBusMessage *reply = dbus_pending_call_steal_reply(pending);

	/* Ours no longer: settings_free() must not cancel it.  The connection
	 * keeps it (and call) alive until this notify returns. */
	g_ptr_array_remove(s->pending, pending);
	if (reply) {
		fn(s, reply);
		dbus_message_unref(reply);
	}
	dbus_pending_call_unref(pending);
}

/* Sends msg (consumed) to localsettings; fn gets the reply (or error). */
static void send(Settings *s, DBusMessage *msg, ReplyFn fn)
{
	DBusPendingCall *pending = NULL;
	Call *call;

	if (!dbus_connection_send_with_reply(s->conn, msg, &pending, SETTINGS_TIMEOUT_MS) ||
	    !pending) {
		g_warning("settings: cannot send %s to %s", dbus_message_get_member(msg),
		          SETTINGS_SERVICE);
		dbus_message_unref(msg);
		return;
	}
	dbus_message_unref(msg);
	call = g_new0(Call, 1);
	call->s = s;
	call->fn = fn;
	g_ptr_array_add(s->pending, pending);
	dbus_pending_call_set_notify(pending, on_reply, call, g_free);
}

static DBusMessage *get_value(const char *path)
{
	return dbus_message_new_method_call(SETTINGS_SERVICE, path, "com.victronenergy.BusItem",
	                                    "GetValue");
}

static gboolean reply_ok(DBusMessage *reply, const char *what)
{
	if (dbus_message_get_type(reply) != DBUS_MESSAGE_TYPE_ERROR)
		return TRUE;
	g_warning("settings: %s failed: %s", what, dbus_message_get_error_name(reply));
	return FALSE;
}

static void got_instance(Settings *s, DBusMessage *reply)
{
	DBusMessageIter it;
	Value v = VALUE_INIT;

	if (reply_ok(reply, s->instance_path) && dbus_message_iter_init(reply, &it)) {
		dbus_value_read(&it, &v);
		if (v.type == VALUE_TEXT && settings_parse_instance(v.u.s) >= 0)
			s->instance = settings_parse_instance(v.u.s);
		value_clear(&v);
	}
	step_done(s);
}

static void got_name(Settings *s, DBusMessage *reply)
{
	DBusMessageIter it;
	Value v = VALUE_INIT;

	if (reply_ok(reply, s->name_path) && dbus_message_iter_init(reply, &it)) {
		dbus_value_read(&it, &v);
		if (v.type == VALUE_TEXT) {
			g_free(s->custom_name);
			s->custom_name = g_strdup(v.u.s);
		}
		value_clear(&v);
	}
	step_done(s);
}

static void added_instance(Settings *s, DBusMessage *reply)
{
	reply_ok(reply, "AddSetting ClassAndVrmInstance");
	send(s, get_value(s->instance_path), got_instance);
}

static void added_name(Settings *s, DBusMessage *reply)
{
	reply_ok(reply, "AddSetting CustomName");
	send(s, get_value(s->name_path), got_name);
}

static void add_setting(Settings *s, const char *group, const char *name, const char *def,
                        ReplyFn fn)
{
	DBusMessage *msg = dbus_message_new_method_call(SETTINGS_SERVICE, "/Settings",
	                                                "com.victronenergy.Settings", "AddSetting");
	DBusMessageIter it;
	Value text = value_text(def);
	Value zero = value_int(0);
	const char *type = "s";

	dbus_message_iter_init_append(msg, &it);
	dbus_message_iter_append_basic(&it, DBUS_TYPE_STRING, &group);
	dbus_message_iter_append_basic(&it, DBUS_TYPE_STRING, &name);
	dbus_value_append_variant(&it, &text);
	dbus_message_iter_append_basic(&it, DBUS_TYPE_STRING, &type);
	dbus_value_append_variant(&it, &zero);
	dbus_value_append_variant(&it, &zero);
	value_clear(&text);
	send(s, msg, fn);
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

Settings *settings_new(DBusConnection *conn, const char *device, int instance,
                       const char *name_group, SettingsReadyFn ready, void *user_data)
{
	Settings *s = g_new0(Settings, 1);
	g_autofree char *device_group = g_strdup_printf("Devices/%s", device);
	g_autofree char *name_group_path = g_strdup_printf("Battery/%s", name_group);
	g_autofree char *def = g_strdup_printf("battery:%d", instance);

	s->conn = dbus_connection_ref(conn);
	s->device = g_strdup(device);
	s->default_instance = instance;
	s->instance = instance;
	s->name_group = g_strdup(name_group);
	s->instance_path = g_strdup_printf("/Settings/%s/ClassAndVrmInstance", device_group);
	s->name_path = g_strdup_printf("/Settings/%s/CustomName", name_group_path);
	s->ready = ready;
	s->user_data = user_data;
	s->pending = g_ptr_array_new();
	s->steps_left = 2;
	/* One more second than a single call may take, so replies win. */
	s->timeout = g_timeout_add(SETTINGS_TIMEOUT_MS * 2 + 1000, on_timeout, s);
	add_setting(s, device_group, "ClassAndVrmInstance", def, added_instance);
	add_setting(s, name_group_path, "CustomName", "", added_name);
	return s;
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
	dbus_int32_t rc = -1;

	if (!reply_ok(reply, "SetValue CustomName"))
		return;
	if (!dbus_message_get_args(reply, NULL, DBUS_TYPE_INT32, &rc, DBUS_TYPE_INVALID) || rc != 0)
		g_warning("settings: %s refused the custom name (SetValue returned %d)",
		          SETTINGS_SERVICE, rc);
}

void settings_write_name(Settings *s, const char *name)
{
	DBusMessage *msg = dbus_message_new_method_call(SETTINGS_SERVICE, s->name_path,
	                                                "com.victronenergy.BusItem", "SetValue");
	DBusMessageIter it;
	Value v = value_text(name);

	dbus_message_iter_init_append(msg, &it);
	dbus_value_append_variant(&it, &v);
	value_clear(&v);
	send(s, msg, wrote_name);
}

void settings_free(Settings *s)
{
	if (!s)
		return;
	for (guint i = 0; i < s->pending->len; i++) {
		DBusPendingCall *p = s->pending->pdata[i];

		dbus_pending_call_cancel(p);
		dbus_pending_call_unref(p);
	}
	g_ptr_array_free(s->pending, TRUE);
	if (s->timeout)
		g_source_remove(s->timeout);
	dbus_connection_unref(s->conn);
	g_free(s->device);
	g_free(s->name_group);
	g_free(s->instance_path);
	g_free(s->name_path);
	g_free(s->custom_name);
	g_free(s);
}
