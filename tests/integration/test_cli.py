"""The command line as a user meets it: exit codes, FILE:LINE:COL errors,
refused plugins, and a plugin that fails at run time."""

import os
import re
import shutil
import tempfile
import unittest

import harness

FIXTURES = os.path.join(os.environ.get("PIPEHOST_BUILD_DIR", "build"), "tests", "abi")


def pipeline_text(plugin="json_filter", config="{field: action, in: [view]}", brokers="embedded",
                  extra=""):
    return f"""name: cli-test
kafka:
  brokers: {brokers}
  topics: [events]
  properties: {{session.timeout.ms: 6000, heartbeat.interval.ms: 500}}
plugin_dirs: [fixtures]
processors:
  - plugin: {plugin}
    config: {config}
sinks:
  - {{type: file, path: out.jsonl}}
{extra}"""


class CliTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pipehost-cli-")
        # plugin_dirs entries are relative to the pipeline file's folder.
        shutil.copytree(FIXTURES, os.path.join(self.dir, "fixtures"))
        self.addCleanup(shutil.rmtree, self.dir)

    def write(self, text, name="pipeline.yaml"):
        return harness.write_pipeline(self.dir, text, name)

    def test_version_and_help(self):
        result = harness.run_pipehost("--version")
        self.assertEqual(result.returncode, 0)
        self.assertRegex(result.stdout, r"^pipehost \d+\.\d+\.\d+ \(plugin ABI 1\.1\)\n$")
        for command in ["run", "validate", "plugins", "broker", "produce", "test-plugin"]:
            result = harness.run_pipehost(command, "--help")
            self.assertEqual(result.returncode, 0, command)
            self.assertIn(f"usage: pipehost {command}", result.stdout)
        result = harness.run_pipehost("frobnicate")
        self.assertEqual(result.returncode, 2)
        self.assertIn("unknown command 'frobnicate'", result.stderr)

    def test_validate_accepts_a_good_pipeline(self):
        path = self.write(pipeline_text())
        result = harness.run_pipehost("validate", path)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout,
                         f"{path}: ok (pipeline 'cli-test': 1 processors, 1 sinks, topics: events)\n")

    def test_shipped_configs_validate(self):
        configs = os.path.join(harness.SOURCE_DIR, "configs")
        for name in sorted(os.listdir(configs)):
            if name.endswith(".yaml"):
                result = harness.run_pipehost("validate", os.path.join(configs, name))
                self.assertEqual(result.returncode, 0, f"{name}: {result.stderr}")

    def test_plugin_config_errors_point_at_the_value(self):
        path = self.write(pipeline_text(config="{field: action, in: [view], inn: [x]}"))
        result = harness.run_pipehost("validate", path)
        self.assertEqual(result.returncode, 2)
        self.assertRegex(result.stderr, rf"^{re.escape(path)}:9:41: unknown key 'inn'")
        path = self.write(pipeline_text(config="{field: 7, in: view}"))
        result = harness.run_pipehost("validate", path)
        self.assertEqual(result.returncode, 2)
        self.assertRegex(result.stderr, rf"^{re.escape(path)}:9:\d+: ")

    def test_unknown_librdkafka_property_is_reported_at_its_line(self):
        path = self.write(pipeline_text().replace("heartbeat.interval.ms: 500",
                                                   "heartbeat.interval.ms: 500, fetch.wait.max.mss: 5"))
        result = harness.run_pipehost("validate", path)
        self.assertEqual(result.returncode, 2)
        self.assertRegex(result.stderr,
                         rf"^{re.escape(path)}:5:\d+: kafka property 'fetch.wait.max.mss': "
                         r"No such configuration property")

    def test_missing_plugin(self):
        path = self.write(pipeline_text(plugin="no_such_plugin"))
        result = harness.run_pipehost("validate", path)
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stderr, f"{path}:8:13: plugin 'no_such_plugin' not found (looked in "
                                        "plugin_dirs, PIPEHOST_PLUGIN_PATH and the shipped plugins)\n")

    def test_refused_plugins_name_file_and_reason(self):
        cases = {
            "wrong_major": "built for ABI major 2, this pipehost speaks 1",
            "newer_minor": "newer than this pipehost's 1.1: upgrade pipehost",
            "wrong_magic": "wrong magic 0xdeadbeef, expected 0x50485047",
            "no_descriptor": "exports no ph_plugin_descriptor(): not a pipehost plugin",
            "short_struct": "ABI 1.0 needs at least",
            "missing_process": "descriptor has no process callback",
        }
        for plugin, reason in cases.items():
            path = self.write(pipeline_text(plugin=plugin, config="{}"))
            for command in ["validate", "run"]:
                result = harness.run_pipehost(command, path)
                self.assertEqual(result.returncode, 2, f"{command} {plugin}: {result.stderr}")
                self.assertIn(f"{path}:8:13: ", result.stderr)
                self.assertIn(f"fixtures/{plugin}.so: ", result.stderr)
                self.assertIn(reason, result.stderr)
                self.assertNotIn("AddressSanitizer", result.stderr)

    def test_init_failure_stops_run_before_connecting(self):
        path = self.write(pipeline_text(plugin="init_fails", config="{}"))
        self.assertEqual(harness.run_pipehost("validate", path).returncode, 0)
        result = harness.run_pipehost("run", path, "--exit-at-end")
        self.assertEqual(result.returncode, 2)
        self.assertIn("init failed: init_fails: refusing to start", result.stderr)
        self.assertNotIn("embedded broker listening", result.stderr)

    def test_a_fatal_stage_exits_1_and_commits_nothing_after_it(self):
        broker = harness.Broker("events:1")
        try:
            harness.kcat_produce(broker.bootstrap, "events", ['{"n":1}', '{"n":2}', '{"n":3}'])
            path = self.write(pipeline_text(plugin="process_fatal", config="{}",
                                            brokers=broker.bootstrap))
            result = harness.run_pipehost("run", path, "--exit-at-end", timeout=60, cwd=self.dir)
            self.assertEqual(result.returncode, 1, result.stderr)
            self.assertIn("process returned FATAL", result.stderr)
            offsets = harness.committed_offsets(broker.bootstrap, "cli-test", "events", 1)
            self.assertLess(offsets[0], 1)
        finally:
            self.assertEqual(broker.stop(), 0)

    def test_a_refused_kafka_write_exits_1_and_commits_nothing_past_it(self):
        """The Kafka sink cannot take a record (larger than the producer's
        message.max.bytes): the task stops, exit 1, nothing committed from
        that record on."""
        broker = harness.Broker("events:1")
        try:
            big = '{"action":"view","pad":"%s"}' % ("x" * 3000)
            harness.kcat_produce(broker.bootstrap, "events", ['{"action":"view"}', big])
            text = pipeline_text(brokers=broker.bootstrap).replace(
                "  properties: {session.timeout.ms: 6000, heartbeat.interval.ms: 500}",
                "  properties: {session.timeout.ms: 6000, heartbeat.interval.ms: 500}\n"
                "  producer_properties: {message.max.bytes: 2000}")
            text += "  - {type: kafka, topic: small-records}\n"
            path = self.write(text)
            result = harness.run_pipehost("run", path, "--exit-at-end", timeout=60, cwd=self.dir)
            self.assertEqual(result.returncode, 1, result.stderr)
            self.assertIn("cannot produce to small-records: Broker: Message size too large",
                          result.stderr)
            self.assertIn("a sink failed to write", result.stderr)
            # The refused record is offset 1; the first one's output was
            # delivered, so its offset may be committed.
            offsets = harness.committed_offsets(broker.bootstrap, "cli-test", "events", 1)
            self.assertLessEqual(offsets[0], 1)
        finally:
            self.assertEqual(broker.stop(), 0)

    def test_produce_from_a_file_keys_each_line(self):
        broker = harness.Broker("lines:1")
        try:
            lines = ['{"userid": "u1", "n": 1}', '{"userid": 7, "n": 2}', 'not json',
                     '{"n": 4}']
            source = self.write("\n".join(lines) + "\n", name="lines.jsonl")
            result = harness.run_pipehost("produce", "--from-file", source, "--key-field",
                                          "userid", "--brokers", broker.bootstrap,
                                          "--topic", "lines")
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertRegex(result.stderr, r"produced 4 records .* to lines")
            got = harness.consume_all(broker.bootstrap, "lines", expected=4)
            self.assertEqual([(m.key(), m.value().decode()) for m in got],
                             [(b"u1", lines[0]), (b"7", lines[1]), (None, lines[2]),
                              (None, lines[3])])
        finally:
            self.assertEqual(broker.stop(), 0)

    def test_unset_variable(self):
        path = self.write(pipeline_text(brokers="${PIPEHOST_TEST_UNSET_VARIABLE}"))
        result = harness.run_pipehost("validate", path)
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stderr,
                         f"{path}:3:12: environment variable 'PIPEHOST_TEST_UNSET_VARIABLE' is not "
                         "set (use ${PIPEHOST_TEST_UNSET_VARIABLE:-default} for a default)\n")

    def test_plugins_lists_and_describes(self):
        result = harness.run_pipehost("plugins")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stdout, r"(?m)^json_filter\s+processor\s")
        result = harness.run_pipehost("plugins", "--describe", "json_filter")
        self.assertEqual(result.returncode, 0)
        self.assertRegex(result.stdout, r"(?m)^  field\s+string\s+required\s")
        self.assertRegex(result.stdout, r"(?m)^  in\s+string list\s+required\s")
        result = harness.run_pipehost("plugins", "--describe", "nope")
        self.assertEqual(result.returncode, 2)


if __name__ == "__main__":
    harness.main()
