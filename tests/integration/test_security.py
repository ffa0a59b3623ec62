"""Security as a user meets it: secrets never printed by validate or run,
plugin files others could replace refused, and the SASL/TLS properties of
a managed cloud cluster accepted."""

import os
import shutil
import stat
import subprocess
import tempfile
import unittest

import harness

SHIPPED = os.path.join(os.environ.get("PIPEHOST_BUILD_DIR", "build"), "lib", "pipehost",
                       "plugins")
SECRET = "Zq7-hunter2-never-printed"


def pipeline_text(properties="{}", extra="", plugin_dirs="[plugins]", brokers="embedded"):
    return f"""name: security-test
kafka:
  brokers: {brokers}
  topics: [events]
  properties: {properties}
plugin_dirs: {plugin_dirs}
processors:
  - plugin: json_filter
    config: {{field: action, in: [view]}}
sinks:
  - {{type: file, path: out.jsonl}}
{extra}"""


class SecurityTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pipehost-security-")
        self.addCleanup(shutil.rmtree, self.dir)
        self.plugins = os.path.join(self.dir, "plugins")
        os.mkdir(self.plugins, 0o755)
        os.chmod(self.plugins, 0o755)
        shutil.copy(os.path.join(SHIPPED, "json_filter.so"), self.plugins)
        self.env = dict(os.environ, PIPEHOST_TEST_SECRET=SECRET)
        self.env.pop("PIPEHOST_ALLOW_INSECURE_PLUGINS", None)

    def write(self, text, name="pipeline.yaml"):
        return harness.write_pipeline(self.dir, text, name)

    def pipehost(self, *args, env=None, timeout=60):
        return subprocess.run([harness.PIPEHOST, *args], capture_output=True, text=True,
                              env=env or self.env, cwd=self.dir, timeout=timeout)

    def assert_secret_hidden(self, result):
        self.assertNotIn(SECRET, result.stdout)
        self.assertNotIn(SECRET, result.stderr)
        self.assertNotIn("Sanitizer", result.stderr)

    # ---- secrets -------------------------------------------------------------

    def test_a_secret_librdkafka_echoes_is_redacted(self):
        path = self.write(pipeline_text(
            "{security.protocol: '${secret:PIPEHOST_TEST_SECRET}'}"))
        result = self.pipehost("validate", path)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertEqual(result.stderr,
                         f"{path}:5:16: kafka property 'security.protocol': Invalid value "
                         "\"[redacted]\" for configuration property \"security.protocol\"\n")
        self.assert_secret_hidden(result)

    def test_a_password_property_is_secret_without_marking(self):
        """The value of sasl.password is a secret wherever else it shows."""
        path = self.write(pipeline_text(
            "{sasl.password: '${PIPEHOST_TEST_SECRET}', "
            "ssl.endpoint.identification.algorithm: '${PIPEHOST_TEST_SECRET}'}"))
        result = self.pipehost("validate", path)
        self.assertEqual(result.returncode, 2)
        self.assertIn("Invalid value \"[redacted]\"", result.stderr)
        self.assert_secret_hidden(result)

    def test_a_secret_in_a_type_error_is_redacted(self):
        path = self.write(pipeline_text(extra="workers: ${secret:PIPEHOST_TEST_SECRET}\n"))
        result = self.pipehost("validate", path)
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stderr,
                         f"{path}:12:10: 'workers' must be an integer, got string "
                         "\"[redacted]\"\n")
        self.assert_secret_hidden(result)

    def test_a_secret_in_a_plugin_config_error_is_redacted(self):
        path = self.write(pipeline_text().replace(
            "{field: action, in: [view]}",
            "{field: action, in: [view], password: '${secret:PIPEHOST_TEST_SECRET}'}"))
        result = self.pipehost("validate", path)
        self.assertEqual(result.returncode, 2)
        self.assertIn("unknown key 'password' in the config of 'json_filter'", result.stderr)
        self.assert_secret_hidden(result)

    def test_run_logs_no_secret(self):
        """librdkafka refuses the SASL mechanism when the client starts and
        quotes it; its debug log prints the configuration. Neither shows
        the secret."""
        path = self.write(pipeline_text(
            "{security.protocol: SASL_PLAINTEXT, sasl.mechanisms: '${secret:PIPEHOST_TEST_SECRET}',"
            " sasl.username: alice, sasl.password: '${secret:PIPEHOST_TEST_SECRET}',"
            " debug: 'conf,security'}", brokers="127.0.0.1:1"))
        result = self.pipehost("run", path, "--exit-at-end", "--log-level", "debug")
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("Unsupported SASL mechanism: [redacted]", result.stderr)
        self.assert_secret_hidden(result)
        result = self.pipehost("run", path, "--exit-at-end", "--log-format", "json")
        self.assertIn("[redacted]", result.stderr)
        self.assert_secret_hidden(result)

    def test_validate_prints_no_secret_when_all_is_well(self):
        path = self.write(pipeline_text(
            "{security.protocol: SASL_SSL, sasl.mechanisms: PLAIN, sasl.username: alice,"
            " sasl.password: '${secret:PIPEHOST_TEST_SECRET}'}"))
        result = self.pipehost("validate", path)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assert_secret_hidden(result)

    def test_validate_output_shows_no_secret_topic(self):
        path = self.write(pipeline_text().replace("topics: [events]",
                                                  "topics: [events, '${secret:PIPEHOST_TEST_SECRET}']"))
        result = self.pipehost("validate", path)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, f"{path}: ok (pipeline 'security-test': 1 processors, "
                                        "1 sinks, topics: events [redacted])\n")
        self.assert_secret_hidden(result)

    # ---- managed cloud clusters ---------------------------------------------

    def test_cloud_cluster_properties_validate(self):
        """SASL_SSL with PLAIN (Confluent Cloud, Event Hubs) or SCRAM (MSK),
        TLS settings included, as the README shows them."""
        ca = os.path.join(self.dir, "ca.pem")
        with open(ca, "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
        for mechanism in ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]:
            properties = (
                "\n    security.protocol: SASL_SSL"
                f"\n    sasl.mechanisms: {mechanism}"
                "\n    sasl.username: ${PIPEHOST_TEST_USER}"
                "\n    sasl.password: ${secret:PIPEHOST_TEST_SECRET}"
                f"\n    ssl.ca.location: {ca}"
                "\n    ssl.endpoint.identification.algorithm: https"
                "\n    session.timeout.ms: 45000")
            path = self.write(pipeline_text(properties,
                                            brokers="pkc-00000.example.invalid:9092"))
            env = dict(self.env, PIPEHOST_TEST_USER="API-KEY")
            result = self.pipehost("validate", path, env=env)
            self.assertEqual(result.returncode, 0, f"{mechanism}: {result.stderr}")
            self.assert_secret_hidden(result)

    # ---- plugin files -------------------------------------------------------

    def refused(self, result, what, mode):
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn(f"\"{what}\" is writable by everyone (mode {mode})", result.stderr)
        self.assertIn("allow_insecure_plugins: true", result.stderr)

    def test_a_world_writable_plugin_folder_is_refused(self):
        os.chmod(self.plugins, 0o777)
        path = self.write(pipeline_text())
        for command in ["validate", "run"]:
            result = self.pipehost(command, path, "--exit-at-end") if command == "run" \
                else self.pipehost(command, path)
            self.refused(result, self.plugins, "0777")
            self.assertTrue(result.stderr.startswith(f"{path}:8:13: {self.plugins}/json_filter.so: "),
                            result.stderr)

    def test_a_world_writable_plugin_file_is_refused(self):
        plugin = os.path.join(self.plugins, "json_filter.so")
        os.chmod(plugin, 0o757)
        result = self.pipehost("validate", self.write(pipeline_text()))
        self.refused(result, plugin, "0757")

    def test_a_symlink_to_a_plugin_in_a_world_writable_folder_is_refused(self):
        open_dir = os.path.join(self.dir, "open")
        os.mkdir(open_dir)
        os.chmod(open_dir, 0o777)
        shutil.move(os.path.join(self.plugins, "json_filter.so"), open_dir)
        os.symlink(os.path.join(open_dir, "json_filter.so"),
                   os.path.join(self.plugins, "json_filter.so"))
        result = self.pipehost("validate", self.write(pipeline_text()))
        self.refused(result, open_dir, "0777")

    def test_a_symlink_in_a_world_writable_folder_is_refused(self):
        os.chmod(self.plugins, 0o777)
        safe = os.path.join(self.dir, "safe")
        os.mkdir(safe, 0o755)
        shutil.move(os.path.join(self.plugins, "json_filter.so"), safe)
        os.symlink(os.path.join(safe, "json_filter.so"),
                   os.path.join(self.plugins, "json_filter.so"))
        result = self.pipehost("validate", self.write(pipeline_text()))
        self.refused(result, self.plugins, "0777")

    def test_insecure_plugins_load_when_allowed(self):
        os.chmod(self.plugins, 0o777)
        config = self.write("{field: action, in: [view]}\n", name="filter.yaml")
        path = self.write(pipeline_text(extra="allow_insecure_plugins: true\n"))
        self.assertEqual(self.pipehost("validate", path).returncode, 0)
        path = self.write(pipeline_text())
        env = dict(self.env, PIPEHOST_ALLOW_INSECURE_PLUGINS="1")
        result = self.pipehost("validate", path, env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        test_plugin = ["test-plugin", os.path.join(self.plugins, "json_filter.so"),
                       "--input", "/dev/null", "--config", config]
        self.refused(self.pipehost(*test_plugin), self.plugins, "0777")
        result = self.pipehost(*test_plugin, env=env)
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_a_sticky_world_writable_folder_holds_our_own_files(self):
        """/tmp-like: others may add files, but not replace ours."""
        os.chmod(self.plugins, 0o1777)
        path = self.write(pipeline_text())
        result = self.pipehost("validate", path)
        self.assertEqual(result.returncode, 0, result.stderr)
        if os.geteuid() != 0:
            return
        os.chown(os.path.join(self.plugins, "json_filter.so"), 65534, 65534)
        result = self.pipehost("validate", path)
        self.assertEqual(result.returncode, 2)
        self.assertIn(f"what lies in \"{self.plugins}\" (sticky, writable by everyone) is "
                      "owned by uid 65534, neither root nor you", result.stderr)

    @unittest.skipUnless(os.geteuid() == 0, "needs root to give a folder to another user")
    def test_a_group_writable_folder_of_another_user_is_refused(self):
        os.chown(self.plugins, 65534, 65534)
        os.chmod(self.plugins, 0o775)
        result = self.pipehost("validate", self.write(pipeline_text()))
        self.assertEqual(result.returncode, 2)
        self.assertIn(f"\"{self.plugins}\" is writable by group 65534 and owned by uid 65534, "
                      "neither root nor you (mode 0775)", result.stderr)
        os.chmod(self.plugins, 0o755)  # only the owner writes: fine
        self.assertEqual(self.pipehost("validate", self.write(pipeline_text())).returncode, 0)


if __name__ == "__main__":
    harness.main()
