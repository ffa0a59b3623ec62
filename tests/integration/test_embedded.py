"""`brokers: embedded`: the broker inside `pipehost run`, reached by kcat at
the address it logs; records pass through with no processors to stdout, a
file and a sink plugin; rejections of a sink plugin reach the dead letter."""

import json
import os
import re
import select
import signal
import tempfile
import time
import unittest

import harness

TEST_PLUGINS = os.path.join(os.environ.get("PIPEHOST_BUILD_DIR", "build"), "tests", "plugins")


class EmbeddedBrokerTest(unittest.TestCase):
    def test_in_process_broker_serves_outside_clients(self):
        folder = tempfile.mkdtemp(prefix="pipehost-embedded-")
        out = os.path.join(folder, "out.jsonl")
        lines_out = os.path.join(folder, "lines.txt")
        path = harness.write_pipeline(folder, f"""
name: passthrough
kafka:
  brokers: embedded
  topics: [events]
  embedded_partitions: 3
  properties: {{fetch.wait.max.ms: 10}}
plugin_dirs: [{TEST_PLUGINS}]
sinks:
  - {{type: stdout}}
  - {{type: file, path: {out}}}
  - {{plugin: line_sink, config: {{path: {lines_out}}}}}
commit_interval_ms: 100
""")
        proc = harness.start_pipehost("run", path)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        bootstrap = None
        log = []
        deadline = time.monotonic() + 20
        while bootstrap is None and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stderr], [], [], 1)
            if ready:
                line = proc.stderr.readline()
                log.append(line)
                m = re.search(r"embedded broker listening on (\S+)", line)
                if m:
                    bootstrap = m.group(1)
        self.assertIsNotNone(bootstrap, "".join(log))

        events = [json.dumps({"n": i, "device": f"d{i % 5}"}) for i in range(300)]
        harness.kcat_produce(bootstrap, "events", events, key_field="device")
        harness.kcat_produce(bootstrap, "events", ["reject"], partition=1)

        deadline = time.monotonic() + 30
        while len(harness.read_lines(out)) < 301 and time.monotonic() < deadline:
            time.sleep(0.2)
        dead = harness.consume_all(bootstrap, "passthrough-dlq", expected=1, timeout=20)

        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=20)
        self.assertEqual(proc.returncode, 0, stderr)

        # No processors: every record reaches the built-in sinks unchanged.
        written = harness.read_lines(out)
        self.assertEqual(sorted(written), sorted(events + ["reject"]))
        self.assertEqual(sorted(stdout.splitlines()), sorted(events + ["reject"]))

        # The sink plugin got each record once, in offset order per partition.
        per_partition = {}
        for line in harness.read_lines(lines_out):
            partition, offset, value = line.split(" ", 2)
            per_partition.setdefault(int(partition), []).append((int(offset), value))
        self.assertEqual(sorted(v for rows in per_partition.values() for _, v in rows), sorted(events))
        for partition, rows in per_partition.items():
            offsets = [o for o, _ in rows]
            self.assertEqual(offsets, sorted(offsets))
            self.assertEqual(len(set(offsets)), len(offsets))
            for _, value in rows:  # a key always lands in the same partition
                device = json.loads(value)["device"]
                self.assertTrue(all(json.loads(v)["device"] != device
                                    for p, r in per_partition.items() if p != partition
                                    for _, v in r))

        # The sink plugin's rejection went to the default dead-letter topic.
        self.assertEqual(len(dead), 1)
        headers = {k: v.decode() for k, v in dead[0].headers()}
        self.assertEqual(dead[0].value(), b"reject")
        self.assertEqual(headers["pipehost.error"], "line_sink refuses this record")
        self.assertEqual(headers["pipehost.stage"], "line_sink")
        self.assertEqual(headers["pipehost.source.partition"], "1")


if __name__ == "__main__":
    harness.main()
