"""What the differential suites share: running dlsolve for its JSON answers, reading the
common command line, and comparing dlsolve's numbers with a framework's element by
element. Each suite keeps its own generator and reference; only these mechanics live here.
"""
import json
import subprocess

try:
    import torch
except ImportError:  # the suites that need no PyTorch import this module too
    torch = None

RTOL, ATOL = 1e-9, 1e-12


def answers(binary, command, path, timeout=None):
    """dlsolve COMMAND --format json PATH's "answers"; a failure raises RuntimeError with
    the exit status and dlsolve's message."""
    r = subprocess.run([binary, command, "--format", "json", path], capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"dlsolve {command}: exit {r.returncode}: {r.stderr.strip()[:300]}")
    return json.loads(r.stdout)["answers"]


def flat(v):
    """Nested lists, tuples or a tensor as one flat list of floats, in row-major order."""
    if torch is not None and isinstance(v, torch.Tensor):
        return [float(a) for a in v.reshape(-1)]
    if isinstance(v, (list, tuple)):
        return [a for item in v for a in flat(item)]
    return [v]


def close(a, b, rtol=RTOL, atol=ATOL):
    return abs(a - b) <= max(atol, rtol * max(abs(a), abs(b)))


def differences(pairs, rtol=RTOL, atol=ATOL, sides=("dlsolve", "the framework")):
    """Messages for every (key, dlsolve's value, the framework's value) that disagrees:
    missing, a different number of elements, or the first element of a key beyond the
    tolerance. `sides` names the two values in the messages."""
    mine, theirs = sides
    bad = []
    for key, got, want in pairs:
        if got is None:
            bad.append(f"{key}: missing from {mine}'s answers")
            continue
        g, w = flat(got), flat(want)
        if len(g) != len(w):
            bad.append(f"{key}: {mine} has {len(g)} elements, {theirs} {len(w)}")
            continue
        for i, (a, b) in enumerate(zip(g, w)):
            if not close(a, b, rtol, atol):
                bad.append(f"{key}[{i}]: {mine} {a}, {theirs} {b}")
                break
    return bad


def arguments(argv, count):
    """(self_test, count, binary) from [--self-test] [--count N] DLSOLVE; exits with the
    caller's usage when the binary is missing."""
    import sys
    self_test = "--self-test" in argv
    args = [a for a in argv[1:] if a != "--self-test"]
    if "--count" in args:
        i = args.index("--count")
        count = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 1:
        sys.exit(sys.modules["__main__"].__doc__)
    return self_test, count, args[0]
