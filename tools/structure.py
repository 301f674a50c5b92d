#!/usr/bin/python3
"""The core's structure, drawn from the code: which file calls (or reads)
what another file defines, from the symbols of the built objects (nm), and
which header each file includes.

    structure.py SOURCE_ROOT BUILD_DIR [--quiet]

A room is a .c file of core/ with its header (and its _internal.h).  Its floor is its folder's
place in LAYERS: a file may use what its own folder and the folders below
define, never what a folder above does (an arrow up).  Checks, each an
error:

  - no circle between rooms (through calls, not only includes);
  - no arrow up (a call or an include);
  - every include of a core header names its folder ("engine/engine.h");
  - no room over MAX_LINES lines (a .c with its .h);
  - engine/ and base/ include no libdbus header.

Prints the rooms by floor, and the counts the issue tracker uses (rooms,
floors, arrows, arrows up, circles).
"""
import glob, os, re, subprocess, sys

LAYERS = ["base", "engine", "config", "strategies", "bus", "daemon", "main"]
PURE = {"base", "engine"}
MAX_LINES = 500


def folder_of(path):
    parts = path.split(os.sep)
    return parts[1] if len(parts) > 2 else "main"


def rooms(root):
    """room name ("engine/limits") -> its files, relative to root."""
    out = {}
    for path in sorted(glob.glob(os.path.join(root, "core", "**", "*.[ch]"), recursive=True)):
        rel = os.path.relpath(path, root)
        name = os.path.splitext(os.path.relpath(rel, "core"))[0]
        # A module's internal header is part of its room.
        if name.endswith("_internal"):
            name = name[:-len("_internal")]
        out.setdefault(name, []).append(rel)
    return out


def objects(build):
    """room name -> object file, for every object built from core/."""
    out = {}
    for obj in glob.glob(os.path.join(build, "**", "*.o"), recursive=True):
        rel = os.path.relpath(obj, build)
        target_dir = os.path.dirname(os.path.dirname(rel))
        src = os.path.basename(obj)[:-len(".o")]
        if not src.endswith(".c"):
            continue
        if os.path.basename(os.path.dirname(rel)) == "batagg.p" and src == "core_main.c":
            out["main"] = obj
        elif target_dir.startswith("core"):
            name = os.path.splitext(os.path.join(os.path.relpath(target_dir, "core"), src))[0]
            out[os.path.normpath(name)] = obj
    return out


def symbols(obj):
    defined, used = set(), set()
    r = subprocess.run(["nm", obj], capture_output=True, text=True)
    if r.returncode != 0:
        # A cross build's objects this machine's nm cannot read: skipped
        # (meson's code), the native build checks the same code.
        print(f"structure: nm cannot read {obj}; skipped")
        sys.exit(77)
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            used.add(parts[1])
        elif len(parts) == 3 and parts[1] in "TDBRVW":
            defined.add(parts[2])
    return defined, used


def circles(nodes, edges):
    """Strongly connected components with more than one room (Tarjan)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def floors(nodes, edges, circ):
    """The number of floors: a room stands one above the highest room it
    uses (a circle counts as one room)."""
    if circ:
        return "?"
    memo = {}

    def floor(v):
        if v not in memo:
            memo[v] = 0
            memo[v] = 1 + max((floor(w) for w in edges.get(v, ())), default=0)
        return memo[v]

    return max((floor(v) for v in nodes), default=0)


def main():
    root, build = sys.argv[1], sys.argv[2]
    quiet = "--quiet" in sys.argv
    rs = rooms(root)
    objs = objects(build)
    errors = []
    defined_by, uses = {}, {}
    for name, obj in objs.items():
        d, u = symbols(obj)
        uses[name] = u
        for s in d:
            defined_by[s] = name
    edges = {}
    for name, u in uses.items():
        edges[name] = {defined_by[s] for s in u if s in defined_by and defined_by[s] != name}
    include_re = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
    for name, files in rs.items():
        for f in files:
            text = open(os.path.join(root, f), encoding="utf-8").read()
            for inc in include_re.findall(text):
                if inc in ("build_config.h",) or inc.startswith("batagg/"):
                    continue
                target = os.path.splitext(inc)[0]
                if target.endswith("_internal"):
                    target = target[:-len("_internal")]
                if "/" not in inc:
                    errors.append(f"{f}: #include \"{inc}\" does not name its folder")
                    continue
                if target not in rs:
                    errors.append(f"{f}: #include \"{inc}\": no such core header")
                    continue
                if target != name:
                    edges.setdefault(name, set()).add(target)
            if folder_of(f) in PURE and re.search(r'#\s*include\s*<dbus/', text):
                errors.append(f"{f}: libdbus in {folder_of(f)}/, which is pure")
        lines = sum(open(os.path.join(root, f), encoding="utf-8").read().count("\n")
                    for f in files)
        if lines > MAX_LINES:
            errors.append(f"core/{name}: {lines} lines (.c with .h), more than {MAX_LINES}")
    ups = []
    for a, targets in edges.items():
        for b in targets:
            la, lb = LAYERS.index(folder_of("core/" + a + ".c")), LAYERS.index(
                folder_of("core/" + b + ".c"))
            if lb > la:
                ups.append((a, b))
                errors.append(f"arrow up: core/{a} ({LAYERS[la]}) uses core/{b} ({LAYERS[lb]})")
    circ = circles(set(rs) | set(edges), edges)
    for c in circ:
        errors.append("circle: " + " <-> ".join("core/" + n for n in c))
    missing = sorted(n for n in rs if any(f.endswith(".c") for f in rs[n]) and n not in objs)
    for n in missing:
        errors.append(f"core/{n}.c: no object in {build} (build first)")
    if not quiet:
        for layer in LAYERS:
            names = sorted(n for n in rs if folder_of("core/" + n + ".c") == layer)
            print(f"{layer + '/':12s} " + " ".join(os.path.basename(n) for n in names))
    arrows = sum(len(t) for t in edges.values())
    print(f"structure: {len(rs)} rooms on {floors(set(rs), edges, circ)} floors in "
          f"{len(LAYERS)} layers, {arrows} arrows, {len(ups)} up, {len(circ)} circles")
    for e in errors:
        print("error: " + e)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
