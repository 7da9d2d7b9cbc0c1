#!/usr/bin/python3
"""Benchmark harness behind bench/run.sh (see bench/README.md).

    /usr/bin/python3 bench/measure.py --binary PATH [--runs 30] [--warmup 3]
                                      [--build-type TYPE] [--out bench/RESULTS.md]

For every case: checks that the command exits 0, then measures the median wall time
of one process (hyperfine when installed, otherwise time.perf_counter around
subprocess.run with the cases interleaved round-robin, stdout and stderr to
/dev/null) and the peak resident set size
(/usr/bin/time -f %M when present, otherwise resource.getrusage(RUSAGE_CHILDREN)).
Prints a Markdown report and writes it to --out.
"""

import argparse
import atexit
import datetime
import hashlib
import json
import os
import platform
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# targets (see bench/README.md)
# issue 2: params; issue 3: summary. The memory target is for the cases with a time target.
TARGET_MS = {"vgg16": 5.0, "gen1000": 20.0, "gen1000-json": 20.0, "sum1000": 20.0}
TARGET_RSS_MIB = 20.0


def sh(cmd):
    return " ".join(shlex.quote(c) for c in cmd)


def rel(path):
    """Path relative to the repository root, for readable command lines."""
    try:
        r = os.path.relpath(path, ROOT)
    except ValueError:
        return path
    return path if r.startswith("..") else r


def child_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_once(cmd):
    """Wall time and CPU (user + sys) time of one run, in seconds."""
    c0 = child_cpu()
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t0
    return wall, child_cpu() - c0


def instructions(cmd):
    """Instructions the process executes, counted by callgrind (independent of load)."""
    r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"] + cmd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
    m = re.search(r"refs:\s+([\d,]+)", r.stderr)
    return int(m.group(1).replace(",", "")) if m else None


def time_python_interleaved(cmds, runs, warmup):
    """Round-robin: each round runs every command once, so background load that
    comes and goes hits all cases alike. Returns per command (wall samples, CPU samples)."""
    for _ in range(warmup):
        for cmd in cmds:
            run_once(cmd)
    out = [([], []) for _ in cmds]
    for _ in range(runs):
        for i, cmd in enumerate(cmds):
            wall, cpu = run_once(cmd)
            out[i][0].append(wall)
            out[i][1].append(cpu)
    return out


def time_hyperfine(hyperfine, cmd, runs, warmup):
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tf:
        export = tf.name
    try:
        subprocess.run(
            [hyperfine, "--style", "none", "-N", "--warmup", str(warmup), "--runs", str(runs),
             "--export-json", export, sh(cmd)],
            check=True, stdout=subprocess.DEVNULL)
        with open(export) as f:
            r = json.load(f)["results"][0]
        # hyperfine exports per-run wall times but only the mean user and system time
        return r["times"], [r["user"] + r["system"]]
    finally:
        os.unlink(export)


def peak_rss_kib(cmd, gnu_time, reps=3):
    """Largest peak RSS (KiB) over a few runs of cmd."""
    best = 0
    for _ in range(reps):
        if gnu_time:
            with tempfile.NamedTemporaryFile(mode="r", suffix=".txt") as tf:
                subprocess.run([gnu_time, "-f", "%M", "-o", tf.name] + cmd,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
                kib = int(tf.read().strip().splitlines()[-1])
        else:
            # ru_maxrss of RUSAGE_CHILDREN is the largest of all children waited for so
            # far, so measure in a fresh child python to isolate this command.
            probe = ("import resource,subprocess,sys;"
                     "subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,"
                     "stderr=subprocess.DEVNULL,check=True);"
                     "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
            out = subprocess.run([sys.executable, "-c", probe] + cmd,
                                 capture_output=True, text=True, check=True).stdout
            kib = int(out.strip())
        best = max(best, kib)
    return best


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "unknown"


def machine_info():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return {"nproc": nproc, "cpu": cpu, "kernel": platform.release(),
            "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")}


def kept_sections(path, text):
    """The '## ' sections of an existing report that this script does not write
    (results written by hand from other benchmarks, such as check_scale.py), so a
    rerun keeps them."""
    try:
        with open(path) as f:
            old = f.read()
    except FileNotFoundError:
        return ""
    written = {line for line in text.splitlines() if line.startswith("## ")}
    kept = []
    for part in re.split(r"(?m)^(?=## )", old)[1:]:
        if part.splitlines()[0] not in written:
            kept.append(part)
    return ("\n" + "".join(kept)) if kept else ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--label", help="the binary's name in the report (default: --binary)")
    ap.add_argument("--build-type", default="unknown")
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    args = ap.parse_args()

    binary = os.path.abspath(args.binary)
    with open(binary, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()[:16]
    mtime = datetime.datetime.fromtimestamp(os.path.getmtime(binary)).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    load_before = loadavg()
    hyperfine = shutil.which("hyperfine")
    gnu_time = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
    gen = os.path.join(HERE, "gen_network.py")
    vgg = os.path.join(HERE, "vgg16.json")

    workdir = tempfile.mkdtemp(prefix="dlsolve-bench-")
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    gen_cmds = []
    files = {}
    for n in (3, 100, 1000, 10000):
        path = os.path.join(workdir, f"gen{n}.json")
        gcmd = ["/usr/bin/python3", gen, str(n)]
        with open(path, "w") as f:
            subprocess.run(gcmd, stdout=f, check=True)
        files[n] = path
        gen_cmds.append(f"{sh([rel(c) if c == gen else c for c in gcmd])} > gen{n}.json")

    # (key, description, command)
    cases = [
        ("true", "process floor: /bin/true", ["/bin/true"]),
        ("gen3", "params, generated 3 layers (startup)", [binary, "params", files[3]]),
        ("vgg16", "params, VGG-16 (22 layers)", [binary, "params", vgg]),
        ("gen100", "params, generated 100 layers", [binary, "params", files[100]]),
        ("gen1000", "params, generated 1000 layers", [binary, "params", files[1000]]),
        ("gen1000-json", "params --format json, generated 1000 layers",
         [binary, "params", "--format", "json", files[1000]]),
        ("gen10000", "params, generated 10000 layers", [binary, "params", files[10000]]),
        ("sum100", "summary, generated 100 layers", [binary, "summary", files[100]]),
        ("sum1000", "summary, generated 1000 layers", [binary, "summary", files[1000]]),
        ("sum10000", "summary, generated 10000 layers", [binary, "summary", files[10000]]),
    ]

    for key, desc, cmd in cases:
        rc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if rc.returncode != 0:
            sys.exit(f"measure.py: {sh(cmd)} exited {rc.returncode}: {rc.stderr.strip()[:500]}")

    if hyperfine:
        timings = []
        for key, desc, cmd in cases:
            print(f"  timing {desc} ...", file=sys.stderr, flush=True)
            timings.append(time_hyperfine(hyperfine, cmd, args.runs, args.warmup))
    else:
        print(f"  timing all cases, {args.runs} interleaved rounds ...", file=sys.stderr, flush=True)
        timings = time_python_interleaved([c for _, _, c in cases], args.runs, args.warmup)

    results = {}
    for (key, desc, cmd), (samples, cpu) in zip(cases, timings):
        print(f"  peak memory {desc} ...", file=sys.stderr, flush=True)
        samples_ms = sorted(s * 1000 for s in samples)
        q = statistics.quantiles(samples_ms, n=4) if len(samples_ms) > 1 else [samples_ms[0]] * 3
        rss = peak_rss_kib(cmd, gnu_time)
        results[key] = {"desc": desc, "cmd": cmd, "median": statistics.median(samples_ms),
                        "q1": q[0], "q3": q[2], "min": samples_ms[0], "max": samples_ms[-1],
                        "cpu": statistics.median(cpu) * 1000,
                        "rss_kib": rss}

    info = machine_info()
    load_after = loadavg()
    timer = (f"{subprocess.run([hyperfine, '--version'], capture_output=True, text=True).stdout.strip()}, one case after another"
             if hyperfine else "python time.perf_counter around subprocess.run (no hyperfine installed), "
             "cases interleaved round-robin")
    memer = ("GNU time: /usr/bin/time -f %M (max of 3 runs)" if gnu_time
             else "python resource.getrusage(RUSAGE_CHILDREN).ru_maxrss (max of 3 runs); "
             "**upper bound only**: Linux folds the Python parent's RSS at fork/exec into "
             "ru_maxrss, so no case reads below the /bin/true row; install GNU time "
             "(`apt-get install -y time`) for exact figures")

    def verdict(key):
        r = results[key]
        parts = []
        if key in TARGET_MS:
            ok = r["median"] <= TARGET_MS[key]
            parts.append(f"time ≤ {TARGET_MS[key]:g} ms: {'met' if ok else 'MISSED'}")
        if key in TARGET_MS:
            ok = r["rss_kib"] / 1024 <= TARGET_RSS_MIB
            parts.append(f"RSS ≤ {TARGET_RSS_MIB:g} MiB: {'met' if ok else 'MISSED'}")
        return "; ".join(parts)

    lines = []
    out = lines.append
    out("# dlsolve benchmark results")
    out("")
    out("Generated by `bench/run.sh`; see `bench/README.md` for what is measured.")
    out("")
    out(f"- date: {info['date']}")
    out(f"- machine: {info['nproc']} CPUs (`nproc`), {info['cpu']}, Linux {info['kernel']}")
    out(f"- load average (1, 5, 15 min): {load_before} before, {load_after} after "
        "(other work on the machine inflates wall times; CPU ms is less affected)")
    out(f"- binary: `{args.label or rel(binary)}`, build type {args.build_type}, sha256 {sha}…, built {mtime}")
    out(f"- timing: {timer}; {args.warmup} warm-up runs, then {args.runs} timed runs; "
        "stdout and stderr to /dev/null")
    out(f"- peak memory: {memer}")
    out("")
    out("| case | median ms | IQR ms | min–max ms | CPU ms | peak RSS MiB | target |")
    out("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for key, _, _ in cases:
        r = results[key]
        out(f"| {r['desc']} | {r['median']:.2f} | {r['q1']:.2f}–{r['q3']:.2f} | "
            f"{r['min']:.2f}–{r['max']:.2f} | {r['cpu']:.2f} | {r['rss_kib'] / 1024:.1f} | {verdict(key)} |")
    out("")

    def ratio(a, b):
        return results[a]["median"] / results[b]["median"]

    def rss_ratio(a, b):
        return results[a]["rss_kib"] / results[b]["rss_kib"]

    out("Growth with depth (10× more layers each step; linear cost gives ≈ 10):")
    out("")
    out("| command | ratio | wall time | peak RSS |")
    out("| --- | --- | ---: | ---: |")
    for command, prefix in (("params", "gen"), ("summary", "sum")):
        for a, b in ((1000, 100), (10000, 1000)):
            a_key, b_key = f"{prefix}{a}", f"{prefix}{b}"
            out(f"| {command} | {a} / {b} layers | {ratio(a_key, b_key):.2f} | {rss_ratio(a_key, b_key):.2f} |")
    out("")
    out("The fixed cost of a process pulls the 1000 / 100 ratios below 10. Cost per added layer, "
        "(median at 10000 − median at 1000) / 9000: "
        + ", ".join(f"{command} {(results[f'{prefix}10000']['median'] - results[f'{prefix}1000']['median']) * 1000 / 9000:.1f} µs"
                    for command, prefix in (("params", "gen"), ("summary", "sum"))) + ".")
    out("")
    if shutil.which("valgrind"):
        print("  counting instructions with callgrind ...", file=sys.stderr, flush=True)
        out("Instructions (callgrind; unlike times, independent of machine load):")
        out("")
        out("| command | 100 layers | 1000 layers | 10000 layers | 1000 / 100 | 10000 / 1000 |")
        out("| --- | ---: | ---: | ---: | ---: | ---: |")
        for command, prefix in (("params", "gen"), ("summary", "sum")):
            counts = [instructions(results[f"{prefix}{n}"]["cmd"]) for n in (100, 1000, 10000)]
            if None in counts:
                continue
            out(f"| {command} | {counts[0]:,} | {counts[1]:,} | {counts[2]:,} | "
                f"{counts[1] / counts[0]:.2f} | {counts[2] / counts[1]:.2f} |")
        out("")
    out("Command lines (generated files are written to a temporary directory):")
    out("")
    out("```")
    for c in gen_cmds:
        out(c)
    for key, _, cmd in cases:
        shown = [os.path.basename(c) if c in files.values()
                 else (args.label or rel(c)) if c == binary else rel(c) for c in cmd]
        out(sh(shown))
    out("```")
    text = "\n".join(lines) + "\n"
    print(text)
    text += kept_sections(args.out, text)
    with open(args.out, "w") as f:
        f.write(text)
    print(f"written to {rel(args.out)}", file=sys.stderr)


if __name__ == "__main__":
    main()
