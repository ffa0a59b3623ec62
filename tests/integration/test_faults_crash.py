"""Scale-out and crashes: three `pipehost run` processes in one consumer
group on a 12-partition topic while a producer writes continuously; one
is killed mid-stream (SIGKILL, then in a second run SIGTERM) and a fourth
starts later. Every produced record must come out (checked through the
producer's delivery reports: each record's partition and offset), and
records may come out twice only on the partitions the killed process
held, from the offset it had last committed; after SIGTERM, never."""

import json
import os
import shutil
import signal
import tempfile
import threading
import time
import unittest

import harness

PARTITIONS = 12
RATE = 400  # records/s the producer aims at


class ContinuousProducer(threading.Thread):
    """Writes {"kind": "keep", "seq": N} records, keyed by N, until stopped."""

    def __init__(self, bootstrap):
        super().__init__(daemon=True)
        self.tracked = harness.TrackedProducer(bootstrap, "events")
        self.halt = threading.Event()
        self.sent = 0

    def run(self):
        started = time.monotonic()
        while not self.halt.is_set():
            due = int((time.monotonic() - started) * RATE)
            while self.sent < due:
                value = json.dumps({"kind": "keep", "seq": self.sent, "pad": "x" * 40})
                self.tracked.send(self.sent, value, key=str(self.sent))
                self.sent += 1
            time.sleep(0.01)
        self.tracked.flush()

    def finish(self):
        self.halt.set()
        self.join(timeout=60)
        return self.tracked.positions


class CrashTest(unittest.TestCase):
    def setUp(self):
        self.broker = harness.Broker(f"events:{PARTITIONS}")
        self.addCleanup(self.broker.stop)
        self.dir = tempfile.mkdtemp(prefix="pipehost-crash-")
        self.addCleanup(shutil.rmtree, self.dir)
        self.pipeline = harness.write_pipeline(self.dir, f"""
name: crash
kafka:
  brokers: {self.broker.bootstrap}
  topics: [events]
  properties: {{session.timeout.ms: 6000, heartbeat.interval.ms: 500}}
processors:
  - plugin: json_filter
    config: {{field: kind, in: [keep]}}
sinks:
  - {{type: file, path: "${{OUT}}"}}
commit_interval_ms: 500
workers: 1
""")
        self.runs = {}

    def start(self, name):
        run = harness.PipelineProcess(self.pipeline,
                                      env={"OUT": os.path.join(self.dir, f"out-{name}.jsonl")})
        self.addCleanup(run.close)
        self.runs[name] = run
        return run

    def held(self, names):
        return {name: self.runs[name].partitions("events") for name in names}

    def wait_for_assignment(self, names, timeout=40.0):
        """Until the named processes hold all partitions between them, each
        once, and the assignment has stayed so for a second."""
        deadline = time.monotonic() + timeout
        stable_since, last = None, None
        while time.monotonic() < deadline:
            held = self.held(names)
            everything = sorted(p for parts in held.values() for p in parts)
            if everything == list(range(PARTITIONS)):
                if held != last:
                    stable_since, last = time.monotonic(), held
                elif time.monotonic() - stable_since >= 1.0:
                    return held
            else:
                last = None
            time.sleep(0.1)
        logs = "".join(f"\n--- {name}:\n{run.log()[-2500:]}" for name, run in self.runs.items())
        self.fail(f"partitions never settled over {names}: {self.held(names)}{logs}")

    def output(self):
        seqs = []
        for name in self.runs:
            for line in harness.read_lines(os.path.join(self.dir, f"out-{name}.jsonl")):
                seqs.append(json.loads(line)["seq"])
        return seqs

    def wait_for_output(self, produced, timeout=60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if set(produced) <= set(self.output()):
                return
            time.sleep(0.2)

    def scale_out_and_stop_one(self, sig):
        for name in "ABC":
            self.start(name)
        self.wait_for_assignment("ABC")
        producer = ContinuousProducer(self.broker.bootstrap)
        producer.start()
        self.addCleanup(producer.halt.set)
        # Mid-stream: B has written output for a while.
        deadline = time.monotonic() + 30
        while len(harness.read_lines(os.path.join(self.dir, "out-B.jsonl"))) < 300:
            self.assertLess(time.monotonic(), deadline, "B wrote no output")
            time.sleep(0.1)
        victim = self.runs["B"]
        held_by_victim = victim.partitions("events")
        self.assertTrue(held_by_victim)
        if sig == signal.SIGKILL:
            victim.proc.kill()
            victim.proc.wait()
            # The commits it had sent have landed; nobody else owns its
            # partitions until its session times out.
            time.sleep(1)
            committed_at_death = harness.committed_offsets(self.broker.bootstrap, "crash",
                                                           "events", PARTITIONS)
        else:
            code, seconds = victim.stop(sig)
            self.assertEqual(code, 0, victim.log()[-2000:])
            self.assertLess(seconds, 10)
        time.sleep(1)
        self.start("D")
        self.wait_for_assignment("ACD", timeout=60)
        time.sleep(2)  # D takes part in the stream
        positions = producer.finish()
        self.wait_for_output(positions)
        for name in "ACD":
            code, seconds = self.runs[name].stop()
            self.assertEqual(code, 0, self.runs[name].log()[-2000:])
            self.assertLess(seconds, 10)

        figures, lost, duplicated = harness.loss_figures(positions, self.output())
        figures["dead-lettered"] = 0
        harness.print_figures(f"{signal.Signals(sig).name} of one of three", figures)
        self.assertEqual(lost, set(), f"lost {sorted(lost)[:20]}")
        self.assertEqual(figures["unexpected"], 0)
        self.assertGreater(figures["produced"], 2000)
        if sig == signal.SIGKILL:
            # Duplicates only where the killed process had written past its
            # last commit: its partitions, at or after the committed offset.
            for seq in duplicated:
                partition, offset = positions[seq]
                self.assertIn(partition, held_by_victim, f"record {seq} duplicated")
                self.assertGreaterEqual(offset, committed_at_death[partition],
                                        f"record {seq} at {partition}:{offset} duplicated")
        else:
            self.assertEqual(duplicated, {})

    def test_sigkill_loses_nothing(self):
        self.scale_out_and_stop_one(signal.SIGKILL)

    def test_sigterm_loses_and_duplicates_nothing(self):
        self.scale_out_and_stop_one(signal.SIGTERM)


if __name__ == "__main__":
    harness.main()
