#!/usr/bin/env python3
"""`dlsolve check` at scale (issue 14): the repository's problems/*.json copied round-robin
into a temporary folder until it holds N files (default 10 000), then `dlsolve check`
timed on one thread (--jobs 1) and on every core (the default), the two interleaved.
Both runs must print the same bytes. Prints the medians and their ratio.

Usage: check_scale.py DLSOLVE [--files N] [--runs R]
Timing: time.perf_counter around subprocess.run (wall), resource.getrusage of the
children (CPU = user + system); stdout to a pipe, compared between the two runs.
"""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def timed(command):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    r = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, r.stdout, r.returncode


def main():
    a = argparse.ArgumentParser()
    a.add_argument("dlsolve")
    a.add_argument("--files", type=int, default=10000)
    a.add_argument("--runs", type=int, default=5)
    args = a.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    problems = os.path.join(here, "..", "problems")
    sources = sorted(f for f in os.listdir(problems) if f.endswith(".json"))
    with tempfile.TemporaryDirectory() as folder:
        for i in range(args.files):
            f = sources[i % len(sources)]
            shutil.copy(os.path.join(problems, f), os.path.join(folder, f"{i:05d}-{f}"))
        cases = {"1 thread (--jobs 1)": [args.dlsolve, "check", "--jobs", "1", folder],
                 f"every core ({os.cpu_count()})": [args.dlsolve, "check", folder]}
        times = {name: [] for name in cases}
        outputs = {}
        for run in range(args.runs + 1):  # the first round warms the page cache
            for name, command in cases.items():
                wall, cpu, out, status = timed(command)
                if status != 0:
                    sys.exit(f"{name}: exit status {status}")
                outputs.setdefault(name, out)
                if outputs[name] != out:
                    sys.exit(f"{name}: the output changed between runs")
                if run:
                    times[name].append((wall, cpu))
        first, second = outputs.values()
        if first != second:
            sys.exit("the parallel run printed other bytes than the sequential one")
        print(f"{args.files} files, {args.runs} runs each, load average {os.getloadavg()[0]:.2f} at the end")
        print("| run | median wall s | median CPU s |\n| --- | ---: | ---: |")
        medians = {}
        for name, t in times.items():
            medians[name] = statistics.median(w for w, _ in t)
            print(f"| {name} | {medians[name]:.3f} | {statistics.median(c for _, c in t):.3f} |")
        one, every = medians.values()
        print(f"\nwall time, 1 thread / every core: {one / every:.2f}")


if __name__ == "__main__":
    main()
