#!/usr/bin/python3
"""Differential test: dlsolve's margin losses and the losses at their edges against PyTorch (float64).

Usage: torch_losses.py [--self-test] DLSOLVE [--count N]

For each case below, N (default 100) generated problems: the network output is given
as the input of a linear layer (batch 1-4, 2-6 classes), and `dlsolve backward --format
json` gives the loss and ∂L/∂output ("grad.p"); PyTorch computes both with autograd.
They must agree to a relative 1e-9 (absolute 1e-12 near 0).

  hinge           CS231n's multiclass SVM loss: F.multi_margin_loss × the number of classes
  multi_margin    F.multi_margin_loss (torch.nn.MultiMarginLoss), scores on a grid so that
                  margins of exactly 0 occur (PyTorch passes no gradient there)
  ce_zero         cross_entropy on probabilities with exact zeros in classes that are not
                  the target: F.nll_loss(torch.log(p)); where PyTorch's autograd gives NaN
                  (0 · 1/0 at a zero probability), dlsolve's derivative must be 0
  bce_exact       bce on predictions of exactly 0 or 1, most equal to their targets
                  (F.binary_cross_entropy clamps log at −100 and divides the gradient by
                  max(ŷ(1 − ŷ), 1e-12))

--self-test: the comparison is run against a wrong reference (hinge without the factor
C, cross-entropy counting the zero classes as log(1e-12)) and must report mismatches.
"""
import random
import sys

import torch
import torch.nn.functional as F

from difftools import answers, arguments, close, suite, write_json

torch.set_default_dtype(torch.float64)


def problem(values, target, loss):
    return {"title": "torch_losses", "framework": "pytorch", "batch": len(values),
            "input": {"name": "p", "values": values},
            "layers": [{"name": "out", "type": "linear"}], "target": target, "loss": loss}


def generate(case, rng):
    n, c = rng.randint(1, 4), rng.randint(2, 6)
    classes = [rng.randrange(c) for _ in range(n)]
    if case in ("hinge", "multi_margin"):
        # quarter steps: a margin s_j − s_y + 1 of exactly 0 is common
        values = [[rng.randint(-8, 8) / 4 for _ in range(c)] for _ in range(n)]
        target = {"classes": classes} if rng.random() < 0.5 else {"labels": [k + 1 for k in classes]}
        return problem(values, target, case), values, classes
    if case == "ce_zero":
        values = []
        for k in classes:
            row = [0.0 if j != k and rng.random() < 0.5 else rng.randint(1, 20) / 20 for j in range(c)]
            total = sum(row)
            values.append([v / total for v in row])
        return problem(values, {"classes": classes}, "cross_entropy"), values, classes
    # bce_exact
    values = [[float(rng.randint(0, 1)) if rng.random() < 0.7 else rng.randint(1, 19) / 20 for _ in range(c)] for _ in range(n)]
    target = [[(v if v in (0.0, 1.0) and rng.random() < 0.8 else float(rng.randint(0, 1))) for v in row] for row in values]
    return problem(values, target, "bce"), values, target


def reference(case, values, target, wrong):
    p = torch.tensor(values, requires_grad=True)
    if case in ("hinge", "multi_margin"):
        y = torch.tensor(target)
        loss = F.multi_margin_loss(p, y)
        if case == "hinge" and not wrong:
            loss = loss * p.shape[-1]
    elif case == "ce_zero":
        y = torch.tensor(target)
        if wrong:  # the zero classes counted as log(1e-12) each
            logp = torch.log(p.clamp_min(1e-12))
            loss = F.nll_loss(logp, y) - (logp * (p == 0)).sum() / p.shape[0]
        else:
            loss = F.nll_loss(torch.log(p), y)
    else:
        loss = F.binary_cross_entropy(p, torch.tensor(target))
    loss.backward()
    return loss.item(), p.grad.tolist()


def compare(got_loss, got_grad, ref_loss, ref_grad, nan_is_zero=True):
    """Differences between dlsolve's loss and ∂L/∂p and PyTorch's. With `nan_is_zero`, a NaN
    gradient in PyTorch (0 · 1/0 at a zero probability whose target is 0) expects 0."""
    bad = []
    if not close(got_loss, ref_loss):
        bad.append(f"loss: dlsolve {got_loss}, PyTorch {ref_loss}")
    for n, (row, ref_row) in enumerate(zip(got_grad, ref_grad)):
        for j, (g, r) in enumerate(zip(row, ref_row)):
            if nan_is_zero and r != r:
                if g != 0:
                    bad.append(f"∂L/∂p[{n}][{j}]: dlsolve {g}, PyTorch NaN (0 expected)")
            elif not close(g, r):
                bad.append(f"∂L/∂p[{n}][{j}]: dlsolve {g}, PyTorch {r}")
    return bad


def main(argv):
    self_test, count, binary = arguments(argv, 100)
    rng = random.Random(15)

    def one(case, index, path):
        doc, values, target = generate(case, rng)
        write_json(path, doc)
        got = answers(binary, "backward", path)
        ref_loss, ref_grad = reference(case, values, target, self_test)
        return compare(got["loss"], got["grad.p"], ref_loss, ref_grad)

    # the two wrong references that differ from the right ones
    return suite(("hinge", "multi_margin", "ce_zero", "bce_exact"), count, self_test, one,
                 required=lambda case: case in ("hinge", "ce_zero"))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
