/* SPDX-License-Identifier: MIT */
/* Match rules: see match.h. */
#include "bus/match.h"

#include "bus/dbus_value.h"
#include "base/names.h"

const char *const match_owner_rules[] = {
        "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
        "member='NameOwnerChanged',arg0namespace='" NAMES_VICTRON_NAMESPACE "'",
        "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
        "member='NameOwnerChanged'",
};
const size_t match_n_owner_rules = G_N_ELEMENTS(match_owner_rules);

void match_rules_for(GPtrArray *rules, const char *sender, const char *const *paths)
{
	if (!paths) {
		g_ptr_array_add(
		        rules,
		        g_strdup_printf("type='signal',sender='%s',interface='" NAMES_BUSITEM_IFACE
		                        "'",
		                        sender));
		return;
	}
	g_ptr_array_add(rules,
	                g_strdup_printf("type='signal',sender='%s',interface='" NAMES_BUSITEM_IFACE
	                                "',member='ItemsChanged',path='/'",
	                                sender));
	for (size_t i = 0; paths[i]; i++)
		g_ptr_array_add(
		        rules,
		        g_strdup_printf("type='signal',sender='%s',interface='" NAMES_BUSITEM_IFACE
		                        "',member='PropertiesChanged',path='%s'",
		                        sender, paths[i]));
}

void match_send(DBusConnection *conn, const char *rule, gboolean add)
{
	DBusMessage *msg =
	        dbus_message_new_method_call(DBUS_SERVICE_DBUS, DBUS_PATH_DBUS, DBUS_INTERFACE_DBUS,
	                                     add ? "AddMatch" : "RemoveMatch");
	DBusMessageIter it;

	dbus_message_iter_init_append(msg, &it);
	dbus_value_append_string(&it, rule);
	dbus_message_set_no_reply(msg, TRUE);
	dbus_connection_send(conn, msg, NULL);
	dbus_message_unref(msg);
}
