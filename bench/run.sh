#!/usr/bin/env bash
# The benchmark in one command: installs what it needs from Debian when it
# is missing, builds pipehost, its plugins and the ceiling consumer (an
# optimised build without sanitizers, in build-bench/), then runs
# bench/bench.py, which writes bench/RESULTS.md, bench/results.json and
# bench/plots/*.png.
#
#   bench/run.sh            the full run: about 15 minutes on 2 cores
#   bench/run.sh --smoke    the same with tiny sizes, about a minute
#
# Other options go to bench.py: bench/run.sh --help lists them.
# PIPEHOST_BENCH_BUILD chooses another build folder.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${PIPEHOST_BENCH_BUILD:-$root/build-bench}

# What is missing from Debian: pipehost's dependencies, GNU time (each
# process's CPU and peak RSS) and gnuplot (the plots).
"$root/scripts/install-deps.sh"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPIPEHOST_SANITIZE=OFF \
      -DPIPEHOST_BENCH=ON >/dev/null
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" \
      --target pipehost shipped_plugins bench_ceiling >/dev/null
exec /usr/bin/python3 "$root/bench/bench.py" --pipehost "$build/bin/pipehost" \
     --ceiling "$build/bench/bench_ceiling" "$@"
