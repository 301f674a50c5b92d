#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What the aggregate sent, measured where a client sees it: matches
batload's events (--events: what the members sent, and when) with the
consumer's record (--record: what arrived from the aggregate, and when; the
same clock) and prints one line of key=value pairs:

  ic, pc, ic_paths    ItemsChanged and PropertiesChanged from the aggregate
                      that arrived in the measured window, and the paths the
                      ItemsChanged carried (a PropertiesChanged carries one);
  lat_*               the bank current: each member update is answered by the
                      first aggregate signal carrying the /Dc/0/Current it
                      implies, or that of a later update (which includes it);
  safety_*            a member's CCL decrease: answered by the first
                      aggregate signal carrying an /Info/MaxChargeCurrent
                      below 60 % of the highest one seen before it;

for the latencies of what was sent in the window: n answered, missed (not
answered before the end, or before the next decrease), p50, p99 and max in
ms (nearest rank).  --counts-only leaves the latencies out (n/a), for
configurations where the bank current is no sum of the members'.

usage: latency.py [--counts-only] EVENTS RECORD
"""
import math
import sys

TAG_STEP = 1e-6  # batload's: bank currents of updates in flight differ by at least this
GIVE_UP_US = 10_000_000


def read_events(path):
    events = []
    with open(path) as f:
        for line in f:
            what, t, value = line.split()
            events.append((int(t), what, float(value)))
    return events


def read_record(path):
    record = []
    with open(path) as f:
        for line in f:
            t, kind, n, current, ccl = line.split()
            record.append((int(t), kind, int(n),
                           None if current == "-" else float(current),
                           None if ccl == "-" else float(ccl)))
    return record


def percentile(values, p):
    if not values:
        return math.nan
    values = sorted(values)
    return values[max(0, math.ceil(p * len(values)) - 1)]


def latencies(name, values, missed):
    return ("%s_n=%d %s_missed=%d %s_p50=%.3f %s_p99=%.3f %s_max=%.3f" %
            (name, len(values), name, missed, name, percentile(values, 0.5),
             name, percentile(values, 0.99), name, max(values) if values else math.nan))


def bank_current(events, record, start, end):
    """Latencies (ms) of the updates sent in [start, end), and how many were
    not answered."""
    timeline = [(t, 0, value) for t, what, value in events if what == "update"]
    timeline += [(t, 1, current) for t, kind, n, current, ccl in record if current is not None]
    timeline.sort()
    awaited = []  # (sent, expected), oldest first
    found, missed = [], 0
    for t, is_answer, value in timeline:
        if not is_answer:
            awaited.append((t, value))
            continue
        while awaited and t - awaited[0][0] > GIVE_UP_US:
            sent, _ = awaited.pop(0)
            missed += start <= sent < end
        hit = None
        for i in range(len(awaited) - 1, -1, -1):
            if abs(awaited[i][1] - value) < TAG_STEP / 4:
                hit = i
                break
        if hit is None:
            continue
        for sent, _ in awaited[:hit + 1]:
            if start <= sent < end:
                found.append((t - sent) / 1000)
        del awaited[:hit + 1]
    missed += sum(1 for sent, _ in awaited if start <= sent < end)
    return found, missed


def safety(events, record, start, end):
    drops = [t for t, what, _ in events if what == "drop"]
    ccls = [(t, ccl) for t, kind, n, current, ccl in record if ccl is not None]
    found, missed = [], 0
    for i, t in enumerate(drops):
        if not start <= t < end:
            continue
        before = [ccl for when, ccl in ccls if when < t]
        until = drops[i + 1] if i + 1 < len(drops) else math.inf
        answer = None
        if before:
            normal = max(before)
            answer = next((when for when, ccl in ccls
                           if t < when < until and ccl < 0.6 * normal), None)
        if answer is None:
            missed += 1
        else:
            found.append((answer - t) / 1000)
    return found, missed


def main(argv):
    counts_only = "--counts-only" in argv
    args = [a for a in argv if a != "--counts-only"]
    if len(args) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    events, record = read_events(args[0]), read_record(args[1])
    start = next(t for t, what, _ in events if what == "start")
    end = next(t for t, what, _ in events if what == "end")
    window = [r for r in record if start <= r[0] < end and r[1] in "IP"]
    fields = ["ic=%d" % sum(1 for r in window if r[1] == "I"),
              "pc=%d" % sum(1 for r in window if r[1] == "P"),
              "ic_paths=%d" % sum(r[2] for r in window if r[1] == "I")]
    if counts_only:
        fields += [latencies("lat", [], 0), latencies("safety", [], 0)]
    else:
        fields.append(latencies("lat", *bank_current(events, record, start, end)))
        fields.append(latencies("safety", *safety(events, record, start, end)))
    print(" ".join(fields))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
