#!/usr/bin/python3
"""Every config of the Python daemon's forms (old_daemon_corpus.py's JSON
Lines file) passes `batagg --check-config`: exit 0, warnings allowed.

    old_configs_check.py CONFIGS.jsonl
"""
import os, shlex, subprocess, sys, tempfile

batagg = os.environ["BATAGG"]
wrapper = shlex.split(os.environ.get("MESON_EXE_WRAPPER", ""))
failed = warned = 0
lines = open(sys.argv[1]).read().splitlines()
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "config.json")
    for n, line in enumerate(lines, 1):
        with open(path, "w") as f:
            f.write(line)
        r = subprocess.run(wrapper + [batagg, "--check-config", path], capture_output=True,
                           text=True)
        if r.returncode != 0:
            failed += 1
            print(f"refused: config {n}: {line}\n{r.stderr}")
        elif "warning" in r.stderr:
            warned += 1
print(f"{len(lines)} configs of the Python daemon's forms: {len(lines) - failed} accepted "
      f"({warned} with warnings), {failed} refused")
sys.exit(1 if failed or not lines else 0)
