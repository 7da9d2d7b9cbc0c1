#!/usr/bin/env python3
"""The README's examples are real: every `$ dlsolve …` line in a README code block is run,
and every output line the README shows must appear, in that order, in what dlsolve prints.

Usage: check_readme.py DLSOLVE README.md

The README may leave lines out: `...` marks an elision, and the problems' `Note:` lines
are never shown. `(exit status N)` is checked against the exit status. The command runs
from the README's folder with `dlsolve` meaning DLSOLVE. A self-check then changes one
shown line and requires it to be reported, so the comparison can fail.
"""
import os
import re
import subprocess
import sys


def examples(readme):
    """(line number, command, shown lines) for each `$ ` line that runs dlsolve."""
    lines = open(readme, encoding="utf-8").read().split("\n")
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("$ ") and re.search(r"(^|\| )dlsolve ", line[2:]):
            start, shown = i + 1, []
            i += 1
            while i < len(lines) and lines[i] != "```" and not lines[i].startswith("$ "):
                shown.append(lines[i])
                i += 1
            out.append((start, line[2:], shown))
        else:
            i += 1
    return out


def run(dlsolve, command, cwd):
    command = re.sub(r"(^|\| )dlsolve ", lambda m: m.group(1) + dlsolve + " ", command)
    r = subprocess.run(command, shell=True, cwd=cwd, capture_output=True, text=True)
    printed = [l for l in (r.stdout + r.stderr).rstrip("\n").split("\n") if not l.startswith("Note:")]
    return printed, r.returncode


def differences(shown, printed, status):
    """What the README shows that dlsolve did not print (in order), or a wrong exit status."""
    problems, at = [], 0
    for line in shown:
        if line.strip() == "...":
            continue
        m = re.fullmatch(r"\(exit status (\d+)\)", line.strip())
        if m:
            if int(m.group(1)) != status:
                problems.append(f"exit status {status}, the README says {m.group(1)}")
            continue
        k = at
        while k < len(printed) and printed[k] != line:
            k += 1
        if k == len(printed):
            problems.append(f"not printed (in this order): {line!r}")
            break
        at = k + 1
    if not any(re.fullmatch(r"\(exit status \d+\)", l.strip()) for l in shown) and status != 0:
        problems.append(f"exit status {status}")
    return problems


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    dlsolve, readme = os.path.abspath(argv[1]), argv[2]
    cwd = os.path.dirname(os.path.abspath(readme))
    found = examples(readme)
    if not found:
        print(f"{readme}: no `$ dlsolve` examples found", file=sys.stderr)
        return 1
    failed, runs = 0, {}
    for line_no, command, shown in found:
        printed, status = run(dlsolve, command, cwd)
        runs[line_no] = (printed, status)
        problems = differences(shown, printed, status)
        if problems:
            failed += 1
            print(f"README.md:{line_no}: $ {command}")
            for p in problems:
                print(f"    {p}")
    # Self-check: a changed shown line must be caught.
    line_no, command, shown = next(e for e in found if any(l.strip() and l.strip() != "..." for l in e[2]))
    k = next(i for i, l in enumerate(shown) if l.strip() and l.strip() != "...")
    altered = shown[:k] + [shown[k] + " (altered)"] + shown[k + 1:]
    if not differences(altered, *runs[line_no]):
        print("self-check: an altered README line was not reported")
        return 1
    print(f"{len(found) - failed} examples match, {failed} differ (self-check: an altered line is reported)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
