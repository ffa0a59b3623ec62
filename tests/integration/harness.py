"""Shared pieces of the integration tests: a standalone `pipehost broker`,
pipeline files, `pipehost run` processes, and outside Kafka clients (kcat,
confluent-kafka) as peers. Run with Debian's /usr/bin/python3."""

import json
import os
import re
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
    """`pipehost broker` in its own process; stops with the test. With
    control=True its fault-injection commands are driven by control()."""

    def __init__(self, *topics, partitions=4, control=False):
        args = [PIPEHOST, "broker", "--partitions", str(partitions)]
        for topic in topics:
            args += ["--topic", topic]
        if control:
            args.append("--control")
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, text=True,
                                     stdin=subprocess.PIPE if control else None)
        self.bootstrap = self.proc.stdout.readline().strip()
        if not self.bootstrap:
            raise RuntimeError("pipehost broker printed no bootstrap list")

    def control(self, command):
        """Run one `pipehost broker --control` command ("down 1", "up 1",
        "rtt 1 500", "fail-requests Produce 5 UNKNOWN"); raises unless ok."""
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline().strip()
        if reply != "ok":
            raise RuntimeError(f"broker control '{command}': {reply or 'no answer'}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=20)
        self.proc.stdout.close()
        if self.proc.stdin:
            self.proc.stdin.close()
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


class PipelineProcess:
    """`pipehost run PIPELINE` in its own process, its log in a file that
    tests search while it runs. stdout is discarded unless given."""

    def __init__(self, pipeline, *args, env=None, cwd=None, stdout=subprocess.DEVNULL):
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        self.log_file = tempfile.NamedTemporaryFile(prefix="pipehost-run-", suffix=".log",
                                                    delete=False)
        self.proc = subprocess.Popen([PIPEHOST, "run", pipeline, *args], stdout=stdout,
                                     stderr=self.log_file, env=full_env, cwd=cwd)

    def log(self):
        with open(self.log_file.name, errors="replace") as f:
            return f.read()

    def wait_for(self, pattern, timeout=30.0, count=1):
        """Wait until the log matches the regex `pattern` `count` times;
        fails (with the log's end) on timeout or if the process exits."""
        deadline = time.monotonic() + timeout
        while True:
            log = self.log()
            if len(re.findall(pattern, log)) >= count:
                return log
            if self.proc.poll() is not None or time.monotonic() > deadline:
                state = (f"exited with {self.proc.returncode}" if self.proc.poll() is not None
                         else f"not within {timeout:.0f} s")
                raise AssertionError(f"log never matched {pattern!r} ({state}):\n{log[-3000:]}")
            time.sleep(0.1)

    def partitions(self, topic):
        """The partitions of topic it holds now, from its assigned/revoked log lines."""
        held = set()
        for verb, partition in re.findall(rf"(assigned|revoked) {re.escape(topic)}\[(\d+)\]",
                                          self.log()):
            (held.add if verb == "assigned" else held.discard)(int(partition))
        return held

    def stop(self, sig=signal.SIGTERM, timeout=30.0):
        """Send sig and wait: (exit code, seconds it took)."""
        started = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout=timeout)
        return code, time.monotonic() - started

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log_file.close()
        os.unlink(self.log_file.name)


class TrackedProducer:
    """A confluent-kafka producer that records where each record landed:
    positions[ident] = (partition, offset), from the delivery reports."""

    def __init__(self, bootstrap, topic, **config):
        self.topic = topic
        self.positions = {}
        self.failed = []
        self.producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, **config})

    def send(self, ident, value, key=None, headers=None):
        def delivered(err, msg):
            if err:
                self.failed.append((ident, err))
            else:
                self.positions[ident] = (msg.partition(), msg.offset())
        while True:
            try:
                self.producer.produce(self.topic, value=value, key=key, headers=headers,
                                      on_delivery=delivered)
                break
            except BufferError:
                self.producer.poll(0.05)
        self.producer.poll(0)

    def flush(self, timeout=30.0):
        left = self.producer.flush(timeout)
        if left or self.failed:
            raise RuntimeError(f"{left} records undelivered, {len(self.failed)} failed: "
                               f"{self.failed[:3]}")


def preload_env(library):
    """Environment that preloads library into pipehost. A sanitizer build
    needs its runtime first in the list, so it goes ahead of library."""
    env = {"LD_PRELOAD": library}
    ldd = subprocess.run(["ldd", PIPEHOST], capture_output=True, text=True).stdout
    runtime = re.search(r"(\S*libasan\.so\S*) => (\S+)", ldd)
    if runtime:
        env["LD_PRELOAD"] = f"{runtime.group(2)}:{library}"
    return env


def complete_lines(path):
    """The lines of a file that end in a newline (a writer may be mid-line)."""
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        data = f.read()
    return [line.decode(errors="replace") for line in data.split(b"\n")[:-1]]


class TopicReader:
    """Reads a topic from the beginning as it grows: records() returns
    everything up to the end it has when called."""

    def __init__(self, bootstrap, topic, partitions):
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"reader-{time.time_ns()}",
                                  "enable.auto.commit": False, "enable.partition.eof": False,
                                  "log_level": 2})
        self.parts = [TopicPartition(topic, p, 0) for p in range(partitions)]
        self.consumer.assign(self.parts)
        self.got = []
        self.topic = topic

    def records(self, timeout=20.0):
        ends = {tp.partition: self.consumer.get_watermark_offsets(tp, timeout=10)[1]
                for tp in self.parts}
        seen = {p: -1 for p in ends}
        for msg in self.got:
            seen[msg.partition()] = max(seen[msg.partition()], msg.offset())
        deadline = time.monotonic() + timeout
        while any(seen[p] + 1 < ends[p] for p in ends) and time.monotonic() < deadline:
            msg = self.consumer.poll(0.2)
            if msg is None or msg.error():
                continue
            self.got.append(msg)
            seen[msg.partition()] = max(seen[msg.partition()], msg.offset())
        return self.got

    def close(self):
        self.consumer.close()


def check_commits_covered(test, bootstrap, group, topic, partitions, positions, output_ids):
    """No offset is committed past output that is not out yet: every
    produced record below its partition's committed offset has come out.
    positions: {id: (partition, offset)}; output_ids: ids seen in the
    output AFTER the committed offsets were read."""
    committed = committed_offsets(bootstrap, group, topic, partitions)
    out = set(output_ids())
    missing = [ident for ident, (p, o) in positions.items()
               if o < committed[p] and ident not in out]
    test.assertEqual(missing[:10], [], f"committed {committed} past output not written")
    return committed


def loss_figures(produced, output):
    """Compare what was produced with what came out, both lists of ids
    with one entry per record (an id produced twice, at two source
    positions, must come out twice): (figures dict, the set of ids with
    records lost, {id: extra copies})."""
    def counts(ids):
        n = {}
        for ident in ids:
            n[ident] = n.get(ident, 0) + 1
        return n
    produced, out = counts(produced), counts(output)
    lost = {ident for ident, n in produced.items() if out.get(ident, 0) < n}
    duplicated = {ident: n - produced.get(ident, 0) for ident, n in out.items()
                  if ident in produced and n > produced[ident]}
    figures = {"produced": sum(produced.values()), "output": sum(out.values()),
               "duplicated": sum(duplicated.values()),
               "lost": sum(n - out.get(ident, 0) for ident, n in produced.items()
                           if out.get(ident, 0) < n),
               "unexpected": sum(n for ident, n in out.items() if ident not in produced)}
    return figures, lost, duplicated


def print_figures(name, figures):
    """The figures line every fault test prints."""
    print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in figures.items()), flush=True)


def main():
    """unittest.main that prints a closing 'N passed, N failed' line."""
    program = unittest.main(exit=False, verbosity=2)
    result = program.result
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or result.testsRun == 0 else 0)
