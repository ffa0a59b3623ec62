"""Broker outage: the broker goes down for 5 s and comes back, twice:
once plainly, once with every response delayed so that commits are in
flight when it goes. The pipeline must resume by itself, lose nothing,
and say what happened in its log."""

import json
import re
import shutil
import tempfile
import threading
import time
import unittest

import harness

RATE = 300  # records/s


class SteadyProducer(threading.Thread):
    """Produces numbered records at RATE until stopped; keeps going (its
    records queue up) while the broker is away."""

    def __init__(self, bootstrap):
        super().__init__(daemon=True)
        self.tracked = harness.TrackedProducer(bootstrap, "events", **{
            "message.timeout.ms": 60000, "reconnect.backoff.max.ms": 1000, "log_level": 2})
        self.halt = threading.Event()

    def run(self):
        started, sent = time.monotonic(), 0
        while not self.halt.is_set():
            while sent < int((time.monotonic() - started) * RATE):
                self.tracked.send(sent, json.dumps({"kind": "keep", "seq": sent}), key=str(sent))
                sent += 1
            time.sleep(0.01)
        self.tracked.flush(timeout=60)

    def finish(self):
        self.halt.set()
        self.join(timeout=90)
        return self.tracked.positions


class OutageTest(unittest.TestCase):
    def test_broker_down_and_up(self):
        broker = harness.Broker("events:2", "out:2", control=True)
        self.addCleanup(broker.stop)
        folder = tempfile.mkdtemp(prefix="pipehost-outage-")
        self.addCleanup(shutil.rmtree, folder)
        # One member, never restarted: a session well past the outage keeps
        # it in the group. librdkafka's reconnect backoff grows to 10 s by
        # default; 1 s brings it back soon after the broker.
        path = harness.write_pipeline(folder, f"""
name: outage
kafka:
  brokers: {broker.bootstrap}
  topics: [events]
  properties: {{session.timeout.ms: 30000, heartbeat.interval.ms: 500,
               reconnect.backoff.max.ms: 1000}}
processors:
  - plugin: json_filter
    config: {{field: kind, in: [keep]}}
sinks:
  - {{type: kafka, topic: out}}
commit_interval_ms: 300
""")
        run = harness.PipelineProcess(path)
        self.addCleanup(run.close)
        run.wait_for(r"assigned events\[1\]")
        producer = SteadyProducer(broker.bootstrap)
        producer.start()
        self.addCleanup(producer.halt.set)
        reader = harness.TopicReader(broker.bootstrap, "out", 2)
        self.addCleanup(reader.close)

        def output():
            return [json.loads(m.value())["seq"] for m in reader.records()]

        time.sleep(1.5)
        broker.control("down 1")
        time.sleep(5)
        broker.control("up 1")
        # Processing resumes by itself: output grows again.
        count = len(output())
        deadline = time.monotonic() + 30
        while len(output()) < count + RATE:
            self.assertLess(time.monotonic(), deadline, run.log()[-3000:])
            time.sleep(0.2)

        # Again, with every response delayed by 1 s so that commits are in
        # flight when the broker goes.
        broker.control("rtt 1 1000")
        time.sleep(1.5)
        broker.control("down 1")
        time.sleep(5)
        broker.control("up 1")
        broker.control("rtt 1 0")
        time.sleep(1)
        positions = producer.finish()
        deadline = time.monotonic() + 60
        while not set(positions) <= set(output()) and time.monotonic() < deadline:
            time.sleep(0.2)
        # Once all output is out, every offset gets committed.
        ends = {}
        for p, o in positions.values():
            ends[p] = max(ends.get(p, 0), o + 1)
        deadline = time.monotonic() + 30
        while harness.committed_offsets(broker.bootstrap, "outage", "events", 2) != ends:
            self.assertLess(time.monotonic(), deadline, run.log()[-3000:])
            time.sleep(0.3)
        code, seconds = run.stop()
        log = run.log()
        self.assertEqual(code, 0, log[-3000:])
        self.assertLess(seconds, 10)

        # The producer's own retries across the outage may have written a
        # record twice (at two source positions): each input record,
        # read back from the topic, must come out.
        source = harness.TopicReader(broker.bootstrap, "events", 2)
        self.addCleanup(source.close)
        inputs = [json.loads(m.value())["seq"] for m in source.records()]
        self.assertEqual(len(inputs), sum(ends.values()))
        figures, lost, duplicated = harness.loss_figures(inputs, output())
        figures["dead-lettered"] = 0
        harness.print_figures("broker down 5 s, twice", figures)
        self.assertEqual(lost, set(), log[-3000:])
        self.assertEqual(figures["unexpected"], 0)
        # What happened is in the log: the cluster went away and came
        # back, each time (librdkafka holds commits while the coordinator
        # is away and sends them when it is back).
        self.assertEqual(len(re.findall(r"the Kafka cluster is unreachable \(.*\): consuming "
                                        r"and committing wait for it", log)), 2, log[-3000:])
        self.assertEqual(len(re.findall(r"the Kafka cluster is reachable again: a commit "
                                        r"succeeded [\d.]+ s after", log)), 2, log[-3000:])


if __name__ == "__main__":
    harness.main()
