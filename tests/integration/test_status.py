"""Ergonomics of `pipehost run`: the live status line on a terminal (run
under a pseudo-terminal), none when stderr is not one, JSON log lines
(plugins' lines included), and the help that lists options and exit codes."""

import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import tempfile
import termios
import time
import unittest

import harness

TEST_PLUGINS = os.path.join(os.environ.get("PIPEHOST_BUILD_DIR", "build"), "tests", "plugins")
STATUS = re.compile(r"\rpipehost: ([^\r\n]*?)\x1b\[K")
WIPE = "\r\x1b[K"
PROGRESS = re.compile(r"([\d,]+)/([\d,]+) to the end \((\d+)%\) \| [\d,]+ records/s \| "
                      r"lag [\d,?]+ \| ([\d,]+) dead-lettered")


def number(text):
    return int(text.replace(",", ""))


class StatusTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = harness.Broker("shown:2", "logged:1")

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()

    def pipeline(self, topic):
        folder = tempfile.mkdtemp(prefix="pipehost-status-")
        return harness.write_pipeline(folder, f"""
name: {topic}-run
kafka:
  brokers: {self.broker.bootstrap}
  topics: [{topic}]
  properties: {{session.timeout.ms: 6000, fetch.wait.max.ms: 10}}
plugin_dirs: [{TEST_PLUGINS}]
processors:
  - plugin: sleeper
sinks:
  - {{type: file, path: {folder}/out.jsonl}}
""")

    def run_on_terminal(self, *args, timeout=40):
        """pipehost with stderr on a pseudo-terminal 200 columns wide: (exit code, output)."""
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
        proc = subprocess.Popen([harness.PIPEHOST, *args], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=slave)
        os.close(slave)
        output = bytearray()
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if not select.select([master], [], [], 0.5)[0]:
                    continue
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the other side is closed
                    break
                if not chunk:
                    break
                output += chunk
            return proc.wait(timeout=10), output.decode()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            os.close(master)

    def test_status_line_on_a_terminal_shows_progress_and_is_wiped(self):
        # 501 records on partition 0, the last one making the plugin sleep 2.5 s,
        # and 500 on partition 1: 1,001 to the end, one of them dead-lettered.
        harness.kcat_produce(self.broker.bootstrap, "shown",
                             [f"a{i}" for i in range(499)] + ["late", "sleep 2500"], partition=0)
        harness.kcat_produce(self.broker.bootstrap, "shown", [f"b{i}" for i in range(500)],
                             partition=1)
        code, output = self.run_on_terminal("run", self.pipeline("shown"), "--exit-at-end")
        self.assertEqual(code, 0, output)

        statuses = list(STATUS.finditer(output))
        self.assertTrue(statuses, output)
        progress = [PROGRESS.fullmatch(m.group(1)) for m in statuses]
        progress = [p for p in progress if p]
        self.assertTrue(progress, [m.group(1) for m in statuses])
        for p in progress:
            done, total, percent = number(p.group(1)), number(p.group(2)), int(p.group(3))
            self.assertEqual(total, 1001)
            self.assertLessEqual(done, total)
            self.assertEqual(percent, done * 100 // total)
        others = [m.group(1) for m in statuses if not PROGRESS.fullmatch(m.group(1))]
        self.assertLessEqual(set(others), {"waiting for the group to assign partitions"})

        # Every status line is wiped (or redrawn) before anything else is written,
        # and the last one is wiped at exit.
        for m in statuses:
            self.assertTrue(output.startswith("\r", m.end()),
                            f"written over a status line: {output[m.start():m.end() + 80]!r}")
        self.assertIn(WIPE, output[statuses[-1].end():])
        self.assertNotIn("pipehost: ", output[statuses[-1].end():].replace("[pipeline]", ""))
        # The log lines themselves stay whole.
        summary = [line for line in output.split("\r\n") if "records in" in line]
        self.assertEqual(len(summary), 1, output)
        self.assertRegex(summary[0].replace(WIPE, ""),
                         r"^\d{4}-\d\d-\d\dT[\d:.]+Z info  \[pipeline\] shown-run: 1001 records in")

    def test_json_logs_and_no_status_line_off_a_terminal(self):
        harness.kcat_produce(self.broker.bootstrap, "logged", ["one", "sleep 10", "three"],
                             partition=0)
        result = harness.run_pipehost("run", self.pipeline("logged"), "--exit-at-end",
                                      "--log-format", "json", timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertNotIn("dead-lettered", result.stderr)  # no status line
        self.assertNotIn("\r", result.stderr)
        self.assertNotIn("\x1b", result.stderr)
        lines = [json.loads(line) for line in result.stderr.splitlines()]
        for line in lines:
            self.assertIsInstance(line, dict)
            self.assertLessEqual({"time", "level", "scope", "message"}, set(line), line)
            self.assertRegex(line["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")
            self.assertIn(line["level"], ("error", "warn", "info", "debug"))
        plugin = [line for line in lines if line["message"].startswith("sleeping")]
        self.assertEqual(plugin, [{
            "time": plugin[0]["time"], "level": "info", "scope": "sleeper logged[0]",
            "message": "sleeping 10 ms at offset 1", "stage": "sleeper", "topic": "logged",
            "partition": 0}])
        self.assertTrue(any("3 records in" in line["message"] for line in lines), lines)

    def test_help_lists_the_options_and_the_exit_codes(self):
        result = harness.run_pipehost("run", "--help")
        self.assertEqual(result.returncode, 0)
        self.assertIn("--log-format FORMAT", result.stdout)
        self.assertIn("--exit-at-end", result.stdout)
        result = harness.run_pipehost("--help")
        self.assertEqual(result.returncode, 0)
        codes = re.findall(r"^  (\d+) ", result.stdout, re.M)
        self.assertEqual(codes, ["0", "1", "2", "130"])


if __name__ == "__main__":
    harness.main()
