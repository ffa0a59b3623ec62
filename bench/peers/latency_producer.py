"""Steady load for the latency runs: produce records at a fixed rate with
python3-confluent-kafka, remembering when each one was handed to the
client, so that its arrival at the pipeline's sink can be timed.

Two kinds of record:
  clicks  clickstream events, two in three of them "view"s, each with a
          unique "seq"; json_filter passes the views on unchanged, so the
          sink line names the record by its seq.
  iot     sensor readings of 200 devices in turn whose temperature
          alternates between 35 and 20, so every other reading of a device
          crosses the "temperature above 30" rule and raises an alert; the
          reading's event time `ts` is the send time in epoch milliseconds
          (kept strictly increasing per device), and the alert echoes the
          device and `ts`, which name the reading.

At the end it writes to --sent one line per record that must reach the
sink, "KEY<TAB>SENT_NS" (KEY: the seq, or DEVICE|TS_MS), SENT_NS being
CLOCK_MONOTONIC nanoseconds taken just before produce(), and prints one
JSON line: records produced, records expected at the sink, seconds taken
and the furthest the sender fell behind its schedule.

Run with Debian's /usr/bin/python3, the interpreter that has confluent_kafka.
"""

import argparse
import json
import sys
import time

from confluent_kafka import Producer

DEVICES = 200
HOT, NORMAL = 35.0, 20.0
ACTIONS = ("view", "search", "view")


def click(seq, now_ms):
    """A click and its key at the sink (its seq), or None when filtered out."""
    action = ACTIONS[seq % len(ACTIONS)]
    user = f"user{seq * 7919 % 5000}"
    value = {"timestamp": now_ms, "userid": user, "page": f"/product{seq * 617 % 400}",
             "action": action, "seq": seq}
    return user, value, (str(seq) if action == "view" else None)


class Readings:
    """Readings that raise an alert every other time per device."""

    def __init__(self):
        self.last_ts = [0] * DEVICES

    def __call__(self, seq, now_ms):
        device_index = seq % DEVICES
        device = f"dev-{device_index:03d}"
        ts = max(now_ms, self.last_ts[device_index] + 1)
        self.last_ts[device_index] = ts
        hot = (seq // DEVICES) % 2 == 0
        value = {"device_id": device, "ts": ts, "temperature": HOT if hot else NORMAL,
                 "pressure": 1010.0, "humidity": 45.0}
        return device, value, (f"{device}|{ts}" if hot else None)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--brokers", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--kind", choices=("clicks", "iot"), required=True)
    parser.add_argument("--rate", type=int, default=10000, help="records per second")
    parser.add_argument("--seconds", type=float, required=True, help="how long to produce")
    parser.add_argument("--linger-ms", type=int, default=5)
    parser.add_argument("--sent", required=True, help="file for the KEY<TAB>SENT_NS lines")
    args = parser.parse_args()

    failed = []
    producer = Producer({
        "bootstrap.servers": args.brokers,
        "linger.ms": args.linger_ms,
        "message.timeout.ms": 30000,
        "on_delivery": lambda err, msg: err is not None and failed.append(err),
    })
    # Connect and learn the partitions before the clock starts.
    producer.list_topics(args.topic, timeout=10)
    make = click if args.kind == "clicks" else Readings()

    total = int(args.rate * args.seconds)
    sent = []
    max_behind = 0.0
    start = time.monotonic()
    deadline = start + args.seconds + 30
    seq = 0
    while seq < total and time.monotonic() < deadline:
        elapsed = time.monotonic() - start
        due = min(total, int(elapsed * args.rate) + 1)
        max_behind = max(max_behind, (due - 1 - seq) / args.rate)
        while seq < due:
            sent_ns = time.monotonic_ns()
            key, value, sink_key = make(seq, time.time_ns() // 1000000)
            while True:
                try:
                    producer.produce(args.topic, json.dumps(value).encode(), key.encode())
                    break
                except BufferError:
                    producer.poll(0.001)
            if sink_key is not None:
                sent.append((sink_key, sent_ns))
            seq += 1
        producer.poll(0)
        time.sleep(0.0005)
    seconds = time.monotonic() - start
    left = producer.flush(30)

    with open(args.sent, "w") as out:
        for key, sent_ns in sent:
            out.write(f"{key}\t{sent_ns}\n")
    print(json.dumps({"produced": seq, "expected": len(sent), "seconds": seconds,
                      "max_behind_ms": max_behind * 1000, "undelivered": left + len(failed)}))
    return 0 if seq == total and left == 0 and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
