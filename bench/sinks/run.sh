#!/usr/bin/env bash
# Sink throughput in one command: builds pipehost and its plugins (the
# benchmark's optimised build in build-bench/, as bench/run.sh does), then
# runs bench/sinks/sink_bench.py, which writes bench/sinks/RESULTS.md and
# results.json.
#
#   bench/sinks/run.sh            200,000 rows, 3 runs of each sink: about 2 minutes
#   bench/sinks/run.sh --smoke    tiny sizes, sqlite and postgres (copy) only
#
# Other options go to sink_bench.py: bench/sinks/run.sh --help lists them.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${PIPEHOST_BENCH_BUILD:-$root/build-bench}

# pipehost's dependencies, PostgreSQL and SQLite, and GNU time.
"$root/scripts/install-deps.sh"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPIPEHOST_SANITIZE=OFF \
      -DPIPEHOST_BENCH=ON >/dev/null
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target pipehost shipped_plugins >/dev/null
exec /usr/bin/python3 "$root/bench/sinks/sink_bench.py" --pipehost "$build/bin/pipehost" "$@"
