#!/usr/bin/env bash
# Runs the libFuzzer target for a bounded time on a copy of the committed corpus.
#
# Usage: tests/fuzz/run.sh FUZZER SECONDS [WORK_DIR]
#
# FUZZER is build-fuzz/tests/fuzz/dlsolve_fuzz (cmake -DDLSOLVE_FUZZ=ON with clang).
# The corpus tests/fuzz/corpus is copied into WORK_DIR/corpus (default: a new temporary
# directory), so the inputs the run adds never land in the repository; a finding is
# written to WORK_DIR/ as crash-*, leak-*, oom-* or timeout-* with its stack on stderr.
# Exit status: 0 nothing found, 1 a finding (or the fuzzer could not run), 2 usage error.
set -u

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    echo "usage: $0 FUZZER SECONDS [WORK_DIR]" >&2
    exit 2
fi
fuzzer=$1
seconds=$2
here=$(cd "$(dirname -- "$0")" && pwd)
if [ $# -eq 3 ]; then
    work=$3
    mkdir -p "$work" || exit 2
else
    work=$(mktemp -d) || exit 2
fi
rm -rf "$work/corpus"
cp -r "$here/corpus" "$work/corpus" || exit 2

# A finding is any sanitizer report, an uncaught exception (the binary's "internal
# error"), an input over 20 s, 2 GiB of memory, or a broken command-line contract
# (fuzz_cli.cpp). Leaks are findings too.
# malloc_context_size=2: AddressSanitizer keeps two frames of each allocation's stack
# instead of 30, which was a quarter of an execution's time (its stack depot); errors are
# caught as before, and a finding's report still has its full stack where it happened
# (rerun the reproducer without it to see where the memory was allocated). Two frames,
# not fewer: with 0 or 1 LeakSanitizer reports no leak at all, and the suppression of
# lsan.supp matches on the second frame.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:malloc_context_size=2} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$here/../lsan.supp:print_suppressions=0} \
    "$fuzzer" "$work/corpus" -dict="$here/dlsolve.dict" -max_len=4096 -rss_limit_mb=2048 -timeout=20 \
    -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$work/" 2>&1 | grep -v -e '^#[0-9]*.*\(NEW\|REDUCE\|pulse\)' -e 'NEW_FUNC' -e '^"' -e '^###'
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
    echo "fuzzer: a finding (exit status $status), reproducer in $work/" >&2
    exit 1
fi
echo "fuzzer: no finding in $seconds s"
