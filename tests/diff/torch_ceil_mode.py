#!/usr/bin/python3
"""Differential test: PyTorch pooling's ceil_mode output sizes, every case of a grid.

Usage: torch_ceil_mode.py [--self-test] DLSOLVE

For H from 1 to 14, pool k from 1 to 4, stride s from 1 to 4, padding p from 0 to k/2 and
dilation 1 or 2 (every valid combination), a PyTorch file with one maxpool2d layer
(ceil_mode true) on a 1 × H × 5 input: `dlsolve shapes --format json` must give the
height torch.nn.functional.max_pool2d gives. PyTorch drops a last window that would start
in the right padding, which happens for some parities of H when s > k_eff − p; the grid
holds both kinds of case.

--self-test: the reference is ⌈(H + 2p − k_eff)/s⌉ + 1 without the dropped window; some
case must disagree.
"""
import json
import math
import os
import subprocess
import sys
import tempfile

import torch
import torch.nn.functional as F


def main(argv):
    self_test = "--self-test" in argv
    args = [a for a in argv[1:] if a != "--self-test"]
    if len(args) != 1:
        sys.exit(__doc__)
    binary = args[0]
    cases = bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "pool.json")
        for h in range(1, 15):
            for k in range(1, 5):
                for s in range(1, 5):
                    for p in range(0, k // 2 + 1):
                        for d in (1, 2):
                            k_eff = d * (k - 1) + 1
                            if h + 2 * p < k_eff or 5 + 2 * p < k_eff:
                                continue
                            want = F.max_pool2d(torch.zeros(1, 1, h, 5), k, s, p, d, ceil_mode=True).shape[2]
                            if self_test:
                                want = math.ceil((h + 2 * p - k_eff) / s) + 1
                            doc = {"title": "ceil_mode", "framework": "pytorch", "input": {"shape": [1, h, 5]},
                                   "layers": [{"name": "pool", "type": "maxpool2d", "pool": k, "stride": s, "padding": p,
                                               "dilation": d, "ceil_mode": True}]}
                            with open(path, "w") as f:
                                json.dump(doc, f)
                            r = subprocess.run([binary, "shapes", "--format", "json", path], capture_output=True, text=True)
                            cases += 1
                            got = json.loads(r.stdout)["answers"]["shapes.pool"][1] if r.returncode == 0 else None
                            if got != want:
                                bad += 1
                                if not self_test:
                                    print(f"FAIL H={h} k={k} s={s} p={p} d={d}: dlsolve {got} ({r.stderr.strip()[:200]}), PyTorch {want}")
    if self_test:
        print(f"the reference without the dropped window disagrees on {bad} of {cases} cases")
        return 0 if bad else 1
    print(f"{cases - bad} of {cases} ceil_mode heights agree with max_pool2d")
    return 1 if bad or cases == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
