#!/usr/bin/env python3
"""Writes the fuzzer's seed inputs into a directory, for `dlsolve_fuzz -merge=1` to minimise.

Usage: tests/fuzz/seeds.py OUT_DIR [MAX_LEN]

- every problems/*.json, compacted (no whitespace, without the free text of "note" and
  "source") so that most fit in MAX_LEN bytes (default 4096), longer ones left out,
  once per command: the target chooses the command and the format by the input's
  length (fuzz_cli.cpp), so each copy is padded with trailing spaces to the length
  that chooses one command, in a format that turns with the command;
- every tests/bad_input/*.json as it is (up to MAX_LEN bytes), since its exact bytes may
  be the point (a duplicate key, a bad literal, a BOM), padded to choose the command of
  its NAME.command file when it has one;
- a few problems followed by a NUL and a command line (see fuzz_cli.cpp), for the
  options that the every-command mode does not give: --layer, --param, --steps,
  --epochs, --dtype, --all, --precision.
"""
import json
import pathlib
import sys

root = pathlib.Path(__file__).resolve().parents[2]
out = pathlib.Path(sys.argv[1])
max_len = int(sys.argv[2]) if len(sys.argv) > 2 else 4096
out.mkdir(parents=True, exist_ok=True)


COMMANDS = ["params", "shapes", "rf", "flops", "summary", "forward", "backward", "train", "solve", "check", "compare"]
FORMATS = ["text", "json", "markdown"]


def write(name, data):
    if len(data) <= max_len:
        (out / name).write_bytes(data)


def padded(data, command, format):
    """data and spaces, to the length with which fuzz_cli.cpp runs this command and format."""
    want = COMMANDS.index(command) + len(COMMANDS) * FORMATS.index(format)
    cycle = len(COMMANDS) * len(FORMATS)
    return data + b" " * ((want - len(data)) % cycle)


compact = {}
for path in sorted((root / "problems").glob("*.json")):
    problem = json.loads(path.read_text(encoding="utf-8"))
    problem.pop("note", None)
    problem.pop("source", None)
    data = json.dumps(problem, ensure_ascii=False, separators=(",", ":")).encode()
    compact[path.stem] = data
    for i, command in enumerate(COMMANDS):
        format = FORMATS[(i + len(compact)) % len(FORMATS)]
        write(f"problem-{path.stem}-{command}-{format}", padded(data, command, format))

for path in sorted((root / "tests" / "bad_input").glob("*.json")):
    data = path.read_bytes()
    command = path.with_suffix(".command")
    if command.exists() and len(data) < max_len - 40:
        data = padded(data, command.read_text().strip(), "text")
    write("bad-" + path.stem, data[:max_len])

commands = {
    "001-6-backpropagation": ["backward --param=w11", "train --steps=2 --format=json --param=w21", "forward --all --precision=3"],
    "001-8-adam": ["train --steps=3 --format=markdown", "solve --format=json --precision=17"],
    "001-8-1-sgd-momentum-minibatches": ["train --epochs=2 --format=json"],
    "004-hebbian-learning": ["train --epochs=2"],
    "001-4-7-receptive-field": ["rf --layer=conv2 --format=json"],
    "000-4b-arch1-5x5": ["summary --dtype=int8 --format=markdown", "compare --format=json --dtype=float16", "check"],
}
for stem, lines in commands.items():
    for i, line in enumerate(lines):
        write(f"command-{stem}-{i}", compact[stem] + b"\0" + line.encode())
