"""Sink failures: the Kafka sink's produce requests fail for a while (the
broker's injected request errors), and the file sink's disk write and
fsync fail for a while (a preload library, from outside the host). The
pipeline must commit nothing past output not yet durable, retry with
backoff, recover by itself, and lose nothing."""

import json
import os
import shutil
import signal
import tempfile
import time
import unittest

import harness

BUILD_DIR = os.environ.get("PIPEHOST_BUILD_DIR", "build")
FAIL_WRITES = os.path.join(BUILD_DIR, "tests", "integration", "libfail_writes.so")


def pipeline_text(bootstrap, sink, extra=""):
    return f"""
name: sinks
kafka:
  brokers: {bootstrap}
  topics: [events]
  properties: {{session.timeout.ms: 6000, heartbeat.interval.ms: 500}}
{extra}
processors:
  - plugin: json_filter
    config: {{field: kind, in: [keep]}}
sinks:
  - {sink}
commit_interval_ms: 300
"""


def record(seq):
    return json.dumps({"kind": "keep", "seq": seq, "pad": "p" * 60})


class SinkFailureTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pipehost-sinks-")
        self.addCleanup(shutil.rmtree, self.dir)

    def produce(self, producer, seqs):
        for seq in seqs:
            producer.send(seq, record(seq), key=str(seq))
        producer.flush()

    def wait_until(self, condition, what, timeout=60.0, run=None):
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                self.fail(f"{what}: not within {timeout:.0f} s" +
                          (f"\n{run.log()[-3000:]}" if run else ""))
            time.sleep(0.1)

    def finish(self, name, run, broker, positions, output):
        code, seconds = run.stop()
        self.assertEqual(code, 0, run.log()[-3000:])
        self.assertLess(seconds, 10)
        figures, lost, duplicated = harness.loss_figures(positions, output())
        figures["dead-lettered"] = 0
        harness.print_figures(name, figures)
        self.assertEqual(lost, set())
        self.assertEqual(duplicated, {})
        self.assertEqual(figures["unexpected"], 0)
        # Everything is committed: a restart would read nothing again.
        ends = {}
        for seq, (p, o) in positions.items():
            ends[p] = max(ends.get(p, 0), o + 1)
        committed = harness.committed_offsets(broker.bootstrap, "sinks", "events", 2)
        self.assertEqual(committed, ends)

    def test_kafka_sink_produce_errors(self):
        broker = harness.Broker("events:2", "out:2", control=True)
        self.addCleanup(broker.stop)
        producer = harness.TrackedProducer(broker.bootstrap, "events")
        self.produce(producer, range(3000))
        # The next produce requests are the pipeline's: first errors that
        # librdkafka retries itself, then ones it gives up on at once, so
        # that delivery reports fail and the host must produce again.
        broker.control("fail-requests Produce 5 NOT_LEADER_FOR_PARTITION")
        broker.control("fail-requests Produce 8 UNKNOWN")
        path = harness.write_pipeline(self.dir, pipeline_text(broker.bootstrap,
                                                              "{type: kafka, topic: out}"))
        run = harness.PipelineProcess(path)
        self.addCleanup(run.close)
        reader = harness.TopicReader(broker.bootstrap, "out", 2)
        self.addCleanup(reader.close)

        def output():
            return [json.loads(m.value())["seq"] for m in reader.records()]

        checks = 0
        deadline = time.monotonic() + 60
        while "the sinks recovered" not in run.log():
            self.assertLess(time.monotonic(), deadline, run.log()[-3000:])
            harness.check_commits_covered(self, broker.bootstrap, "sinks", "events", 2,
                                          producer.positions, output)
            checks += 1
            time.sleep(0.2)
        log = run.log()
        self.assertIn("delivery to out", log)
        self.assertRegex(log, r"records not delivered \(Unknown broker error\): kept to be "
                              r"produced again")
        self.assertRegex(log, r"output not durable \(attempt 1, .*flushing again in 100 ms")
        self.assertRegex(log, r"the sinks recovered after \d+ attempts")
        # It goes on: more records after the failure come out too.
        self.produce(producer, range(3000, 3500))
        self.wait_until(lambda: set(producer.positions) <= set(output()), "all output", run=run)
        harness.check_commits_covered(self, broker.bootstrap, "sinks", "events", 2,
                                      producer.positions, output)
        print(f"commit checks during the failure: {checks}")
        self.finish("kafka sink produce errors", run, broker, producer.positions, output)

    def test_file_sink_write_and_fsync_errors(self):
        broker = harness.Broker("events:2")
        self.addCleanup(broker.stop)
        out = os.path.join(self.dir, "out.jsonl")
        switch = os.path.join(self.dir, "disk-fails")
        path = harness.write_pipeline(self.dir, pipeline_text(broker.bootstrap,
                                                              f"{{type: file, path: {out}}}"))
        env = harness.preload_env(os.path.abspath(FAIL_WRITES))
        env.update({"FAIL_WRITES_PATH": out, "FAIL_WRITES_SWITCH": switch})
        run = harness.PipelineProcess(path, env=env)
        self.addCleanup(run.close)
        run.wait_for(r"assigned events\[1\]")
        producer = harness.TrackedProducer(broker.bootstrap, "events")

        def output():
            return [json.loads(line)["seq"] for line in harness.complete_lines(out)]

        def covered():
            harness.check_commits_covered(self, broker.bootstrap, "sinks", "events", 2,
                                          producer.positions, output)

        self.produce(producer, range(1000))
        self.wait_until(lambda: len(output()) >= 1000, "the first records", run=run)
        next_seq = 1000
        windows = [("short-write ENOSPC", "No space left on device"),
                   ("fsync EIO", "Input/output error")]
        for failure, message in windows:
            with open(switch, "w") as f:
                f.write(failure + "\n")
            self.produce(producer, range(next_seq, next_seq + 1000))
            next_seq += 1000
            # Failing: retried with growing waits, nothing committed past it.
            run.wait_for(rf"{message}; \d+ bytes kept to be written again", timeout=30)
            run.wait_for(r"output not durable \(attempt 3,", timeout=30)
            covered()
            os.unlink(switch)
            run.wait_for(r"the sinks recovered after \d+ attempts", timeout=30,
                         count=windows.index((failure, message)) + 1)
            covered()
        self.wait_until(lambda: set(producer.positions) <= set(output()), "all output", run=run)
        # Every line whole: a short write and a cut-back tore nothing.
        with open(out, "rb") as f:
            data = f.read()
        self.assertTrue(data.endswith(b"\n"))
        self.finish("file sink disk errors", run, broker, producer.positions, output)


if __name__ == "__main__":
    harness.main()
