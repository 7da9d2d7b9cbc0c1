#!/usr/bin/python3
"""`dlsolve check` on the corpus of deliberately wrong keys (written by gen.py): for each
file of causes.tsv the FAIL line must name the cause listed there; for every file in
random/ it must name none (the line ends each difference at "computed VALUE")."""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
dlsolve = sys.argv[1]
failures, named, silent = [], 0, 0


def check(path):
    r = subprocess.run([dlsolve, "check", path], capture_output=True, text=True)
    lines = [l for l in r.stdout.splitlines() if l.startswith("FAIL")]
    if r.returncode != 1 or len(lines) != 1:
        failures.append(f"{path}: expected exit 1 and one FAIL line, got {r.returncode}: {r.stdout!r} {r.stderr!r}")
        return None
    return lines[0].split(": ", 1)[1]


with open(os.path.join(HERE, "causes.tsv"), encoding="utf-8") as f:
    rows = [l.rstrip("\n").split("\t") for l in f][1:]
for name, phrase in rows:
    line = check(os.path.join(HERE, name))
    if line is None:
        continue
    if phrase not in line:
        failures.append(f"{name}: the explanation should contain {phrase!r}: {line}")
    else:
        named += 1

difference = re.compile(r"[^\s:;]+: expected (\[[^\]]*\]|[^,;]+), computed (\[[^\]]*\]|[^;:]+?)(?=; |$)")
for name in sorted(os.listdir(os.path.join(HERE, "random"))):
    line = check(os.path.join(HERE, "random", name))
    if line is None:
        continue
    if difference.sub("", line).replace("; ", "").strip():
        failures.append(f"random/{name}: a random key is explained: {line}")
    else:
        silent += 1

for f in failures:
    print(f)
print(f"{named} causes named, {silent} random keys left unexplained")
print(f"{named + silent} passed, {len(failures)} failed")
sys.exit(1 if failures or len(rows) < 20 else 0)
