"""The seed: the clickstream consumer of the article pipehost comes from,
as it was written there, with python3-confluent-kafka: a Consumer in a
group reading from the earliest offset, a poll(1.0) loop, json.loads of
each value and a count of "view" events per page.

For the benchmark it stops once it has consumed --expect records and
prints one JSON line, {"records": N, "seconds": S, "pages": P}, S running
from the first record's arrival to the last one's processing (pipehost's
definition of its records/s). --tuned raises the prefetch thresholds that
make librdkafka 2.0 back off fetching for a fixed second whenever its
queue is fuller than queued.min.messages (default 100,000): the same two
settings pipehost's defaults raise.

Run with Debian's /usr/bin/python3, the interpreter that has confluent_kafka.
"""

import argparse
import json
import sys
import time

from confluent_kafka import Consumer

TUNED = {"queued.min.messages": 1000000, "queued.max.messages.kbytes": 262144}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--brokers", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--expect", type=int, required=True, help="stop after this many records")
    parser.add_argument("--tuned", action="store_true", help="raise queued.min.messages")
    parser.add_argument("--timeout", type=float, default=300.0, help="give up after SECONDS")
    args = parser.parse_args()

    config = {
        "bootstrap.servers": args.brokers,
        "group.id": args.group,
        "auto.offset.reset": "earliest",
    }
    if args.tuned:
        config.update(TUNED)
    consumer = Consumer(config)
    consumer.subscribe([args.topic])

    page_views = {}
    consumed = 0
    first = last = None
    deadline = time.monotonic() + args.timeout
    try:
        while consumed < args.expect and time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            if msg.error():
                print(f"seed_consumer: {msg.error()}", file=sys.stderr)
                continue
            if first is None:
                first = time.monotonic()
            event = json.loads(msg.value())
            if event["action"] == "view":
                page_views[event["page"]] = page_views.get(event["page"], 0) + 1
            consumed += 1
        last = time.monotonic()
    finally:
        consumer.close()

    if consumed < args.expect:
        print(f"seed_consumer: timed out with {consumed} of {args.expect} records", file=sys.stderr)
        return 1
    print(json.dumps({"records": consumed, "seconds": last - first, "pages": len(page_views)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
