#!/usr/bin/python3
"""Differential test: the chain rule through multi-head attention written as formulas.

Usage: torch_mha_chain.py [--self-test] [--count N] DLSOLVE

For N generated self-attention problems (default 30; half nn.MultiheadAttention, half
Keras MultiHeadAttention; masks on two in five; the generators of torch_mha.py), one
element of every weight and bias tensor is asked for by name: `backward --param
mha.ROLE[i, j(, k)]`. Its chain rule is a formula whose factors are named
(∂y/∂O = W_o, ∂O/∂A = v, the softmax Jacobian a(δ − a), ∂S/∂Q = k/√d_k, ∂S/∂K = q/√d_k,
∂Q/∂W_q = x), and:
  * the total printed in text (--precision 17) equals the engine's backpropagated
    gradient of that element in `backward --format json` (grad.mha.ROLE), and the value
    of the formula (the step's "value", its terms summed) equals it too;
  * that value equals torch autograd's (nn.MultiheadAttention, or Keras's call() written
    in torch) at relative 1e-9 (absolute 1e-12 near 0);
  * for a query or key weight the formula holds the softmax Jacobian "(1 − a" and "/√d_k".

--self-test: the references are planted with torch_mha.py's errors (the scale 1/√E
instead of 1/√head_dim, or a flipped output): mismatches must be reported.
"""
import json
import os
import random
import re
import subprocess
import sys
import tempfile

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_mha  # noqa: E402
from difftools import arguments, close, flat  # noqa: E402

torch.set_default_dtype(torch.float64)
REL, ABS = 1e-9, 1e-12


def dlsolve(binary, *args):
    r = subprocess.run([binary, *args], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"dlsolve {' '.join(args[:-1])}: exit {r.returncode}: {r.stderr.strip()[:300]}")
    return r.stdout


def element(shape, rng):
    """A random index into a tensor of `shape` and its flat position."""
    index = [rng.randrange(n) for n in shape]
    position = 0
    for i, n in zip(index, shape):
        position = position * n + i
    return index, position


def check_problem(binary, work, k, keras, rng, plant):
    problem, heads, head_dim, allowed = torch_mha.values_case(rng, keras)
    layer = problem["layers"][0]
    path = os.path.join(work, f"chain-{k}.json")
    with open(path, "w") as f:
        json.dump(problem, f)
    x = torch.tensor(problem["input"]["values"], requires_grad=True)
    if keras:
        y, params, _ = torch_mha.keras_reference(layer, x, heads, head_dim, plant, allowed)
    else:
        y, params, _ = torch_mha.torch_reference(layer, x, heads, plant, allowed)
    F.mse_loss(y, torch.tensor(problem["target"])).backward()
    failures = []
    for role, tensor in params.items():
        shape = list(tensor.shape)
        index, position = element(shape, rng)
        name = f"mha.{role}[{', '.join(str(i + 1) for i in index)}]"
        try:
            got = json.loads(dlsolve(binary, "backward", "--format", "json", "--param", name, path))
            text = dlsolve(binary, "backward", "--precision", "17", "--param", name, path)
        except RuntimeError as e:
            failures.append(f"problem {k} {name}: {e}")
            continue
        step = next((s for s in got["steps"] if s["key"] == f"grad.{name}"), None)
        if step is None:
            failures.append(f"problem {k} {name}: no chain rule step")
            continue
        engine = flat(got["answers"][f"grad.mha.{role}"])[position]
        line = next(l for l in text.splitlines() if l.startswith(f"∂L/∂{name}:"))
        printed = float(re.search(r"= (\S+)$", line).group(1).replace("−", "-"))
        truth = float(tensor.grad.reshape(-1)[position])
        if not close(printed, engine, REL, ABS):
            failures.append(f"problem {k} {name}: printed total {printed!r} but the engine's gradient {engine!r}")
        if not close(step["value"], engine, REL, ABS):
            failures.append(f"problem {k} {name}: the formula's terms sum to {step['value']!r}, the engine {engine!r}")
        if not close(step["value"], truth, REL, ABS):
            failures.append(f"problem {k} {name}: dlsolve {step['value']!r}, torch autograd {truth!r}")
        through_scores = (role.startswith(("query", "key")) or
                          (role.startswith("in_proj") and index[0] < 2 * layer["embed_dim"]))
        if through_scores and ("(1 − a" not in step["symbolic"] or "/√d_k" not in step["symbolic"]):
            failures.append(f"problem {k} {name}: the softmax Jacobian or 1/√d_k is not written: {step['symbolic'][:200]}")
    return failures


def main(argv):
    self_test, count, binary = arguments(argv, 30)
    rng = random.Random(99)
    torch.manual_seed(99)
    failures = []
    with tempfile.TemporaryDirectory(prefix="torch_mha_chain-") as work:
        for k in range(count):
            failures += check_problem(binary, work, k, k % 2 == 1, rng, self_test)
    if self_test:
        ok = len(failures) > 0
        print(f"chain rule through multi-head attention: {'self-test passed' if ok else 'SELF-TEST FAILED'} "
              f"({len(failures)} mismatches in {count} problems)")
        return 0 if ok else 1
    for line in failures[:10]:
        print("FAIL", line)
    bad = len(set(f.split(" mha.")[0] for f in failures))
    print(f"chain rule through multi-head attention: {count - bad} of {count} problems agree "
          "(one element of every weight and bias each)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
