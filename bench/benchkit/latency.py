"""Latency at a steady rate: from the moment a record is handed to the
producer to the moment its result can be read from the pipeline's file
sink. A producer (peers/latency_producer.py) sends at a fixed rate and
notes each record's send time on CLOCK_MONOTONIC; this process tails the
sink file every millisecond and notes, on the same clock, when each
result's line appeared."""

import json
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Optional

from .catchup import BENCH_DIR, PYTHON, pipeline_env
from .child import BenchError, Child, checked

POLL_SECONDS = 0.001
ASSIGN_TIMEOUT = 60


def view_key(line):
    """The seq of a click: the views json_filter passed on are timed."""
    return str(json.loads(line)["seq"])


def alert_key(line):
    """DEVICE|TS_MS of an alert; None for the window statistics."""
    result = json.loads(line)
    if result.get("type") != "alert":
        return None
    when = datetime.fromisoformat(result["ts"].replace("Z", "+00:00"))
    epoch_ms = round(when.timestamp() * 1000)
    return f"{result['device_id']}|{epoch_ms}"


@dataclass
class Path:
    """What a latency run times: a pipeline, or the floor consumer."""
    name: str
    producer_kind: str  # peers/latency_producer.py --kind
    sink_file: str
    key_of: Callable
    pipeline: Optional[str]  # in bench/pipelines; None: the floor


PATHS = {
    # bench_ceiling --follow: every record written to the file as consumed,
    # with no pipeline: what the broker, librdkafka and the measurement cost.
    "floor": Path("floor", "clicks", "records.jsonl", view_key, None),
    "json_filter": Path("json_filter", "clicks", "views.jsonl", view_key,
                        "page-views-latency.yaml"),
    "iot_alerts": Path("iot_alerts", "iot", "device-stats.jsonl", alert_key,
                       "iot-alerts-latency.yaml"),
}


class SinkTail:
    """Reads the lines a sink appends to a file, noting when each appeared."""

    def __init__(self, path, key_of):
        self.path = path
        self.key_of = key_of
        self.file = None
        self.partial = b""
        self.arrivals = {}  # key: CLOCK_MONOTONIC ns when its line was read

    def read(self):
        if self.file is None:
            try:
                self.file = open(self.path, "rb")
            except FileNotFoundError:
                return
        data = self.file.read()
        seen_ns = time.monotonic_ns()
        if not data:
            return
        lines = (self.partial + data).split(b"\n")
        self.partial = lines.pop()
        for line in lines:
            key = self.key_of(line) if line else None
            if key is not None and key not in self.arrivals:
                self.arrivals[key] = seen_ns

    def close(self):
        if self.file is not None:
            self.file.close()


def wait_assigned(child, topic, partitions):
    """Wait until the consumer (pipehost or bench_ceiling) logs that it
    holds every partition of `topic`."""
    deadline = time.monotonic() + ASSIGN_TIMEOUT
    marker = f"assigned {topic}["
    while time.monotonic() < deadline:
        if not child.running():
            raise BenchError(f"{child.args[0]} exited before it was assigned {topic}:\n"
                             f"{child.stderr_text()[-2000:]}")
        if child.stderr_text().count(marker) >= partitions:
            return
        time.sleep(0.05)
    raise BenchError(f"{child.args[0]} was not assigned all of {topic} in {ASSIGN_TIMEOUT} s")


def latency_title(run):
    """How a measured run is named in tables and plots."""
    if run["commit_interval_ms"] is None:
        return "floor: no pipeline"
    return f"{run['pipeline']}, commit every {run['commit_interval_ms']} ms"


def read_sent(path):
    sent = {}
    with open(path) as lines:
        for line in lines:
            key, sent_ns = line.rstrip("\n").split("\t")
            sent[key] = int(sent_ns)
    return sent


def measure(path, tools, broker, topic, rate, seconds, commit_interval_ms, workers, linger_ms,
            fetch_wait_ms, folder):
    """One latency run of `path` (a Path): a dict of the settings, the
    latencies in ms (sorted) and the records that never arrived.
    commit_interval_ms and workers are the pipeline's (None for the floor)."""
    run_folder = tempfile.mkdtemp(prefix=f"latency-{path.name}-", dir=folder)
    group = f"bench-latency-{path.name}-{time.time_ns()}"
    sink_path = os.path.join(run_folder, path.sink_file)
    if path.pipeline:
        consumer = Child([tools.pipehost, "run", os.path.join(BENCH_DIR, "pipelines", path.pipeline)],
                     run_folder, "consumer",
                     env=dict(pipeline_env(broker.bootstrap, group, topic, run_folder, workers,
                                           commit_interval_ms),
                              BENCH_FETCH_WAIT_MS=str(fetch_wait_ms)))
    else:
        consumer = Child([tools.ceiling, "--brokers", broker.bootstrap, "--topic", topic, "--group",
                      group, "--follow", sink_path, "--timeout", seconds + 300,
                      "-X", f"fetch.wait.max.ms={fetch_wait_ms}"], run_folder, "consumer")
    tail = SinkTail(sink_path, path.key_of)
    try:
        wait_assigned(consumer, topic, broker.partitions[topic])
        sent_path = os.path.join(run_folder, "sent.tsv")
        producer_args = [PYTHON, os.path.join(BENCH_DIR, "peers", "latency_producer.py"),
                         "--brokers", broker.bootstrap, "--topic", topic, "--kind",
                         path.producer_kind,
                         "--rate", rate, "--seconds", seconds, "--linger-ms", linger_ms,
                         "--sent", sent_path]
        broker_cpu_before = broker.cpu_seconds()
        producer = Child(producer_args, run_folder, "producer")
        deadline = time.monotonic() + seconds + 60
        while producer.running() and time.monotonic() < deadline:
            tail.read()
            time.sleep(POLL_SECONDS)
        produced = checked(producer.wait(timeout=max(1, deadline - time.monotonic())),
                           "the latency producer")
        broker_cpu = broker.cpu_seconds() - broker_cpu_before
        summary = json.loads(produced.stdout.strip().splitlines()[-1])
        sent = read_sent(sent_path)
        # Whatever is still on its way: at most a commit interval and a fetch.
        deadline = time.monotonic() + (commit_interval_ms or 0) / 1000 + 10
        next_check = 0
        while time.monotonic() < deadline:
            tail.read()
            if time.monotonic() >= next_check:
                if sent.keys() <= tail.arrivals.keys():
                    break
                next_check = time.monotonic() + 0.1
            time.sleep(POLL_SECONDS)
    finally:
        tail.close()
        consumer_finished = consumer.stop()
    checked(consumer_finished, f"the consumer of the {path.name} latency run")
    latencies = sorted((tail.arrivals[k] - sent_ns) / 1e6 for k, sent_ns in sent.items()
                       if k in tail.arrivals)
    return {
        "pipeline": path.name,
        "pipeline_file": path.pipeline,
        "topic": topic,
        "commit_interval_ms": commit_interval_ms,
        "rate": rate,
        "seconds": seconds,
        "workers": workers,
        "linger_ms": linger_ms,
        "fetch_wait_ms": fetch_wait_ms,
        "produced": summary["produced"],
        "expected": len(sent),
        "arrived": len(latencies),
        "missing": len(sent) - len(latencies),
        "producer_max_behind_ms": summary["max_behind_ms"],
        "consumer_cpu_seconds": consumer_finished.cpu_seconds,
        "consumer_peak_rss_bytes": consumer_finished.peak_rss_bytes,
        "producer_cpu_seconds": produced.cpu_seconds,
        "broker_cpu_seconds": broker_cpu,
        "latencies_ms": latencies,
    }
