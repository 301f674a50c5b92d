#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The benchmark's consumer: a client of the battery services as Venus OS's
Python services are (systemcalc, the GUI's and MQTT's bridges, all built on
velib's DbusMonitor).  It listens to every ItemsChanged and every
PropertiesChanged of com.victronenergy.BusItem on the bus, keeps those of the
com.victronenergy.battery.* services it knows (found with ListNames and
NameOwnerChanged, read once with GetItems), and decodes each item into plain
Python values into its cache, which is what such a client pays for every
signal a battery sends.

python3-dbus on the GLib main loop (dbus.mainloop.glib).  Uses the bus in
DBUS_SESSION_BUS_ADDRESS when set, else the system bus.  Prints "ready" once
subscribed, and on SIGTERM or SIGINT one line of counts:
"signals=N items_changed=N properties_changed=N items=N", then exits.
"""
import os
import signal
import sys

import dbus
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

IFACE = "com.victronenergy.BusItem"
PREFIX = "com.victronenergy.battery."

INTEGERS = (dbus.Byte, dbus.Int16, dbus.UInt16, dbus.Int32, dbus.UInt32, dbus.Int64, dbus.UInt64)
TEXTS = (dbus.String, dbus.ObjectPath, dbus.Signature)


def plain(v):
    """A D-Bus value as plain Python: Victron's invalid (an empty array) is
    None, numbers are int or float, texts str, containers list, tuple, dict."""
    if isinstance(v, dbus.Boolean):
        return bool(v)
    if isinstance(v, INTEGERS):
        return int(v)
    if isinstance(v, dbus.Double):
        return float(v)
    if isinstance(v, TEXTS):
        return str(v)
    if isinstance(v, dbus.Array):
        return [plain(x) for x in v] if len(v) else None
    if isinstance(v, dbus.Dictionary):
        return {plain(k): plain(x) for k, x in v.items()}
    if isinstance(v, dbus.Struct):
        return tuple(plain(x) for x in v)
    return v


class Consumer:
    def __init__(self, bus):
        self.bus = bus
        self.owners = {}  # unique name -> service name
        self.cache = {}  # service name -> {path: (value, text)}
        self.items_changed = 0
        self.properties_changed = 0
        self.items = 0
        bus.add_signal_receiver(self.on_items_changed, dbus_interface=IFACE,
                                signal_name="ItemsChanged", path="/", sender_keyword="sender")
        bus.add_signal_receiver(self.on_properties_changed, dbus_interface=IFACE,
                                signal_name="PropertiesChanged", path_keyword="path",
                                sender_keyword="sender")
        bus.add_signal_receiver(self.on_owner_changed, signal_name="NameOwnerChanged",
                                dbus_interface="org.freedesktop.DBus")
        for name in bus.list_names():
            if str(name).startswith(PREFIX):
                try:
                    self.add(str(name), str(bus.get_name_owner(name)))
                except dbus.exceptions.DBusException:
                    pass  # gone meanwhile

    def add(self, name, owner):
        self.owners[owner] = name
        self.cache[name] = {}
        self.bus.call_async(name, "/", IFACE, "GetItems", "", [],
                            lambda items: self.store(name, items),
                            lambda error: None)

    def on_owner_changed(self, name, old, new):
        if not name.startswith(PREFIX):
            return
        if old:
            self.owners.pop(str(old), None)
            self.cache.pop(str(name), None)
        if new:
            self.add(str(name), str(new))

    def store(self, name, items):
        values = self.cache.get(name)
        if values is None:
            return
        for path, props in items.items():
            values[str(path)] = (plain(props.get("Value")), plain(props.get("Text")))
            self.items += 1

    def on_items_changed(self, items, sender=None):
        name = self.owners.get(sender)
        if name is None:
            return
        self.items_changed += 1
        self.store(name, items)

    def on_properties_changed(self, changes, path=None, sender=None):
        name = self.owners.get(sender)
        if name is None or "Value" not in changes:
            return
        self.properties_changed += 1
        self.cache[name][str(path)] = (plain(changes["Value"]), plain(changes.get("Text")))
        self.items += 1

    def summary(self):
        return ("signals=%d items_changed=%d properties_changed=%d items=%d" %
                (self.items_changed + self.properties_changed, self.items_changed,
                 self.properties_changed, self.items))


def main():
    DBusGMainLoop(set_as_default=True)
    if os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        bus = dbus.SessionBus()
    else:
        bus = dbus.SystemBus()
    consumer = Consumer(bus)
    loop = GLib.MainLoop()

    def stop():
        loop.quit()
        return GLib.SOURCE_REMOVE

    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGTERM, stop)
    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGINT, stop)
    print("ready", flush=True)
    loop.run()
    print(consumer.summary(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
