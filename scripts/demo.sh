#!/usr/bin/env bash
# Builds pipehost and runs a use case end to end against the embedded
# broker: `pipehost demo clickstream` (or iot, or chat: ./scripts/demo.sh iot).
# It produces 200,000 synthetic events (1% malformed), runs the use case's
# pipeline file from configs/ to the end of the topic, and prints a summary
# of the results with the records per second the pipeline reached.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
use_case=${1:-clickstream}
shift || true

"$root/scripts/install-deps.sh"
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
exec "$root/build/bin/pipehost" demo "$use_case" "$@"
