"""What bench/numeric.py and bench/recurrent.py share: one dlsolve problem and the same
computation written for PyTorch, checked to give the same loss and updated weight
(relative 1e-9) before anything is timed, then median wall times of whole processes."""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def median_ms(command, runs):
    times = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times[1:])  # the first run warms the caches


def run(doc, usage, problem, torch_source, dlsolve_weight, torch_weight, title):
    """Writes `problem` and `torch_source` (which prints {"loss": …, torch_weight: …}),
    checks that `dlsolve train` gives the same loss and the same `dlsolve_weight` after
    the step, then times both processes and prints the medians and their ratio."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0], usage=usage)
    parser.add_argument("dlsolve", nargs="?", default=os.path.join(ROOT, "build", "dlsolve"))
    parser.add_argument("--runs", type=int, default=9)
    options = parser.parse_args()
    dlsolve, runs = options.dlsolve, options.runs
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "problem.json")
        with open(path, "w") as f:
            json.dump(problem, f)
        script = os.path.join(tmp, "torch_step.py")
        with open(script, "w") as f:
            f.write(torch_source)
        # Both compute the same numbers: check before timing.
        ours = json.loads(subprocess.run([dlsolve, "train", "--format", "json", path], check=True,
                                         capture_output=True, text=True).stdout)["answers"]
        theirs = json.loads(subprocess.run(["/usr/bin/python3", script, path], check=True,
                                           capture_output=True, text=True).stdout)
        assert abs(ours["loss"] - theirs["loss"]) <= 1e-9 * abs(theirs["loss"]), (ours["loss"], theirs["loss"])
        w = ours[dlsolve_weight][0][0]
        assert abs(w - theirs[torch_weight]) <= 1e-9 * max(1, abs(w)), (w, theirs)
        python_floor = median_ms(["/usr/bin/python3", "-c", "import torch"], runs)
        cases = [
            ("dlsolve train (text)", [dlsolve, "train", path]),
            ("dlsolve train --format json", [dlsolve, "train", "--format", "json", path]),
            ("PyTorch (python3 + import torch + the same step)", ["/usr/bin/python3", script, path]),
        ]
        results = [(name, median_ms(cmd, runs)) for name, cmd in cases]
    print(f"{title}; median of {runs} runs")
    for name, ms in results:
        print(f"  {name:55s} {ms:9.1f} ms")
    floor_label = 'python3 -c "import torch" (interpreter and import alone)'
    print(f"  {floor_label:55s} {python_floor:9.1f} ms")
    torch_ms = results[2][1]
    print(f"  ratio dlsolve text / PyTorch process: {results[0][1] / torch_ms:.2f}; "
          f"PyTorch compute alone ≈ {torch_ms - python_floor:.1f} ms")
