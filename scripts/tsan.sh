#!/usr/bin/env bash
# ThreadSanitizer over `dlsolve check --jobs N` (files checked on threads; GiNaC is
# serialised by equations::symbolic_lock). Builds dlsolve alone with -DDLSOLVE_TSAN=ON in
# BUILD_DIR (default build-tsan), then, with TSan stopping at its first report:
#   1. dlsolve check --jobs 2 problems/
#   2. dlsolve check --jobs 2 on a folder of 1000 files (the problems repeated, with the
#      bad inputs that every command refuses among them: errors on threads too)
#   3. the ctest tests that run `check` on threads: problems_check, cli_conventions
#      (threads against one), check_explain.
# A data race or any other TSan report fails (exit 1).
# Usage: scripts/tsan.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-tsan}
jobs=$(nproc)
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDLSOLVE_TSAN=ON -DDLSOLVE_TESTS=ON > /dev/null
cmake --build "$build" -j"$jobs" --target dlsolve
d=$build/dlsolve
# 66: TSan's report, told apart from check's own statuses (0, 1, 2).
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1"
status() { local s=0; "$@" > /dev/null || s=$?; echo $s; }

s=$(status "$d" check --jobs 2 problems/)
[ "$s" -eq 0 ] || { echo "FAIL tsan: check --jobs 2 problems/ exited $s"; exit 1; }
echo "ok   tsan: check --jobs 2 problems/"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mapfile -t good < <(ls problems/*.json)
mapfile -t bad < <(for f in tests/bad_input/*.json; do [ -e "${f%.json}.command" ] || echo "$f"; done)
for i in $(seq 0 999); do
    if [ $((i % 10)) -eq 9 ]; then src=${bad[$(( (i / 10) % ${#bad[@]} ))]}; else src=${good[$((i % ${#good[@]}))]}; fi
    cp "$src" "$tmp/$(printf %04d "$i")-$(basename "$src")"
done
s=$(status "$d" check --jobs 2 --quiet "$tmp")
[ "$s" -eq 2 ] || { echo "FAIL tsan: check --jobs 2 on 1000 files exited $s (expected 2: 100 bad inputs)"; exit 1; }
echo "ok   tsan: check --jobs 2 on 1000 files"

TSAN_OPTIONS="$TSAN_OPTIONS" ctest --test-dir "$build" --output-on-failure -R '^(problems_check|cli_conventions|check_explain)$'
