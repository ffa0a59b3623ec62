"""Shared pieces of the integration tests: a standalone `pipehost broker`,
pipeline files, `pipehost run` processes, and outside Kafka clients (kcat,
confluent-kafka) as peers. Run with Debian's /usr/bin/python3."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from confluent_kafka import Consumer, Producer, TopicPartition

PIPEHOST = os.environ.get("PIPEHOST_BINARY", "pipehost")
SOURCE_DIR = os.environ.get("PIPEHOST_SOURCE_DIR",
                            os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


class Broker:
    """`pipehost broker` in its own process; stops with the test."""

    def __init__(self, *topics, partitions=4):
        args = [PIPEHOST, "broker", "--partitions", str(partitions)]
        for topic in topics:
            args += ["--topic", topic]
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.bootstrap = self.proc.stdout.readline().strip()
        if not self.bootstrap:
            raise RuntimeError("pipehost broker printed no bootstrap list")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=20)
        self.proc.stdout.close()
        self.log.close()
        return self.proc.returncode


def kcat_produce(bootstrap, topic, lines, key_field=None, partition=None):
    """Produce JSON-lines (or raw byte strings) with kcat, keyed by a field."""
    payload = bytearray()
    for line in lines:
        value = line if isinstance(line, bytes) else line.encode()
        if key_field is not None:
            key = json.loads(value)[key_field] if value[:1] == b"{" else "nokey"
            payload += str(key).encode() + b"\t"
        payload += value + b"\n"
    args = ["kcat", "-P", "-b", bootstrap, "-t", topic, "-X", "linger.ms=20"]
    if key_field is not None:
        args += ["-K", "\t"]
    if partition is not None:
        args += ["-p", str(partition)]
    subprocess.run(args, input=bytes(payload), check=True, timeout=60)


def consume_all(bootstrap, topic, expected=None, timeout=20.0, group=None):
    """Every record of topic, read from the beginning by a confluent-kafka
    consumer: stops at `expected` records, or after `timeout` seconds
    (or 2 quiet seconds once something arrived)."""
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group or f"reader-{time.time_ns()}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })
    consumer.subscribe([topic])
    records = []
    deadline = time.monotonic() + timeout
    quiet_since = None
    try:
        while time.monotonic() < deadline:
            if expected is not None and len(records) >= expected:
                break
            msg = consumer.poll(0.2)
            if msg is None:
                if records and expected is None:
                    quiet_since = quiet_since or time.monotonic()
                    if time.monotonic() - quiet_since > 2:
                        break
                continue
            if msg.error():
                continue
            quiet_since = None
            records.append(msg)
    finally:
        consumer.close()
    return records


def consume_all_kafka_python(bootstrap, topic, expected, timeout=30.0):
    """The same read with kafka-python, an independent implementation of the
    protocol: (key, value) of every record, stopping at `expected`."""
    from kafka import KafkaConsumer
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                             enable_auto_commit=False, group_id=None,
                             consumer_timeout_ms=int(timeout * 1000))
    records = []
    try:
        for message in consumer:
            records.append((message.key, message.value))
            if len(records) >= expected:
                break
    finally:
        consumer.close()
    return records


def committed_offsets(bootstrap, group, topic, partitions):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        parts = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
        return {tp.partition: tp.offset for tp in parts}
    finally:
        consumer.close()


def write_pipeline(folder, text, name="pipeline.yaml"):
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def run_pipehost(*args, env=None, timeout=120, cwd=None):
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    return subprocess.run([PIPEHOST, *args], capture_output=True, text=True,
                          timeout=timeout, env=full_env, cwd=cwd)


def start_pipehost(*args, env=None, cwd=None, log=None):
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    return subprocess.Popen([PIPEHOST, *args], stdout=subprocess.PIPE,
                            stderr=log or subprocess.PIPE, text=True, env=full_env, cwd=cwd)


def read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def main():
    """unittest.main that prints a closing 'N passed, N failed' line."""
    program = unittest.main(exit=False, verbosity=2)
    result = program.result
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or result.testsRun == 0 else 0)
