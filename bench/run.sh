#!/usr/bin/env bash
# Benchmark dlsolve: median wall time per process and peak RSS (see bench/README.md).
#
#   bench/run.sh [DLSOLVE_BINARY]
#
# Without an argument, builds a Release binary in build-bench/ first
# (BENCH_BUILD_DIR overrides the directory). RUNS (30) and WARMUP (3) set the
# number of timed and warm-up runs. Writes bench/RESULTS.md, keeping the "## "
# sections it does not write (results of the other benchmarks, written by hand).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"

build_type_of() {
  # the build type recorded in the CMake cache next to the binary, if any
  local cache
  cache="$(dirname "$1")/CMakeCache.txt"
  if [[ -f "$cache" ]]; then
    sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$cache" | head -n1
  else
    echo "unknown (no CMakeCache.txt next to the binary)"
  fi
}

if [[ $# -ge 1 ]]; then
  binary="$1"
  [[ -x "$binary" ]] || { echo "run.sh: $binary is not an executable" >&2; exit 2; }
else
  build_dir="${BENCH_BUILD_DIR:-build-bench}"
  echo "building Release binary in $build_dir ..." >&2
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DDLSOLVE_TESTS=OFF >/dev/null
  cmake --build "$build_dir" -j "$(nproc)" >/dev/null
  binary="$build_dir/dlsolve"
fi
build_type="$(build_type_of "$binary")"

# Measure a private copy: a rebuild of the original during the run would otherwise
# fail the run or mix two versions in one report.
snapdir="$(mktemp -d "${TMPDIR:-/tmp}/dlsolve-bench-bin.XXXXXX")"
trap 'rm -rf "$snapdir"' EXIT
cp -p "$binary" "$snapdir/dlsolve"

if ! command -v hyperfine >/dev/null; then
  echo "note: hyperfine not found, timing with python time.perf_counter" >&2
fi
if [[ ! -x /usr/bin/time ]]; then
  echo "note: /usr/bin/time not found (apt-get install -y time), using python getrusage" >&2
fi

/usr/bin/python3 "$here/measure.py" --binary "$snapdir/dlsolve" --label "$binary" \
  --build-type "$build_type" --runs "${RUNS:-30}" --warmup "${WARMUP:-3}" --out "$here/RESULTS.md"
