"""`dlsolve check` on a folder of 1000 mixed good and bad problem files, and the memory
of every bad input.

Usage: run.py DLSOLVE PROBLEMS_DIR BAD_INPUT_DIR

1. Copies the problems (all pass) and the bad inputs that every command refuses round-robin
   into a temporary folder until it holds 1000 files, runs `dlsolve check` on it and
   requires one report line per file (pass/error), the right totals and exit status 2.
2. Runs every bad input with its command and requires a peak resident set under
   100 MiB (the numeric budget refuses large tensors before allocating them).
Prints `N passed, N failed`; exit 1 on any failure.
"""
import os
import resource
import shutil
import subprocess
import sys
import tempfile

LIMIT_KIB = 100 * 1024


def main():
    dlsolve, problems, bad = sys.argv[1:4]
    good_files = sorted(f for f in os.listdir(problems) if f.endswith(".json"))
    bad_files = sorted(f for f in os.listdir(bad) if f.endswith(".json"))
    passed = failed = 0

    def verdict(ok, what):
        nonlocal passed, failed
        print(("ok   " if ok else "FAIL ") + what)
        passed += ok
        failed += not ok

    with tempfile.TemporaryDirectory() as folder:
        # Bad files that every command refuses (a .command file names one that needs more).
        invalid = [f for f in bad_files if not os.path.exists(os.path.join(bad, f[:-5] + ".command"))]
        sources = [(problems, f) for f in good_files] + [(bad, f) for f in invalid]
        expected_good = expected_bad = 0
        for i in range(1000):
            directory, name = sources[i % len(sources)]
            shutil.copy(os.path.join(directory, name), os.path.join(folder, f"{i:04d}-{name}"))
            if directory == problems:
                expected_good += 1
            else:
                expected_bad += 1
        run = subprocess.run([dlsolve, "check", folder], capture_output=True, text=True)
        lines = run.stdout.splitlines()
        reported = [l for l in lines if l.startswith(("pass  ", "error ", "FAIL  ", "skip  "))]
        verdict(len(reported) == 1000, f"check reports every file: {len(reported)} of 1000 lines")
        passes = sum(l.startswith("pass  ") for l in reported)
        errors = sum(l.startswith("error ") for l in reported)
        verdict(passes == expected_good and errors == expected_bad,
                f"{passes} pass (expected {expected_good}), {errors} errors (expected {expected_bad})")
        verdict(lines[-1] == f"{expected_good} passed, {expected_bad} failed", f"totals line: {lines[-1]!r}")
        verdict(run.returncode == 2, f"exit status {run.returncode} (expected 2: some files are invalid)")
        verdict(len(run.stderr.splitlines()) == expected_bad, f"{len(run.stderr.splitlines())} messages on stderr, one per bad file")

    worst, worst_name = 0, ""
    for name in bad_files:
        path = os.path.join(bad, name)
        command_file = path[:-5] + ".command"
        command = open(command_file).read().strip() if os.path.exists(command_file) else "params"
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        pid = os.fork()
        if pid == 0:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            os.execv(dlsolve, [dlsolve, command, path])
        _, _, usage = os.wait4(pid, 0)
        if usage.ru_maxrss > worst:
            worst, worst_name = usage.ru_maxrss, name
    verdict(worst < LIMIT_KIB, f"peak memory over {len(bad_files)} bad inputs: {worst / 1024:.1f} MiB ({worst_name}), limit 100 MiB")

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
