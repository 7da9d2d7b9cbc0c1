#!/usr/bin/env python3
"""Prints the fuzzer's dictionary (tests/fuzz/dlsolve.dict) from the problem format's sources.

Usage: tests/fuzz/make_dict.py > tests/fuzz/dlsolve.dict

Keys and enumerated words from schemas/problem.schema.json, the layer types of
src/layers/registry.cpp, answer-key prefixes and ask words from docs/problem-format.md,
numbers at the edges, and the command line's words (after a NUL, see fuzz_cli.cpp).
"""
import json
import pathlib
import re

root = pathlib.Path(__file__).resolve().parents[2]
schema = json.loads((root / "schemas" / "problem.schema.json").read_text(encoding="utf-8"))
keys, words = set(), set()


def walk(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "properties" and isinstance(v, dict):
                keys.update(v)
            if k == "enum":
                words.update(x for x in v if isinstance(x, str))
            if k == "const" and isinstance(v, str):
                words.add(v)
            walk(v)
    elif isinstance(node, list):
        for x in node:
            walk(x)


walk(schema)
registry = (root / "src" / "layers" / "registry.cpp").read_text(encoding="utf-8")
words.update(re.findall(r'\{"([a-z0-9_]+)", parse_', registry))
doc = (root / "docs" / "problem-format.md").read_text(encoding="utf-8")
words.update(re.findall(r"`([a-z_]+)`", doc))
answer_keys = sorted(set(re.findall(r"`([a-z_]+(?:K|E)?\.)[A-Za-z_.]*`", doc)) | {"step1.", "epoch1.", "final.loss", "params.total"})

entries = []
for k in sorted(keys):
    entries.append(f'"\\"{k}\\":"')
for w in sorted(words - keys):
    entries.append(f'"\\"{w}\\""')
for w in sorted(words & keys):
    entries.append(f'"\\"{w}\\""')
for a in answer_keys:
    entries.append(f'"\\"{a}"')
numbers = ["0", "1", "-1", "2", "0.5", "-0.0", "1e-308", "1e308", "1e999", "4294967296", "2147483648",
           "9223372036854775807", "18446744073709551616", "65536", "100000", "NaN", "true", "false", "null"]
entries += [f'"{n}"' for n in numbers]
entries += ['"[["', '"]]"', '"[[["', '"]]]"', '"{\\"type\\":\\"dense\\",\\"units\\":"', '"\\"inputs\\":[\\""',
            '"\\xef\\xbb\\xbf"', '"\\xe2\\x80\\x8b"']
cli = ["params", "shapes", "rf", "flops", "summary", "forward", "backward", "train", "solve", "check", "compare",
       "--format=json", "--format=markdown", "--format=text", "--layer=", "--param=", "--steps=", "--epochs=",
       "--dtype=", "--all", "--max-elements=", "--precision=", "--help", "float16", "bfloat16", "float64", "int8"]
entries += ['"\\x00' + c + '"' if c in ("params", "forward", "backward", "train", "rf", "summary", "compare", "check") else f'"{c}"' for c in cli]
entries += ['" --format=json"', '" --param=w11"', '" --layer="']
print("# libFuzzer dictionary for dlsolve problem files: made by tests/fuzz/make_dict.py.")
seen = set()
for e in entries:
    if e not in seen:
        seen.add(e)
        print(e)
