#!/usr/bin/python3
"""Configs as users of the Python BatteryAggregator write them: random
combinations of the forms its README shows (the keys, the array and object
forms of the service lists, "name:" entries, virtual batteries, hooks with
their options), each of which that daemon ran.  Every one must pass
`batagg --check-config` (warnings allowed); a sample runs in the daemon on a
private bus (tests/integration/test_upgrade.c reads the directory).

    old_daemon_corpus.py OUT_DIR [COUNT] [SEED]
"""
import json, random, sys

BATTERIES = ["com.victronenergy.battery.ttyS%d" % i for i in range(1, 10)] + [
    "com.victronenergy.battery.ttyUSB0", "com.victronenergy.battery.ttyUSB1",
    "com.victronenergy.battery.leastPrecedence", "com.victronenergy.battery.defaultMetadata",
    "com.victronenergy.battery.dev1", "com.victronenergy.battery.socketcan_can0",
    "name:My Battery", "name:SmartShunt",
]
# Paths as the README's examples and users' configs name them, some of
# them paths batagg does not merge (/Info/Location) or misspelt.
PATHS = ["/Soc", "/Dc/0/Current", "/Dc/0/Voltage", "/Dc/0/Power", "/Dc/0/Temperature",
         "/Info/MaxChargeVoltage", "/Info/MaxChargeCurrent", "/Info/MaxDischargeCurrent",
         "/Capacity", "/InstalledCapacity", "/ConsumedAmphours", "/TimeToGo",
         "/System/MinCellVoltage", "/System/MaxCellVoltage", "/Info/Location", "/soc",
         "/Dc/0/current"]
# Names the Python daemon's schema takes (any string) but no battery service
# can have, as users write them: an element starting with a digit (a Lynx
# BMS's "lynx.1"), a space, a slash, an empty element, a non-ASCII letter, a
# service that is no battery, a name cut short.  They matched nothing there;
# batagg warns that they can never match and runs the config.
UNMATCHABLE = ["com.victronenergy.battery.lynx.1", "com.victronenergy.battery.1",
               "com.victronenergy.battery.bms.2nd", "com.victronenergy.battery.my shunt",
               "com.victronenergy.battery.ttyS1 ", "com.victronenergy.battery.bms/2",
               "com.victronenergy.battery.a..b", "com.victronenergy.battery.bank.",
               "com.victronenergy.battery.h\u00e9", "com.victronenergy.battery.",
               "com.victronenergy.solarcharger.ttyS2", "ttyS3"]
VIRTUALS = ["com.victronenergy.battery.virtual1", "com.victronenergy.battery.virtual2",
            "com.victronenergy.battery.bank"]


def some(rnd, pool, lo, hi):
    names = rnd.sample(pool, rnd.randint(lo, min(hi, len(pool))))
    # Now and then a name twice, as copy and paste makes it.
    if names and rnd.random() < 0.05:
        names.append(names[0])
    return names


def unmatchable(rnd, names):
    """names, now and then with a name no battery service can have added."""
    if rnd.random() < 0.25:
        names.insert(rnd.randint(0, len(names)), rnd.choice(UNMATCHABLE))
    return names


def service_list(rnd, pool):
    names = unmatchable(rnd, some(rnd, pool, 1, 3))
    if rnd.random() < 0.5:
        return names
    return {n: some(rnd, PATHS, 0, 3) for n in names}


def hooks(rnd, classes):
    """Hook members of a virtual battery, their options in classes."""
    out = []
    if rnd.random() < 0.3:
        out.append("class:hooks.FixedValueHook")
        classes["hooks.FixedValueHook"] = {"path": "/Info/MaxChargeVoltage",
                                           "value": rnd.choice([54.4, 55.2, 56])}
    if rnd.random() < 0.2:
        out.append("class:hooks.CustomChargingHook")
        classes["hooks.CustomChargingHook"] = {"ccls": {"52.0": 100, "54.0": 20},
                                               "dcls": {"48.0": 0, "50.0": 150}}
    if rnd.random() < 0.1:
        out.append("class:hooks.TemperatureChargingHook")
        classes["hooks.TemperatureChargingHook"] = {"ccls": {"0": 0, "5": 50, "10": 100}}
    return out


def config(rnd):
    cfg = {}
    classes = {}
    free = list(BATTERIES)
    rnd.shuffle(free)
    # Usually each service has one role; some users list one in several.
    if rnd.random() < 0.2:
        free = free[:6] * 3
    if rnd.random() < 0.5:
        cfg["excludedServices"] = unmatchable(rnd, some(rnd, BATTERIES, 1, 3))
    if rnd.random() < 0.4:
        cfg["primaryServices"] = service_list(rnd, free[:6])
    if rnd.random() < 0.3:
        cfg["auxiliaryServices"] = service_list(rnd, free[6:12])
    if rnd.random() < 0.3:
        virtuals = {}
        members = free[12:]
        for name in some(rnd, VIRTUALS, 1, 2):
            own = some(rnd, members, 1, 2)
            members = [m for m in members if m not in own]
            entries = hooks(rnd, classes) + unmatchable(rnd, own)
            rnd.shuffle(entries)
            if rnd.random() < 0.5:
                virtuals[name] = entries
            else:
                virtuals[name] = {e: ([] if e.startswith("class:") else some(rnd, PATHS, 0, 2))
                                  for e in entries}
        cfg["virtualBatteries"] = virtuals
    if classes:
        cfg["classes"] = classes
    if rnd.random() < 0.3:
        cfg["capacity"] = rnd.choice([0, 100, 200, 280, 560, 1000])
    if rnd.random() < 0.4:
        cfg["currentRatioMethod"] = rnd.choice(["ir", "capacity", "count"])
    if rnd.random() < 0.3:
        cfg["cclMode"] = rnd.choice(["battery+dvcc", "battery", "dvcc"])
    if rnd.random() < 0.4:
        cfg["cvlMode"] = rnd.choice(["max_when_balancing", "min_when_balancing", "max_always",
                                     "max_when_floating", "dvcc"])
    if rnd.random() < 0.2:
        cfg["logLevel"] = rnd.choice(["NOTSET", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"])
    if rnd.random() < 0.2:
        cfg["reconnectTimeout"] = rnd.choice([0, 5, 30, 120])
    if rnd.random() < 0.1:
        cfg["serviceName"] = "com.victronenergy.battery.aggregator2"
    keys = list(cfg)
    rnd.shuffle(keys)
    return {k: cfg[k] for k in keys}


def main():
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 400
    rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 15)
    with open(sys.argv[1], "w") as f:
        for _ in range(count):
            f.write(json.dumps(config(rnd)) + "\n")


main()
