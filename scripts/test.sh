#!/usr/bin/env bash
# Builds pipehost and runs the whole test suite twice: a normal build, then
# one under AddressSanitizer and UndefinedBehaviorSanitizer; then runs each
# libFuzzer harness briefly. Installs the dependencies first when they are
# missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)

"$root/scripts/install-deps.sh"

run_suite() { # build-dir, cmake options...
  local dir=$1; shift
  cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs"
}

echo "== build and test: $root/build"
run_suite "$root/build"

echo "== build and test under ASan+UBSan: $root/build-asan"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$root/tests/lsan.supp:print_suppressions=0"
# The benchmark's smoke run measures nothing under the sanitizers: once is enough.
run_suite "$root/build-asan" -DPIPEHOST_SANITIZE=ON -DPIPEHOST_BENCH=OFF

echo "== fuzz: a short run of every libFuzzer harness (clang): $root/build-fuzz"
# Each harness runs a few seconds on its committed corpus (tests/fuzz/README.md
# has the long runs); a crash, a sanitizer report or a broken promise fails it.
CC=clang cmake -S "$root" -B "$root/build-fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPIPEHOST_FUZZ=ON -DPIPEHOST_BENCH=OFF >/dev/null
cmake --build "$root/build-fuzz" -j "$jobs" --target fuzz_harnesses
ctest --test-dir "$root/build-fuzz" -L fuzz --output-on-failure
