"""Stopping on a signal, for what test_signals.py leaves out: SIGTERM and
SIGINT each flush, commit everything processed and exit 0 within 10 s;
a SIGPIPE sent to the host does not kill it. (The second signal, the
10 s cut-off and a closed stdout are test_signals.py's.)"""

import json
import os
import shutil
import signal
import tempfile
import time
import unittest

import harness


class StopSignalTest(unittest.TestCase):
    def setUp(self):
        self.broker = harness.Broker("term:2", "int:2")
        self.addCleanup(self.broker.stop)
        self.dir = tempfile.mkdtemp(prefix="pipehost-stop-")
        self.addCleanup(shutil.rmtree, self.dir)

    def stop_with(self, sig, topic):
        out = os.path.join(self.dir, f"{topic}.jsonl")
        # Commits only at the stop: the one commit checked is the last one.
        path = harness.write_pipeline(self.dir, f"""
name: stop-{topic}
kafka:
  brokers: {self.broker.bootstrap}
  topics: [{topic}]
  properties: {{session.timeout.ms: 6000}}
processors:
  - plugin: json_filter
    config: {{field: kind, in: [keep]}}
sinks:
  - {{type: file, path: {out}}}
commit_interval_ms: 600000
""", name=f"{topic}.yaml")
        run = harness.PipelineProcess(path)
        self.addCleanup(run.close)
        run.wait_for(rf"assigned {topic}\[1\]")
        producer = harness.TrackedProducer(self.broker.bootstrap, topic)
        for seq in range(2000):
            producer.send(seq, json.dumps({"kind": "keep", "seq": seq}), key=str(seq))
        producer.flush()
        deadline = time.monotonic() + 30
        while len(harness.complete_lines(out)) < 2000:
            self.assertLess(time.monotonic(), deadline, run.log()[-2000:])
            time.sleep(0.1)
        if sig == signal.SIGTERM:
            # SIGPIPE, sent by hand as a broken pipe would: ignored.
            os.kill(run.proc.pid, signal.SIGPIPE)
            time.sleep(0.5)
            self.assertIsNone(run.proc.poll(), "SIGPIPE killed the host")
        self.assertEqual(harness.committed_offsets(self.broker.bootstrap, f"stop-{topic}", topic, 2),
                         {0: -1001, 1: -1001})  # nothing committed before the stop
        code, seconds = run.stop(sig)
        self.assertEqual(code, 0, run.log()[-2000:])
        self.assertLess(seconds, 10)
        ends = {}
        for p, o in producer.positions.values():
            ends[p] = max(ends.get(p, 0), o + 1)
        committed = harness.committed_offsets(self.broker.bootstrap, f"stop-{topic}", topic, 2)
        figures, lost, duplicated = harness.loss_figures(
            producer.positions, [json.loads(line)["seq"] for line in harness.complete_lines(out)])
        figures["dead-lettered"] = 0
        harness.print_figures(f"{signal.Signals(sig).name}: stopped in {seconds:.1f} s", figures)
        self.assertEqual((lost, duplicated), (set(), {}))
        # Everything processed is committed: a restart reads nothing again.
        self.assertEqual(committed, ends)

    def test_sigterm_commits_and_exits_0(self):
        self.stop_with(signal.SIGTERM, "term")

    def test_sigint_commits_and_exits_0(self):
        self.stop_with(signal.SIGINT, "int")


if __name__ == "__main__":
    harness.main()
