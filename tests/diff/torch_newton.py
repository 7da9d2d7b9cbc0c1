#!/usr/bin/python3
"""Differential test: dlsolve's Newton's method steps against PyTorch's autograd (float64).

Usage: torch_newton.py [--self-test] DLSOLVE [--count N]

For 1, 2 and 3 parameters, N (default 40) generated problems each: a function made of
polynomial terms (w², w·v, w³, w⁴, x·w with a constant x), exp(a·w + b·v) and
log(w² + c), 1-3 steps from a random start. `dlsolve solve --format json` gives the
parameters after each step (answers newton.PARAM.K) and, per step, ∇f and H (the
"newton" object). PyTorch computes ∇f with torch.autograd.grad and H with
torch.autograd.functional.hessian, and steps w ← w − torch.linalg.solve(H, ∇f) (one
parameter: w − f'/f''). Every value must agree to a relative 1e-9 (absolute 1e-12 near
0). Problems whose Hessian is near singular on the way (condition number above 1e6)
or whose iterates leave |w| < 1e3 are drawn again (Newton's method amplifies rounding
there and the comparison would test the conditioning, not the rule).

--self-test: the reference takes the step with a relative 1e-7 error (w − 1.0000001·H⁻¹∇f)
and must be caught in every case.
"""
import json
import math
import random
import subprocess
import sys

import torch
from torch.autograd.functional import hessian

from difftools import arguments, close, suite, write_json

torch.set_default_dtype(torch.float64)
NAMES = {1: ["w"], 2: ["w1", "w2"], 3: ["a", "b", "c"]}


def coefficient(rng):
    return rng.choice([0.5, 1, 1.5, 2, 2.5, 3, 0.25, 0.75])


def generate(n, rng):
    """A function text (GiNaC's syntax, ^ for powers) over n parameters, its constants, start and steps."""
    names = NAMES[n]
    terms = []
    for v in names:  # a convex quadratic part keeps most Hessians well conditioned
        terms.append(f"{coefficient(rng)}*{v}^2")
    for _ in range(rng.randint(1, 3)):
        kind = rng.choice(["cross", "cube", "quartic", "exp", "log", "linear", "const"])
        v, u = rng.choice(names), rng.choice(names)
        c = coefficient(rng)
        if kind == "cross" and v != u:
            terms.append(f"{c / 4}*{v}*{u}")
        elif kind == "cube":
            terms.append(f"{c / 10}*{v}^3")
        elif kind == "quartic":
            terms.append(f"{c}*{v}^4")
        elif kind == "exp":
            terms.append(f"{c / 2}*exp({rng.choice([0.5, -0.5, 1, -1])}*{v} + {rng.choice([0.25, -0.25, 0.5])}*{u})")
        elif kind == "log":
            terms.append(f"log({v}^2 + {c})")
        elif kind == "linear":
            terms.append(f"{rng.choice([-2, -1, 1, 3])}*{v}")
        else:
            terms.append(f"x*{v}")
    text = " + ".join(terms)
    constants = {"x": rng.choice([-1.5, 0.5, 2])} if "x*" in text else {}
    start = {v: round(rng.uniform(-2, 2), 3) for v in names}
    return text, constants, start, rng.randint(1, 3)


def function_of(text, names, constants):
    body = text.replace("^", "**")
    def f(w):
        scope = {"exp": torch.exp, "log": torch.log, **{k: torch.tensor(v) for k, v in constants.items()}}
        for i, v in enumerate(names):
            scope[v] = w[i]
        return eval(body, {"__builtins__": {}}, scope)
    return f


def reference(text, names, constants, start, steps, wrong):
    """Per step (w, ∇f, H, next) by PyTorch, or None when a Hessian is ill-conditioned or w runs off."""
    f = function_of(text, names, constants)
    w = torch.tensor([start[v] for v in names])
    out = []
    for _ in range(steps):
        wg = w.clone().requires_grad_(True)
        g, = torch.autograd.grad(f(wg), wg)
        h = hessian(f, w)
        if torch.linalg.cond(h).item() > 1e6:
            return None
        d = torch.linalg.solve(h, g)
        nxt = w - d * (1 + 1e-7 if wrong else 1)
        if not bool(torch.all(torch.isfinite(nxt))) or float(nxt.abs().max()) > 1e3:
            return None
        out.append((w.tolist(), g.tolist(), h.tolist(), nxt.tolist()))
        w = nxt.detach()
    return out


def run(binary, path):
    r = subprocess.run([binary, "solve", "--format", "json", path], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"dlsolve solve: exit {r.returncode}: {r.stderr.strip()[:300]}")
    return json.loads(r.stdout)


def compare(doc, names, ref):
    bad = []
    got = doc["newton"]["steps"]
    if len(got) != len(ref):
        return [f"dlsolve took {len(got)} steps, PyTorch {len(ref)}"]
    for k, ((w, g, h, nxt), step) in enumerate(zip(ref, got)):
        pairs = [("gradient", step["gradient"], g), ("hessian", sum(step["hessian"], []), sum(h, [])),
                 ("next", [doc["answers"][f"newton.{v}.{k + 1}"] for v in names], nxt)]
        for what, mine, theirs in pairs:
            for i, (a, b) in enumerate(zip(mine, theirs)):
                if not close(a, b):
                    bad.append(f"step {k + 1} {what}[{i}]: dlsolve {a!r}, PyTorch {b!r}")
    return bad


def main(argv):
    self_test, count, binary = arguments(argv, 40)
    rng = random.Random(87)

    def one(case, index, path):
        n = {"one": 1, "two": 2, "three": 3}[case]
        names = NAMES[n]
        while True:
            text, constants, start, steps = generate(n, rng)
            ref = reference(text, names, constants, start, steps, self_test)
            if ref is not None:
                break
        doc = {"title": f"generated Newton problem {case} #{index}",
               "newton": {"function": text, "params": start, "steps": steps}}
        if constants:
            doc["newton"]["constants"] = constants
        write_json(path, doc)
        return compare(run(binary, path), names, ref)

    return suite(("one", "two", "three"), count, self_test, one)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
