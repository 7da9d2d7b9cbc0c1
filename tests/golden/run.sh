#!/usr/bin/env bash
# Golden tests of worked output: each file tests/golden/STEM.COMMAND.FORMAT holds what
# `dlsolve COMMAND --format FORMAT problems/STEM.json` must print, byte for byte.
# Usage: run.sh DLSOLVE PROBLEMS_DIR [--update]   (--update rewrites the goldens;
# review the diff by eye before committing: a golden is only as right as its review).
set -u
dlsolve=$1
problems=$2
update=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
passed=0
failed=0
for golden in "$here"/*.*.*; do
    name=$(basename "$golden")
    format=${name##*.}
    rest=${name%.*}
    command=${rest##*.}
    stem=${rest%.*}
    actual=$("$dlsolve" "$command" --format "$format" "$problems/$stem.json" 2>&1; echo "exit $?")
    if [ "$update" = "--update" ]; then
        printf '%s\n' "$actual" > "$golden"
        echo "updated $name"
        continue
    fi
    if [ "$actual" = "$(cat "$golden")" ]; then
        echo "ok   $name"
        passed=$((passed + 1))
    else
        echo "FAIL $name"
        diff <(printf '%s\n' "$actual") "$golden" | head -20
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
