#!/usr/bin/env bash
# Golden tests of worked output: NAME.cmd holds the arguments of one dlsolve run
# (paths relative to the repository), NAME.out what it must print, byte for byte,
# followed by its exit status.
# Usage: run.sh DLSOLVE [--update]   (--update rewrites the .out files; review the
# diff by eye before committing: a golden is only as right as its review).
set -u
dlsolve=$1
update=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.." || exit 2
passed=0
failed=0
for cmd in "$here"/*.cmd; do
    name=$(basename "$cmd" .cmd)
    read -r -a args < "$cmd"
    actual=$("$dlsolve" "${args[@]}" 2>&1; echo "exit $?")
    if [ "$update" = "--update" ]; then
        printf '%s\n' "$actual" > "$here/$name.out"
        echo "updated $name"
        continue
    fi
    if [ "$actual" = "$(cat "$here/$name.out" 2>/dev/null)" ]; then
        echo "ok   $name"
        passed=$((passed + 1))
    else
        echo "FAIL $name"
        diff <(printf '%s\n' "$actual") "$here/$name.out" | head -20
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
