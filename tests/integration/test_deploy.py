"""The deployment files: the systemd template unit (one pipeline per
instance, hardened, stopping within pipehost's own limit), its installed
form naming the installed binary, and the example environment for a
managed cluster over SASL_SSL, which the example pipeline takes as ${VAR}."""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

import harness

BUILD_DIR = os.environ.get("PIPEHOST_BUILD_DIR", "build")
DEPLOY = os.path.join(harness.SOURCE_DIR, "deploy")
UNIT = os.path.join(DEPLOY, "systemd", "pipehost@.service")
ENV_EXAMPLE = os.path.join(DEPLOY, "env", "cloud-sasl-ssl.env.example")
CLOUD_PIPELINE = os.path.join(DEPLOY, "pipelines", "clickstream-cloud.yaml")


def read_unit(path):
    """{section: {key: [values in order]}}: systemd's format, where a key
    may repeat; comments and blank lines skipped."""
    sections = {}
    current = None
    with open(path) as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith(("#", ";")):
                continue
            header = re.fullmatch(r"\[(\w+)\]", line)
            if header:
                current = sections.setdefault(header.group(1), {})
                continue
            key, _, value = line.partition("=")
            current.setdefault(key.strip(), []).append(value.strip())
    return sections


def read_env_file(path):
    """KEY=VALUE lines, as systemd's EnvironmentFile= reads them."""
    values = {}
    with open(path) as f:
        for raw in f:
            line = raw.strip()
            if line and not line.startswith("#"):
                key, _, value = line.partition("=")
                values[key] = value
    return values


def seconds(text):
    match = re.fullmatch(r"(\d+)\s*(s|min)?", text)
    return int(match.group(1)) * (60 if match.group(2) == "min" else 1)


class DeployTest(unittest.TestCase):
    def test_unit_runs_one_pipeline_per_instance(self):
        service = read_unit(UNIT)["Service"]
        self.assertEqual(service["ExecStart"],
                         ["/usr/local/bin/pipehost run /etc/pipehost/%i.yaml --log-format json"])
        self.assertEqual(service["EnvironmentFile"], ["-/etc/pipehost/%i.env"])
        self.assertEqual(service["StateDirectory"], ["pipehost/%i"])
        self.assertEqual(service["WorkingDirectory"], ["%S/pipehost/%i"])
        self.assertEqual(service["Environment"], ["PIPEHOST_OUT=%S/pipehost/%i/out"])
        self.assertEqual(read_unit(UNIT)["Install"]["WantedBy"], ["multi-user.target"])

    def test_unit_stops_and_restarts_as_pipehost_expects(self):
        service = read_unit(UNIT)["Service"]
        self.assertEqual(service["KillSignal"], ["SIGTERM"])
        # pipehost gives up on a clean stop after 10 s: systemd must wait longer.
        self.assertGreater(seconds(service["TimeoutStopSec"][0]), 10)
        self.assertEqual(service["Restart"], ["on-failure"])
        # Exit 2 is a bad pipeline file: restarting cannot help.
        self.assertEqual(service["RestartPreventExitStatus"], ["2"])

    def test_unit_is_hardened_with_a_user_of_its_own(self):
        service = read_unit(UNIT)["Service"]
        expected = {
            "DynamicUser": "yes", "User": "pipehost", "NoNewPrivileges": "yes",
            "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
            "PrivateDevices": "yes", "CapabilityBoundingSet": "",
            "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
            "SystemCallFilter": "@system-service",
        }
        self.assertEqual({key: service[key][-1] for key in expected}, expected)
        # Everything is read-only but the state folder the file sinks write to.
        self.assertNotIn("ReadWritePaths", service)

    def test_installed_unit_names_the_installed_binary(self):
        prefix = tempfile.mkdtemp(prefix="pipehost-deploy-")
        self.addCleanup(shutil.rmtree, prefix)
        subprocess.run(["cmake", "--install", BUILD_DIR, "--prefix", prefix],
                       check=True, capture_output=True, timeout=120)
        unit = os.path.join(prefix, "lib", "systemd", "system", "pipehost@.service")
        binary = os.path.join(prefix, "bin", "pipehost")
        self.assertEqual(read_unit(unit)["Service"]["ExecStart"],
                         [binary + " run /etc/pipehost/%i.yaml --log-format json"])
        # The rest is the source unit, line for line.
        with open(UNIT) as source, open(unit) as installed:
            differing = [(a, b) for a, b in zip(source, installed) if a != b]
        self.assertEqual(len(differing), 1)
        for name in ("cloud-sasl-ssl.env.example", "clickstream-cloud.yaml", "README.md"):
            self.assertTrue(os.path.isfile(os.path.join(prefix, "share", "pipehost", "deploy",
                                                        name)), name)
        analyze = shutil.which("systemd-analyze")
        if analyze is None:
            self.skipTest("systemd-analyze is not installed: the unit's keys are checked above")
        verify = subprocess.run([analyze, "verify", unit], capture_output=True, text=True,
                                timeout=60)
        self.assertEqual((verify.returncode, verify.stdout + verify.stderr), (0, ""))

    def test_cloud_environment_feeds_the_pipeline(self):
        values = read_env_file(ENV_EXAMPLE)
        self.assertEqual(values["KAFKA_SECURITY_PROTOCOL"], "SASL_SSL")
        self.assertIn(values["KAFKA_SASL_MECHANISM"], ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"))
        for key in ("KAFKA_BROKERS", "KAFKA_USERNAME", "KAFKA_PASSWORD", "KAFKA_SSL_CA_LOCATION"):
            self.assertTrue(values.get(key), key)
        with open(CLOUD_PIPELINE) as f:
            pipeline = f.read()
        # Every variable the environment sets is taken by the pipeline.
        for key in values:
            self.assertIn("${" + key, pipeline)
        env = {k: v for k, v in os.environ.items() if not k.startswith("KAFKA_")}
        env.update(values)
        ok = harness.run_pipehost("validate", CLOUD_PIPELINE, env=env)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        # librdkafka takes each mechanism the example names.
        for mechanism in ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"):
            result = harness.run_pipehost("validate", CLOUD_PIPELINE,
                                          env=dict(env, KAFKA_SASL_MECHANISM=mechanism))
            self.assertEqual(result.returncode, 0, result.stderr)
        # Without the password the file is refused where it asks for it.
        del env["KAFKA_PASSWORD"]
        missing = subprocess.run([harness.PIPEHOST, "validate", CLOUD_PIPELINE], env=env,
                                 capture_output=True, text=True, timeout=60)
        line = next(i for i, text in enumerate(pipeline.splitlines(), 1)
                    if "${KAFKA_PASSWORD}" in text)
        column = pipeline.splitlines()[line - 1].index("${KAFKA_PASSWORD}") + 1
        self.assertEqual(missing.returncode, 2)
        self.assertIn(f"{CLOUD_PIPELINE}:{line}:{column}: environment variable 'KAFKA_PASSWORD' "
                      "is not set", missing.stderr)


if __name__ == "__main__":
    harness.main()
