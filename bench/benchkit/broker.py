"""The benchmark's broker: a standalone `pipehost broker` process, the
backlogs `pipehost produce` loads into it, and the watermark check that
proves the broker's retention trimmed none of them."""

import os
import signal
import subprocess

from confluent_kafka import Consumer, TopicPartition

from .child import BenchError, Child, checked, cpu_seconds_of


class Broker:
    """`pipehost broker` with the given {topic: partitions}, in its own process."""

    def __init__(self, pipehost, topics, folder):
        args = [pipehost, "broker"]
        for name, partitions in topics.items():
            args += ["--topic", f"{name}:{partitions}"]
        self.partitions = dict(topics)
        self.log = open(os.path.join(folder, "broker.err"), "wb")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self.log, text=True)
        self.bootstrap = self.proc.stdout.readline().strip()
        if not self.bootstrap:
            self.proc.wait(timeout=10)
            raise BenchError("pipehost broker printed no bootstrap list; see broker.err")

    def cpu_seconds(self):
        return cpu_seconds_of(self.proc.pid)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.log.close()


def preload(pipehost, broker, topic, count, folder, seed=1):
    """Write `count` clickstream events with `pipehost produce` (lz4,
    batched: its defaults) and return its command and summary line."""
    args = [pipehost, "produce", "--profile", "clickstream", "--brokers", broker.bootstrap,
            "--topic", topic, "--count", count, "--seed", seed, "--bad-ratio", "0"]
    finished = checked(Child(args, folder, f"produce-{topic}").wait(timeout=600),
                       f"preloading {topic}")
    return {"args": finished.args, "summary": finished.stderr.strip().splitlines()[-1]}


def watermarks(bootstrap, topic, partitions):
    """[(low, high)] of each partition, from the broker."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-watermarks"})
    try:
        return [consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
                for p in range(partitions)]
    finally:
        consumer.close()


def check_backlog(broker, topic, expected):
    """Per-partition record counts of a preloaded topic; BenchError when
    the broker dropped records (a low watermark above 0) or the total is
    not what was produced."""
    marks = watermarks(broker.bootstrap, topic, broker.partitions[topic])
    trimmed = [(p, low) for p, (low, _) in enumerate(marks) if low != 0]
    if trimmed:
        raise BenchError(f"{topic}: the broker's retention dropped records: low watermarks "
                         f"{trimmed}; use more partitions or a smaller backlog")
    counts = [high - low for low, high in marks]
    if sum(counts) != expected:
        raise BenchError(f"{topic}: {sum(counts)} records in the topic, {expected} produced")
    return counts

