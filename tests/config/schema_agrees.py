#!/usr/bin/python3
"""The JSON Schema and batagg's parser agree on every config of the corpus and
every example: good ones (and those with warnings only) pass both, bad ones
fail both (but for the listed exceptions, which relate keys to each other).
Needs python3-jsonschema."""
import json, os, shlex, subprocess, sys

import jsonschema

root = os.environ["BATAGG_SOURCE_ROOT"]
batagg = os.environ["BATAGG"]
# Cross builds: meson names the emulator that runs the target's programs.
wrapper = shlex.split(os.environ.get("MESON_EXE_WRAPPER", ""))
schema = json.load(open(os.path.join(root, "config", "config-schema.json")))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
corpus = os.path.join(root, "tests", "data", "configs")
exceptions = {l.strip() for l in open(os.path.join(corpus, "schema-exceptions.txt"))
              if l.strip() and not l.startswith("#")}


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key")
    return dict(pairs)


def schema_ok(path):
    try:
        doc = json.load(open(path), object_pairs_hook=no_duplicates)
    except ValueError:
        return False
    return validator.is_valid(doc)


def parser_ok(path):
    r = subprocess.run(wrapper + [batagg, "--check-config", path], capture_output=True, text=True)
    return r.returncode == 0


cases = []
for kind in ("good", "warn", "bad"):
    for name in sorted(os.listdir(os.path.join(corpus, kind))):
        if name.endswith(".json"):
            cases.append((os.path.join(corpus, kind, name), kind != "bad"))
examples = os.path.join(root, "config", "examples")
cases += [(os.path.join(examples, n), True) for n in sorted(os.listdir(examples))]

passed = failed = 0
for path, good in cases:
    stem = os.path.basename(path)[:-5]
    s, p = schema_ok(path), parser_ok(path)
    if not good and stem in exceptions:
        ok = p is False
    else:
        ok = s == good and p == good
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"disagree: {path}: expected {'valid' if good else 'invalid'}, "
              f"schema says {'valid' if s else 'invalid'}, parser says {'valid' if p else 'invalid'}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
