#!/usr/bin/env python3
"""Issue 4's benchmark: forward + backward + one Adam step on an MLP of 4 dense layers
of 256 units with a batch of 64, as one process, beside the same computation in
PyTorch (float64) in the same run. Reports median wall times and their ratio.

Usage: /usr/bin/python3 bench/numeric.py [DLSOLVE] [--runs N]
"""
import random

import against_torch

BATCH, WIDTH, LAYERS = 64, 256, 4


def problem():
    rng = random.Random(4)
    layers = []
    for i in range(LAYERS):
        layers.append({"name": f"d{i + 1}", "type": "dense", "units": WIDTH,
                       "activation": "relu" if i + 1 < LAYERS else "linear",
                       "weights": [[rng.uniform(-0.1, 0.1) for _ in range(WIDTH)] for _ in range(WIDTH)],
                       "bias": [rng.uniform(-0.1, 0.1) for _ in range(WIDTH)]})
    return {"title": "MLP 4 x 256, batch 64", "framework": "pytorch", "batch": BATCH,
            "input": {"values": [[rng.uniform(-1, 1) for _ in range(WIDTH)] for _ in range(BATCH)]},
            "layers": layers,
            "target": [[rng.uniform(-1, 1) for _ in range(WIDTH)] for _ in range(BATCH)],
            "loss": "mse", "optimizer": {"type": "adam", "lr": 0.001}, "steps": 1}


TORCH = r'''
import json, sys, torch
torch.set_num_threads(1)
p = json.load(open(sys.argv[1]))
x = torch.tensor(p["input"]["values"], dtype=torch.float64)
y = torch.tensor(p["target"], dtype=torch.float64)
params = []
for layer in p["layers"]:
    w = torch.tensor(layer["weights"], dtype=torch.float64, requires_grad=True)
    b = torch.tensor(layer["bias"], dtype=torch.float64, requires_grad=True)
    params += [w, b]
opt = torch.optim.Adam(params, lr=0.001)
h = x
for i, layer in enumerate(p["layers"]):
    h = h @ params[2 * i] + params[2 * i + 1]
    if layer["activation"] == "relu":
        h = torch.relu(h)
loss = torch.nn.functional.mse_loss(h, y)
opt.zero_grad()
loss.backward()
opt.step()
json.dump({"loss": loss.item(), "d1.weights[0][0]": params[0][0, 0].item()}, sys.stdout)
'''


def main():
    against_torch.run(__doc__, "%(prog)s [DLSOLVE] [--runs N]", problem(), TORCH, "update.d1.weights", "d1.weights[0][0]",
                      f"forward + backward + one Adam step, MLP {LAYERS} x {WIDTH}, batch {BATCH}, float64")


if __name__ == "__main__":
    main()
