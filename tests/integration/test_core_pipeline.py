"""The core host end to end: kcat produces into 12 partitions of a
standalone `pipehost broker`; `pipehost run` filters with json_filter into
a file, a Kafka topic and the dead letter; commits survive restarts and
SIGTERM."""

import collections
import json
import os
import signal
import tempfile
import threading
import time
import unittest

import harness
from confluent_kafka import Producer

ACTIONS = ["view", "view", "view", "click", "add_to_cart", "purchase"]


def make_events(start, count):
    """Events with unique ids; independent of pipehost."""
    return [json.dumps({"id": i, "userid": f"user{i % 37}", "page": f"/p{i % 11}",
                        "action": ACTIONS[(i * 7) % len(ACTIONS)]}, separators=(",", ":"))
            for i in range(start, start + count)]


def expected_views(events):
    return sorted(e for e in events if json.loads(e)["action"] == "view")


PIPELINE = """
name: views
kafka:
  brokers: ${{KAFKA_BROKERS}}
  group: {group}
  topics: [clicks]
  # The embedded broker keeps a member that left until its session times
  # out: a short session lets the next run join at once.
  properties: {{auto.offset.reset: earliest, fetch.wait.max.ms: 10,
               session.timeout.ms: 6000, heartbeat.interval.ms: 500}}
processors:
  - plugin: json_filter
    config: {{field: action, in: [view]}}
sinks:
  - {{type: file, path: {out}}}
  - {{type: kafka, topic: views-out}}
on_error: dead_letter
dead_letter: {{topic: views-dlq}}
commit_interval_ms: 200
workers: 2
"""


class CorePipelineTest(unittest.TestCase):
    def setUp(self):
        self.broker = harness.Broker("clicks:12", "views-out:3", "views-dlq:1")
        self.dir = tempfile.mkdtemp(prefix="pipehost-it-")
        self.out = os.path.join(self.dir, "out", "views.jsonl")
        self.env = {"KAFKA_BROKERS": self.broker.bootstrap}

    def tearDown(self):
        self.assertEqual(self.broker.stop(), 0)

    def pipeline(self, group):
        return harness.write_pipeline(self.dir, PIPELINE.format(group=group, out=self.out))

    def run_to_end(self, path):
        result = harness.run_pipehost("run", path, "--exit-at-end", env=self.env)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result

    def test_exit_at_end_writes_each_record_once_and_a_rerun_nothing(self):
        events = make_events(0, 1200)
        harness.kcat_produce(self.broker.bootstrap, "clicks", events, key_field="userid")
        path = self.pipeline("g-once")
        self.run_to_end(path)
        written = harness.read_lines(self.out)
        self.assertEqual(sorted(written), expected_views(events))
        self.assertEqual(len(written), 600)
        # A user's records share a partition, so they come out in the order
        # they went in.
        ids_by_user = {}
        for line in written:
            event = json.loads(line)
            ids_by_user.setdefault(event["userid"], []).append(event["id"])
        for user, ids in ids_by_user.items():
            self.assertEqual(ids, sorted(ids), user)

        # The same records reached the Kafka sink, keyed as they came in
        # (json_filter passes records on unchanged).
        out = harness.consume_all(self.broker.bootstrap, "views-out", expected=600)
        self.assertEqual(sorted(m.value().decode() for m in out), expected_views(events))
        for m in out:
            self.assertEqual(m.key().decode(), json.loads(m.value())["userid"])
        # kafka-python, another implementation of the protocol, reads the same.
        again = harness.consume_all_kafka_python(self.broker.bootstrap, "views-out", 600)
        self.assertEqual(sorted(v.decode() for _, v in again), expected_views(events))

        # Every partition that has records is committed at its end: the
        # offsets add up to the 1200 records.
        offsets = harness.committed_offsets(self.broker.bootstrap, "g-once", "clicks", 12)
        self.assertEqual(sum(o for o in offsets.values() if o >= 0), 1200)

        # A second run of the same group finds nothing new.
        self.run_to_end(path)
        self.assertEqual(len(harness.read_lines(self.out)), 600)

        # New records: only they are processed.
        more = make_events(1200, 120)
        harness.kcat_produce(self.broker.bootstrap, "clicks", more, key_field="userid")
        self.run_to_end(path)
        self.assertEqual(sorted(harness.read_lines(self.out)), expected_views(events + more))

    def test_sigterm_mid_stream_then_restart_loses_and_duplicates_nothing(self):
        total = 12000
        events = make_events(0, total)
        producer = Producer({"bootstrap.servers": self.broker.bootstrap, "linger.ms": 5})

        def produce_steadily():
            # 12000 records over about 6 seconds, in 60 bursts.
            for burst in range(60):
                for e in events[burst * 200:(burst + 1) * 200]:
                    producer.produce("clicks", value=e.encode(),
                                     key=json.loads(e)["userid"].encode())
                producer.poll(0)
                time.sleep(0.1)
            producer.flush(30)

        feeder = threading.Thread(target=produce_steadily)
        feeder.start()
        path = self.pipeline("g-term")
        log = tempfile.TemporaryFile(mode="w+")
        self.addCleanup(log.close)
        proc = harness.start_pipehost("run", path, env=self.env, log=log)
        self.addCleanup(proc.stdout.close)
        # Stop mid-stream: as soon as output appears (the first join takes
        # about 3 s), while the feeder is still producing.
        deadline = time.monotonic() + 30
        while not harness.read_lines(self.out) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        proc.wait(timeout=20)
        self.assertEqual(proc.returncode, 0)
        self.assertLess(time.monotonic() - started, 10)
        still_producing = feeder.is_alive()
        feeder.join()
        first_run = len(harness.read_lines(self.out))
        self.assertGreater(first_run, 0, "the first run should have written something")
        self.assertTrue(still_producing, "the signal should come mid-stream")

        self.run_to_end(path)
        written = harness.read_lines(self.out)
        counts = collections.Counter(written)
        duplicated = [line for line, n in counts.items() if n > 1]
        self.assertEqual(duplicated, [])
        self.assertEqual(sorted(written), expected_views(events))
        print(f"sigterm: {first_run} written before the signal, {len(written)} in all, "
              f"0 duplicated, 0 lost")

    def test_malformed_records_go_to_the_dead_letter_with_headers(self):
        good = make_events(0, 40)
        bad = [b"not json at all", b"[1, 2, 3]", b"\"a string\"", b"{\"truncated\": ",
               b"\xff\xfe invalid utf-8"]
        # All into partition 5 so that their offsets are known: 0..44.
        harness.kcat_produce(self.broker.bootstrap, "clicks", good + bad, partition=5)
        self.run_to_end(self.pipeline("g-dlq"))
        self.assertEqual(sorted(harness.read_lines(self.out)), expected_views(good))

        dead = harness.consume_all(self.broker.bootstrap, "views-dlq", expected=len(bad))
        self.assertEqual(len(dead), len(bad))
        by_offset = {}
        for m in dead:
            headers = {k: v.decode() for k, v in m.headers()}
            self.assertEqual(headers["pipehost.stage"], "json_filter")
            self.assertEqual(headers["pipehost.source.topic"], "clicks")
            self.assertEqual(headers["pipehost.source.partition"], "5")
            by_offset[int(headers["pipehost.source.offset"])] = (m.value(), headers["pipehost.error"])
        self.assertEqual(sorted(by_offset), list(range(40, 45)))
        for i, raw in enumerate(bad):
            value, error = by_offset[40 + i]
            self.assertEqual(value, raw)
            if raw.startswith(b"[") or raw.startswith(b"\""):
                self.assertEqual(error, "value is not a JSON object")
            else:
                self.assertTrue(error.startswith("value is not JSON: "), error)


if __name__ == "__main__":
    harness.main()
