#!/usr/bin/env python3
"""Model code read by dlsolve against an outside source.

Usage: listings.py DLSOLVE PROBLEMS_DIR [--self-test]

- problems/code/004-*.py: each Keras listing of exam 004, pasted from the exam, names
  the hand-written JSON of the same network (a line "Hand-written JSON of the same
  network: problems/X.json"); the shapes and parameter counts that dlsolve gives for the
  code must equal, layer by layer in order, and in total, those of the JSON.
- problems/code/torch-*.py: each PyTorch model is run by torch itself (runpy, the
  file's own example input); every module's output shape (without the batch axis) and
  parameter and buffer counts (a tied tensor once, under the first module holding it, as
  model.named_parameters() lists it) must equal dlsolve's answers under the module's name, and
  so must the totals and the model's output shape.
- every file: `dlsolve convert FILE` writes a document valid under schemas/problem.schema.json.
--self-test plants one wrong count on each side and checks that both comparisons fail.
Needs /usr/bin/python3 with torch (Debian's python3-torch).
"""
import json
import re
import runpy
import subprocess
import sys
from pathlib import Path


def answers(dlsolve, command, path):
    out = subprocess.run([dlsolve, command, "--format", "json", str(path)], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"FAIL {path}: dlsolve {command} exited {out.returncode}: {out.stderr.strip()}")
    return json.loads(out.stdout)["answers"]


def summary(dlsolve, path):
    """Per-layer shapes and counts in layer order, and the totals; names dropped."""
    params = answers(dlsolve, "params", path)
    shapes = answers(dlsolve, "shapes", path)
    layers = [v for k, v in params.items() if k.count(".") >= 1 and k.split(".", 1)[1] not in ("total", "trainable", "non_trainable")]
    totals = {k: v for k, v in params.items() if k.split(".", 1)[1] in ("total", "trainable", "non_trainable")}
    return {"params": layers, "shapes": [v for k, v in shapes.items() if k.startswith("shapes.")], "totals": totals}


def check_keras(dlsolve, code, plant=False):
    match = re.search(r"Hand-written JSON of the same network: (\S+\.json)", code.read_text())
    if not match:
        return [f"{code.name}: names no hand-written JSON"]
    json_file = code.parent.parent.parent / match.group(1)
    a, b = summary(dlsolve, code), summary(dlsolve, json_file)
    if plant:
        a["params"][1] += 1
    return [f"{code.name}: {key} differ from {json_file.name}: {a[key]} vs {b[key]}" for key in a if a[key] != b[key]]


def torch_reference(code):
    import torch
    scope = runpy.run_path(str(code))
    model = scope["model"]
    example = [v for v in scope.values() if isinstance(v, torch.Tensor)][-1]
    shapes = {}
    hooks = []
    for name, module in model.named_modules():
        if name and not list(module.children()):
            def record(module, inputs, output, name=name):
                shapes.setdefault(name, list(output.shape[1:]))  # returns None: the output stays
            hooks.append(module.register_forward_hook(record))
    model.eval()
    with torch.no_grad():
        out = model(example)
    for h in hooks:
        h.remove()
    # A tied tensor (one nn.Parameter held by two modules) counts once, under the first
    # module that holds it, as model.named_parameters() lists it.
    counts, seen = {}, set()
    for name, m in model.named_modules():
        if name and not list(m.children()):
            own = [p for p in m.parameters(recurse=False) if id(p) not in seen]
            seen.update(id(p) for p in own)
            counts[name] = sum(p.numel() for p in own)
    buffers = {name: sum(b.numel() for b in m.buffers(recurse=False) if b.dtype.is_floating_point) for name, m in model.named_modules() if name and not list(m.children())}
    total = sum(p.numel() for p in model.parameters())
    return shapes, counts, buffers, total, list(out.shape[1:])


def check_torch(dlsolve, code, plant=False):
    shapes, counts, buffers, total, out_shape = torch_reference(code)
    if plant:
        total += 1
    params = answers(dlsolve, "params", code)
    ours = {k: v for k, v in answers(dlsolve, "shapes", code).items() if k.startswith("shapes.")}
    problems = []
    for name, shape in shapes.items():
        if ours.get(f"shapes.{name}") != shape:
            problems.append(f"{code.name}: shape of {name}: torch {shape}, dlsolve {ours.get(f'shapes.{name}')}")
        if params.get(f"params.{name}") != counts[name]:
            problems.append(f"{code.name}: parameters of {name}: torch {counts[name]}, dlsolve {params.get(f'params.{name}')}")
        if buffers[name] and params.get(f"buffers.{name}", buffers[name]) != buffers[name]:
            problems.append(f"{code.name}: buffers of {name}: torch {buffers[name]}, dlsolve {params.get(f'buffers.{name}')}")
    if params["params.total"] != total:
        problems.append(f"{code.name}: total parameters: torch {total}, dlsolve {params['params.total']}")
    if list(ours.values())[-1] != out_shape:
        problems.append(f"{code.name}: output shape: torch {out_shape}, dlsolve {list(ours.values())[-1]}")
    return problems


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    dlsolve, folder = sys.argv[1], Path(sys.argv[2]) / "code"
    self_test = "--self-test" in sys.argv
    keras = sorted(folder.glob("004-*.py"))
    torch_files = sorted(folder.glob("torch-*.py"))
    if len(keras) < 5 or len(torch_files) < 5:
        raise SystemExit(f"FAIL: expected at least 5 Keras listings and 5 PyTorch models in {folder}")
    if self_test:
        caught = bool(check_keras(dlsolve, keras[0], plant=True)) and bool(check_torch(dlsolve, torch_files[0], plant=True))
        print("self test:", "planted mismatches caught" if caught else "FAIL: a planted mismatch was not caught")
        return 0 if caught else 1
    failures = []
    import jsonschema
    schema = json.loads((Path(sys.argv[2]).parent / "schemas" / "problem.schema.json").read_text())
    for code in keras + torch_files:
        out = subprocess.run([dlsolve, "convert", str(code)], capture_output=True, text=True)
        try:
            jsonschema.validate(json.loads(out.stdout), schema)
        except (ValueError, jsonschema.ValidationError) as e:
            failures.append(f"{code.name}: convert does not write a schema-valid document: {str(e).splitlines()[0]} {out.stderr.strip()}")
    for code in keras:
        found = check_keras(dlsolve, code)
        print(("FAIL " if found else "ok ") + code.name)
        failures += found
    for code in torch_files:
        found = check_torch(dlsolve, code)
        print(("FAIL " if found else "ok ") + code.name)
        failures += found
    for f in failures:
        print("  " + f)
    print(f"{len(keras) + len(torch_files) - len({f.split(':')[0] for f in failures})} agree, {len({f.split(':')[0] for f in failures})} differ")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
