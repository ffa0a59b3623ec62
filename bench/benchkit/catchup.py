"""Backlog catch-up: each system consumes the whole preloaded topic as a
new consumer group, and reports records per second from the first record
to the last. Systems run in alternation, so that a drift of the machine
(another load, the broker's heap) spreads over all of them."""

import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass

from .child import BenchError, Child, checked

BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = "/usr/bin/python3"  # Debian's: the one with confluent_kafka
RUN_TIMEOUT = 600

# The prefetch settings pipehost uses by default; the ceiling and the tuned
# seed get the same, so that no one's figure is librdkafka 2.0's fixed
# one-second fetch backoff.
PREFETCH = {"queued.min.messages": "1000000", "queued.max.messages.kbytes": "262144"}

# pipehost's last log line: "NAME: R records in, ... in S s from the first
# record (X records/s)".
PIPEHOST_SUMMARY = re.compile(
    r"(\d+) records in, (\d+) out, (\d+) rejected .* in ([0-9.]+) s from the first record "
    r"\((\d+) records/s\)")


@dataclass
class System:
    key: str    # short name in tables and files
    label: str  # what it is, for people
    kind: str   # ceiling | seed | pipehost
    workers: int = 0
    tuned: bool = False


def systems(worker_counts):
    found = [
        System("ceiling", "ceiling: C, librdkafka batch consume, no processing", "ceiling"),
        System("seed-default", "seed, default: Python confluent-kafka, json.loads, count views",
               "seed"),
        System("seed-tuned", "seed, tuned: the same, queued.min.messages raised", "seed",
               tuned=True),
    ]
    for workers in worker_counts:
        found.append(System(f"pipehost-w{workers}",
                            f"pipehost: clickstream plugin, file sink, {workers} "
                            f"worker{'s' if workers > 1 else ''}", "pipehost", workers=workers))
    return found


@dataclass
class Run:
    system: str
    repeat: int
    records: int
    seconds: float
    cpu_seconds: float
    peak_rss_bytes: int
    wall_seconds: float
    broker_cpu_seconds: float

    @property
    def records_per_second(self):
        return self.records / self.seconds


def command(system, tools, bootstrap, topic, group, expected, out_folder):
    """(args, extra environment) to run `system` once."""
    if system.kind == "ceiling":
        args = [tools.ceiling, "--brokers", bootstrap, "--topic", topic, "--group", group,
                "--expect", expected, "--timeout", RUN_TIMEOUT]
        for name, value in PREFETCH.items():
            args += ["-X", f"{name}={value}"]
        return args, {}
    if system.kind == "seed":
        args = [PYTHON, os.path.join(BENCH_DIR, "peers", "seed_consumer.py"), "--brokers",
                bootstrap, "--topic", topic, "--group", group, "--expect", expected,
                "--timeout", RUN_TIMEOUT]
        return args + (["--tuned"] if system.tuned else []), {}
    args = [tools.pipehost, "run", os.path.join(BENCH_DIR, "pipelines", "clickstream.yaml"),
            "--exit-at-end"]
    return args, pipeline_env(bootstrap, group, topic, out_folder, system.workers)


def pipeline_env(bootstrap, group, topic, out_folder, workers, commit_interval_ms=None):
    env = {"KAFKA_BROKERS": bootstrap, "BENCH_GROUP": group, "BENCH_TOPIC": topic,
           "BENCH_OUT": out_folder, "BENCH_WORKERS": str(workers)}
    if commit_interval_ms is not None:
        env["BENCH_COMMIT_INTERVAL_MS"] = str(commit_interval_ms)
    return env


def records_and_seconds(system, finished):
    """What the run says it consumed, and in how long."""
    if system.kind == "pipehost":
        match = PIPEHOST_SUMMARY.search(finished.stderr)
        if not match:
            raise BenchError(f"{system.key}: no summary line in pipehost's log:\n"
                             f"{finished.stderr[-2000:]}")
        # S is printed to 10 ms, the rate to the record: time from the rate.
        records, rate = int(match.group(1)), int(match.group(5))
        return records, records / rate if rate else 0.0
    report = json.loads(finished.stdout.strip().splitlines()[-1])
    return report["records"], report["seconds"]


def run_once(system, repeat, tools, broker, topic, expected, folder, sample_every=None):
    """One catch-up of `topic` by `system` as a fresh group; a Run, and the
    Finished process (for its RSS samples)."""
    group = f"bench-{system.key}-{repeat}-{time.time_ns()}"
    out_folder = tempfile.mkdtemp(prefix=f"{system.key}-", dir=folder)
    args, env = command(system, tools, broker.bootstrap, topic, group, expected, out_folder)
    broker_cpu_before = broker.cpu_seconds()
    child = Child(args, folder, f"{system.key}-{repeat}", env=env)
    finished = checked(child.wait(RUN_TIMEOUT + 60, sample_every=sample_every),
                       f"{system.key} (repeat {repeat})")
    broker_cpu = broker.cpu_seconds() - broker_cpu_before
    shutil.rmtree(out_folder)
    records, seconds = records_and_seconds(system, finished)
    if records != expected:
        raise BenchError(f"{system.key} (repeat {repeat}): consumed {records} records, "
                         f"the backlog holds {expected}")
    if seconds <= 0:
        raise BenchError(f"{system.key} (repeat {repeat}): took no measurable time")
    run = Run(system.key, repeat, records, seconds, finished.cpu_seconds,
              finished.peak_rss_bytes, finished.wall_seconds, broker_cpu)
    return run, finished


def alternate(all_systems, repeats, tools, broker, topic, expected, folder, progress):
    """Every system `repeats` times, in turn; the list of Runs."""
    runs = []
    for repeat in range(1, repeats + 1):
        for system in all_systems:
            run, _ = run_once(system, repeat, tools, broker, topic, expected, folder)
            progress(f"  {system.key:<14} repeat {repeat}: {run.records_per_second:>12,.0f} "
                     f"records/s, {run.cpu_seconds:.2f} CPU s, "
                     f"{run.peak_rss_bytes / 2**20:.0f} MiB peak RSS")
            runs.append(run)
    return runs
