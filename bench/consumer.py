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

It is also where the benchmark watches the aggregate, so that nothing else
on the bus listens to it: with --record FILE it notes, for each signal from
the aggregate's unique name (and its GetItems reply), the arrival time (µs,
CLOCK_MONOTONIC, batload's clock), the kind (I: ItemsChanged, P:
PropertiesChanged, G: the reply), the number of paths and the values of
/Dc/0/Current and /Info/MaxChargeCurrent it carries, and writes that to FILE
on exit, one line each: "TIME KIND PATHS CURRENT CCL" ("-" for none).

python3-dbus on the GLib main loop (dbus.mainloop.glib).  Uses the bus in
DBUS_SESSION_BUS_ADDRESS when set, else the system bus.  Prints "ready" once
subscribed, and on SIGTERM or SIGINT one line of counts:
"signals=N items_changed=N properties_changed=N items=N", then exits.
"""
import argparse
import os
import signal
import sys
import time

import dbus
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

IFACE = "com.victronenergy.BusItem"
PREFIX = "com.victronenergy.battery."
WATCHED = ("/Dc/0/Current", "/Info/MaxChargeCurrent")

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


def now_us():
    return time.monotonic_ns() // 1000


class Consumer:
    def __init__(self, bus, aggregate, recording):
        self.bus = bus
        self.aggregate = aggregate
        self.recording = recording
        self.record = []  # (time, kind, paths, current, ccl) of the aggregate's
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

        def reply(items):
            if self.recording and name == self.aggregate:
                self.note(now_us(), "G", items)
            self.store(name, items)

        self.bus.call_async(name, "/", IFACE, "GetItems", "", [], reply, lambda error: None)

    def on_owner_changed(self, name, old, new):
        if not name.startswith(PREFIX):
            return
        if old:
            self.owners.pop(str(old), None)
            self.cache.pop(str(name), None)
        if new:
            self.add(str(name), str(new))

    def note(self, t, kind, items):
        values = [None, None]
        for i, path in enumerate(WATCHED):
            props = items.get(path)
            if props is not None and "Value" in props:
                values[i] = plain(props["Value"])
        self.record.append((t, kind, len(items), values[0], values[1]))

    def store(self, name, items):
        values = self.cache.get(name)
        if values is None:
            return
        for path, props in items.items():
            values[str(path)] = (plain(props.get("Value")), plain(props.get("Text")))
            self.items += 1

    def on_items_changed(self, items, sender=None):
        t = now_us()
        name = self.owners.get(sender)
        if name is None:
            return
        self.items_changed += 1
        if self.recording and name == self.aggregate:
            self.note(t, "I", items)
        self.store(name, items)

    def on_properties_changed(self, changes, path=None, sender=None):
        t = now_us()
        name = self.owners.get(sender)
        if name is None or "Value" not in changes:
            return
        self.properties_changed += 1
        if self.recording and name == self.aggregate:
            self.note(t, "P", {path: changes})
        self.cache[name][str(path)] = (plain(changes["Value"]), plain(changes.get("Text")))
        self.items += 1

    def write_record(self, path):
        with open(path, "w") as f:
            for t, kind, n, current, ccl in self.record:
                f.write("%d %s %d %s %s\n" % (t, kind, n, "-" if current is None else repr(current),
                                              "-" if ccl is None else repr(ccl)))

    def summary(self):
        return ("signals=%d items_changed=%d properties_changed=%d items=%d" %
                (self.items_changed + self.properties_changed, self.items_changed,
                 self.properties_changed, self.items))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--record", metavar="FILE", help="write what the aggregate sent, when")
    parser.add_argument("--aggregate", default=PREFIX + "aggregator",
                        help="the aggregate's service name")
    args = parser.parse_args()
    DBusGMainLoop(set_as_default=True)
    if os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        bus = dbus.SessionBus()
    else:
        bus = dbus.SystemBus()
    consumer = Consumer(bus, args.aggregate, args.record is not None)
    loop = GLib.MainLoop()

    def stop():
        loop.quit()
        return GLib.SOURCE_REMOVE

    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGTERM, stop)
    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGINT, stop)
    print("ready", flush=True)
    loop.run()
    if args.record:
        consumer.write_record(args.record)
    print(consumer.summary(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
