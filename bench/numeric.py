#!/usr/bin/env python3
"""Issue 4's benchmark: forward + backward + one Adam step on an MLP of 4 dense layers
of 256 units with a batch of 64, as one process, beside the same computation in
PyTorch (float64) in the same run. Reports median wall times and their ratio.

Usage: /usr/bin/python3 bench/numeric.py [DLSOLVE] [--runs N]
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
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


def median_ms(command, runs):
    times = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times[1:])  # the first run warms the caches


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dlsolve", nargs="?", default=os.path.join(ROOT, "build", "dlsolve"))
    parser.add_argument("--runs", type=int, default=9)
    options = parser.parse_args()
    dlsolve, runs = options.dlsolve, options.runs
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "mlp.json")
        with open(path, "w") as f:
            json.dump(problem(), f)
        script = os.path.join(tmp, "torch_mlp.py")
        with open(script, "w") as f:
            f.write(TORCH)
        # Both compute the same numbers: check before timing.
        ours = json.loads(subprocess.run([dlsolve, "train", "--format", "json", path], check=True,
                                         capture_output=True, text=True).stdout)["answers"]
        theirs = json.loads(subprocess.run(["/usr/bin/python3", script, path], check=True,
                                           capture_output=True, text=True).stdout)
        assert abs(ours["loss"] - theirs["loss"]) <= 1e-9 * abs(theirs["loss"]), (ours["loss"], theirs["loss"])
        w = ours["update.d1.weights"][0][0]
        assert abs(w - theirs["d1.weights[0][0]"]) <= 1e-9 * max(1, abs(w)), (w, theirs)
        python_floor = median_ms(["/usr/bin/python3", "-c", "import torch"], runs)
        cases = [
            ("dlsolve train (text)", [dlsolve, "train", path]),
            ("dlsolve train --format json", [dlsolve, "train", "--format", "json", path]),
            ("PyTorch (python3 + import torch + the same step)", ["/usr/bin/python3", script, path]),
        ]
        results = [(name, median_ms(cmd, runs)) for name, cmd in cases]
    print(f"forward + backward + one Adam step, MLP {LAYERS} x {WIDTH}, batch {BATCH}, float64; median of {runs} runs")
    for name, ms in results:
        print(f"  {name:55s} {ms:9.1f} ms")
    floor_label = 'python3 -c "import torch" (interpreter and import alone)'
    print(f"  {floor_label:55s} {python_floor:9.1f} ms")
    torch_ms = results[2][1]
    print(f"  ratio dlsolve text / PyTorch process: {results[0][1] / torch_ms:.2f}; "
          f"PyTorch compute alone ≈ {torch_ms - python_floor:.1f} ms")


if __name__ == "__main__":
    main()
