#!/usr/bin/python3
"""`dlsolve vary` (docs/problem-format.md, Variants) on the example sources:
  - the same seed writes byte-identical files, another seed other ones;
  - every variant passes `dlsolve check`;
  - every drawn number is within its stated range (on the step grid) or among its
    choices, and index.tsv lists what the files hold;
  - the committed example set problems/variants/<source>/ is what the command writes
    (--n 5 --seed 7), so the set is rebuilt by this test;
  - a file without "vary" is refused with exit 2 and one line.
Usage: run.py DLSOLVE PROBLEMS_DIR"""
import filecmp
import json
import os
import subprocess
import sys
import tempfile

dlsolve, problems = sys.argv[1], sys.argv[2]
SOURCES = ["001-6-backpropagation.json", "004-11x11-key-proposal-conv5-maxpool3.json"]
N, SEED = 5, 7
failures, passed = [], 0


def ok(condition, what):
    global passed
    if condition:
        passed += 1
    else:
        failures.append(what)


def vary(source, out, seed=SEED):
    r = subprocess.run([dlsolve, "vary", source, "--n", str(N), "--seed", str(seed), "--out", out], capture_output=True, text=True)
    ok(r.returncode == 0, f"vary {source} --seed {seed}: exit {r.returncode}: {r.stderr}")


def same_tree(a, b):
    names_a, names_b = sorted(os.listdir(a)), sorted(os.listdir(b))
    return names_a == names_b and all(filecmp.cmp(os.path.join(a, n), os.path.join(b, n), shallow=False) for n in names_a)


def resolve(doc, pointer):
    for part in pointer.split("/")[1:]:
        doc = doc[int(part)] if isinstance(doc, list) else doc[part.replace("~1", "/").replace("~0", "~")]
    return doc


with tempfile.TemporaryDirectory() as tmp:
    for name in SOURCES:
        source = os.path.join(problems, name)
        stem = name[:-5]
        a, b, c = (os.path.join(tmp, stem + s) for s in ("-a", "-b", "-c"))
        vary(source, a)
        vary(source, b)
        vary(source, c, seed=SEED + 1)
        ok(same_tree(a, b), f"{name}: seed {SEED} twice gave different files")
        ok(not same_tree(a, c), f"{name}: seeds {SEED} and {SEED + 1} gave the same files")
        r = subprocess.run([dlsolve, "check", a], capture_output=True, text=True)
        ok(r.returncode == 0 and f"{N} passed, 0 failed" in r.stdout, f"{name}: a variant fails check: {r.stdout}{r.stderr}")
        spec = json.load(open(source, encoding="utf-8"))["vary"]["values"]
        with open(os.path.join(a, "index.tsv"), encoding="utf-8") as f:
            rows = [line.rstrip("\n").split("\t") for line in f]
        ok(rows[0] == ["file"] + list(spec), f"{name}: index.tsv header {rows[0]}")
        ok(len(rows) == N + 1, f"{name}: index.tsv has {len(rows) - 1} rows")
        for row in rows[1:]:
            doc = json.load(open(os.path.join(a, row[0]), encoding="utf-8"))
            ok("vary" not in doc and doc.get("expect"), f"{row[0]}: a variant keeps no \"vary\" and has a key")
            for pointer, drawn in zip(spec, row[1:]):
                v = resolve(doc, pointer)
                ok(json.loads(drawn) == v, f"{row[0]}: index.tsv says {pointer} = {drawn}, the file {v}")
                how = spec[pointer]
                if "choices" in how:
                    ok(v in how["choices"], f"{row[0]}: {pointer} = {v} not among {how['choices']}")
                else:
                    step = how.get("step", 1)
                    k = (v - how["min"]) / step
                    ok(how["min"] <= v <= how["max"] and abs(k - round(k)) < 1e-9,
                       f"{row[0]}: {pointer} = {v} outside [{how['min']}, {how['max']}] step {step}")
        committed = os.path.join(problems, "variants", stem)
        ok(os.path.isdir(committed) and same_tree(a, committed),
           f"{name}: problems/variants/{stem} is not what `dlsolve vary --n {N} --seed {SEED}` writes (regenerate it)")
    r = subprocess.run([dlsolve, "vary", os.path.join(problems, "ref-lstm-50-units-10-features-keras.json"), "--out", os.path.join(tmp, "none")],
                       capture_output=True, text=True)
    ok(r.returncode == 2 and r.stdout == "" and len(r.stderr.splitlines()) == 1 and "no \"vary\"" in r.stderr,
       f"a file without vary: exit {r.returncode}, {r.stderr!r}")

for f in failures:
    print(f)
print(f"{passed} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
