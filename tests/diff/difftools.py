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


def write_json(path, doc):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f)


def suite(cases, count, self_test, one, required=lambda case: True):
    """Runs one(case, index, path) `count` times per case; it writes its generated problem
    to `path` and returns the disagreements with the framework (messages). A dlsolve
    failure (RuntimeError) always fails. With self_test, `one` compares with a planted
    wrong reference and every required case must catch it at least once. Prints a line
    per case and the verdict; returns the exit status."""
    import os
    import tempfile
    failures = total = 0
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            agree = caught = 0
            for index in range(count):
                path = os.path.join(tmp, f"{case}-{index}.json")
                try:
                    bad = one(case, index, path)
                except RuntimeError as e:
                    failures += 1
                    print(f"FAIL {case} #{index}: {e}\n  {open(path).read() if os.path.exists(path) else ''}")
                    continue
                if self_test:
                    caught += bool(bad)
                elif bad:
                    failures += 1
                    print(f"FAIL {case} #{index}:\n  " + "\n  ".join(bad[:6]) + f"\n  {open(path).read()}")
                else:
                    agree += 1
            total += agree
            if self_test:
                if required(case) and caught == 0:
                    failures += 1
                print(f"{case}: the wrong reference was caught on {caught}/{count}{'' if required(case) else ' (not required)'}")
            else:
                print(f"{case}: {agree}/{count} agree")
    print(f"all {total} agree" if failures == 0 and not self_test else
          "self-test passed" if failures == 0 else f"{failures} failure(s)")
    return 1 if failures else 0
