#!/usr/bin/env bash
# Installs what dlsolve needs on Debian: the build dependencies (help2man writes the man
# page), and with --test the tools of the test suite (man-db and xmllint for the install
# and JUnit tests, Graphviz's dot, jsonschema, PyTorch, Node with @tensorflow/tfjs from npm,
# and clang with its runtimes for the fuzzer: libFuzzer and the sanitizers are in libclang-rt-dev).
set -euo pipefail
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
build_packages="g++ cmake pkg-config help2man libcli11-dev nlohmann-json3-dev libfmt-dev catch2 libeigen3-dev libutf8proc-dev libginac-dev"
test_packages="python3 man-db libxml2-utils python3-jsonschema python3-torch python3-torchvision clang libclang-rt-dev graphviz"
packages=$build_packages
[ "${1:-}" = "--test" ] && packages="$packages $test_packages"
command -v node >/dev/null && command -v npm >/dev/null || { [ "${1:-}" = "--test" ] && packages="$packages nodejs npm"; }
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "installing:$missing"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing
fi
if [ "${1:-}" = "--test" ]; then
    here=$(cd "$(dirname "$0")/.." && pwd)
    [ -d "$here/tests/diff/node_modules/@tensorflow/tfjs" ] || npm ci --prefix "$here/tests/diff" --no-audit --no-fund
fi
