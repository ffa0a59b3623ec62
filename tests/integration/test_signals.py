"""Stopping: a second signal exits at once; a stop that hangs is cut off
after 10 s; SIGPIPE on stdout does not kill the host."""

import os
import re
import select
import signal
import subprocess
import tempfile
import time
import unittest

import harness

TEST_PLUGINS = os.path.join(os.environ.get("PIPEHOST_BUILD_DIR", "build"), "tests", "plugins")


class SignalTest(unittest.TestCase):
    def setUp(self):
        self.broker = harness.Broker("events:1")
        self.addCleanup(self.broker.stop)
        self.dir = tempfile.mkdtemp(prefix="pipehost-signals-")

    def start(self, flush_delay_ms, extra_sink=""):
        path = harness.write_pipeline(self.dir, f"""
name: signals
kafka:
  brokers: {self.broker.bootstrap}
  topics: [events]
plugin_dirs: [{TEST_PLUGINS}]
sinks:
  - {{plugin: line_sink, config: {{path: {self.dir}/lines.txt, flush_delay_ms: {flush_delay_ms}}}}}
{extra_sink}
commit_interval_ms: 600000
""")
        proc = harness.start_pipehost("run", path)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        deadline = time.monotonic() + 20
        log = ""
        while "assigned events[0]" not in log and time.monotonic() < deadline:
            if select.select([proc.stderr], [], [], 1)[0]:
                log += proc.stderr.readline()
        self.assertIn("assigned events[0]", log)
        harness.kcat_produce(self.broker.bootstrap, "events", ["one", "two"])
        time.sleep(1)
        return proc

    def test_second_signal_exits_at_once(self):
        proc = self.start(flush_delay_ms=5000)
        proc.send_signal(signal.SIGTERM)  # the final flush takes 5 s
        time.sleep(0.5)
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=10)
        self.assertLess(time.monotonic() - started, 1.5)
        self.assertEqual(proc.returncode, 130)
        self.assertIn("second signal: exiting at once", stderr)

    def test_a_stop_that_hangs_is_cut_off(self):
        proc = self.start(flush_delay_ms=30000)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
        elapsed = time.monotonic() - started
        self.assertEqual(proc.returncode, 1)
        self.assertGreaterEqual(elapsed, 9.5)
        self.assertLess(elapsed, 12)
        self.assertIn("could not stop within 10 s", stderr)

    def test_a_closed_stdout_does_not_kill_the_host(self):
        proc = self.start(flush_delay_ms=0, extra_sink="  - {type: stdout}")
        proc.stdout.close()  # the reader goes away: writes now fail with EPIPE
        harness.kcat_produce(self.broker.bootstrap, "events", ["three"] * 100)
        _, stderr = proc.communicate(timeout=30)
        # Not killed by SIGPIPE: the stdout sink's failure stops the
        # pipeline with exit 1, says why, and commits nothing after it.
        self.assertEqual(proc.returncode, 1, stderr)
        self.assertIn("a sink failed to write", stderr)
        self.assertIn("Broken pipe", stderr)

if __name__ == "__main__":
    harness.main()
