#!/usr/bin/env bash
# Builds pipehost and runs a pipeline against the embedded broker:
# a standalone `pipehost broker`, 200,000 synthetic clickstream events from
# `pipehost produce`, then configs/page-views.yaml to the end of the topic.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
count=${COUNT:-200000}

"$root/scripts/install-deps.sh"
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
pipehost="$root/build/bin/pipehost"

work=$(mktemp -d)
broker_pid=
cleanup() {
  [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# The broker prints its bootstrap list as its first line.
mkfifo "$work/broker.out"
"$pipehost" broker --topic clickstream:12 --topic page-views:4 --topic page-views-dlq:1 \
  >"$work/broker.out" 2>"$work/broker.log" &
broker_pid=$!
read -r bootstrap <"$work/broker.out"
echo "== embedded broker on $bootstrap"

echo "== producing $count clickstream events (1% malformed)"
"$pipehost" produce --profile clickstream --brokers "$bootstrap" --topic clickstream \
  --count "$count" --bad-ratio 0.01 --seed 7

echo "== pipehost run configs/page-views.yaml --exit-at-end"
cd "$work"
KAFKA_BROKERS=$bootstrap "$pipehost" run "$root/configs/page-views.yaml" --exit-at-end \
  2> >(grep -E "records in|consumed to its end|error" >&2)

views=$(wc -l <out/views.jsonl)
echo
echo "== $views view events kept in out/views.jsonl"
echo "top pages by views:"
grep -o '"page": *"[^"]*"' out/views.jsonl | sed 's/"page": *//' | sort | uniq -c |
  sort -rn | head -5 | awk '{ printf "  %8d  %s\n", $1, $2 }'
