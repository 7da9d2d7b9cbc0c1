#!/usr/bin/env python3
"""Issue 8's benchmark: forward + backward (and one SGD step) of an LSTM with 64 units
over 100 time steps, batch 16, 8 input features, then a Dense(1) on the last step and
an MSE loss, as one dlsolve process, beside the same computation in PyTorch (nn.LSTM,
float64, one thread) in the same run. Checks that both give the same loss and the same
updated weight, then reports median wall times and their ratio.

Usage: /usr/bin/python3 bench/recurrent.py [DLSOLVE] [--runs N]
"""
import random

import against_torch

BATCH, STEPS, FEATURES, UNITS = 16, 100, 8, 64


def problem():
    rng = random.Random(8)
    u = lambda: rng.uniform(-0.1, 0.1)
    lstm = {"name": "lstm", "type": "lstm", "units": UNITS,
            "weight_ih": [[u() for _ in range(FEATURES)] for _ in range(4 * UNITS)],
            "weight_hh": [[u() for _ in range(UNITS)] for _ in range(4 * UNITS)],
            "bias_ih": [u() for _ in range(4 * UNITS)], "bias_hh": [u() for _ in range(4 * UNITS)]}
    dense = {"name": "out", "type": "dense", "units": 1,
             "weights": [[u()] for _ in range(UNITS)], "bias": [u()]}
    return {"title": "LSTM 64 units, 100 steps, batch 16", "framework": "pytorch", "batch": BATCH,
            "input": {"values": [[[rng.uniform(-1, 1) for _ in range(FEATURES)] for _ in range(STEPS)]
                                 for _ in range(BATCH)]},
            "layers": [lstm, dense],
            "target": [[rng.uniform(-1, 1)] for _ in range(BATCH)],
            "loss": "mse", "optimizer": {"type": "sgd", "lr": 0.1}, "steps": 1}


TORCH = r'''
import json, sys, torch
torch.set_num_threads(1)
p = json.load(open(sys.argv[1]))
lstm_spec, dense_spec = p["layers"]
x = torch.tensor(p["input"]["values"], dtype=torch.float64)
y = torch.tensor(p["target"], dtype=torch.float64)
lstm = torch.nn.LSTM(x.shape[-1], lstm_spec["units"], batch_first=True).double()
linear = torch.nn.Linear(lstm_spec["units"], 1).double()
with torch.no_grad():
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        getattr(lstm, name + "_l0").copy_(torch.tensor(lstm_spec[name], dtype=torch.float64))
    linear.weight.copy_(torch.tensor(dense_spec["weights"], dtype=torch.float64).t())
    linear.bias.copy_(torch.tensor(dense_spec["bias"], dtype=torch.float64))
opt = torch.optim.SGD(list(lstm.parameters()) + list(linear.parameters()), lr=0.1)
out = linear(lstm(x)[0][:, -1])
loss = torch.nn.functional.mse_loss(out, y)
opt.zero_grad()
loss.backward()
opt.step()
json.dump({"loss": loss.item(), "weight_hh[0][0]": lstm.weight_hh_l0[0, 0].item()}, sys.stdout)
'''


def main():
    against_torch.run(__doc__, "%(prog)s [DLSOLVE] [--runs N]", problem(), TORCH, "update.lstm.weight_hh", "weight_hh[0][0]",
                      f"forward + backward + one SGD step, LSTM {UNITS} units, {STEPS} steps, batch {BATCH}, {FEATURES} features, float64")


if __name__ == "__main__":
    main()
