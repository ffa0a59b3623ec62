"""pipehost's memory: the peak resident set while it catches up a large
backlog, and the resident set over minutes of steady load, which must
level off rather than grow."""

import os
import tempfile
import time

from .catchup import BENCH_DIR, PIPEHOST_SUMMARY, System, run_once, pipeline_env
from .child import BenchError, Child, checked
from .latency import wait_assigned
from .stats import least_squares_slope

SAMPLE_SECONDS = 1.0
DRAIN_SECONDS = 5.0


def backlog_peak(tools, broker, topic, expected, workers, folder):
    """Catch up `topic` once with the clickstream pipeline; peak RSS and
    the RSS over time."""
    system = System(f"pipehost-w{workers}", f"pipehost, {workers} workers", "pipehost",
                    workers=workers)
    run, finished = run_once(system, 1, tools, broker, topic, expected, folder,
                             sample_every=0.1)
    return {
        "topic": topic,
        "records": run.records,
        "workers": workers,
        "records_per_second": run.records_per_second,
        "cpu_seconds": run.cpu_seconds,
        "peak_rss_bytes": run.peak_rss_bytes,
        "rss_samples": finished.rss_samples,
    }


def steady_load(tools, broker, topic, rate, seconds, workers, folder):
    """Run the clickstream pipeline while `pipehost produce` writes `rate`
    records/s for `seconds`; its RSS each second, from the load's start."""
    run_folder = tempfile.mkdtemp(prefix="steady-", dir=folder)
    group = f"bench-steady-{time.time_ns()}"
    env = pipeline_env(broker.bootstrap, group, topic, run_folder, workers)
    host = Child([tools.pipehost, "run", os.path.join(BENCH_DIR, "pipelines", "clickstream.yaml")],
                 run_folder, "pipehost", env=env)
    count = int(rate * seconds)
    samples = []
    try:
        wait_assigned(host, topic, broker.partitions[topic])
        producer = Child([tools.pipehost, "produce", "--profile", "clickstream", "--brokers",
                          broker.bootstrap, "--topic", topic, "--count", count, "--rate", rate,
                          "--seed", 2, "--bad-ratio", 0], run_folder, "produce")
        started = time.monotonic()
        broker_cpu_before = broker.cpu_seconds()
        deadline = started + seconds + 60
        while time.monotonic() < deadline:
            rss = host.sample_rss()
            if rss is None or not host.running():
                raise BenchError(f"pipehost stopped under steady load:\n"
                                 f"{host.stderr_text()[-2000:]}")
            samples.append((time.monotonic() - started, rss))
            if not producer.running():
                break
            time.sleep(SAMPLE_SECONDS)
        checked(producer.wait(timeout=max(1, deadline - time.monotonic())),
                "pipehost produce (steady load)")
        produce_seconds = time.monotonic() - started
        peak_during_load = host.peak_rss_so_far()
        broker_cpu = broker.cpu_seconds() - broker_cpu_before
        time.sleep(DRAIN_SECONDS)
    finally:
        finished = host.stop()
    checked(finished, "pipehost (steady load)")
    match = PIPEHOST_SUMMARY.search(finished.stderr)
    records_in = int(match.group(1)) if match else -1
    if records_in != count:
        raise BenchError(f"steady load: pipehost consumed {records_in} of {count} records")

    settle = min(60.0, seconds / 5)
    settled = [(t, rss) for t, rss in samples if t >= settle]
    if len(settled) < 2:
        raise BenchError("steady load: too few RSS samples after it settled")
    return {
        "topic": topic,
        "rate": rate,
        "seconds": seconds,
        "produce_seconds": produce_seconds,
        "records": count,
        "workers": workers,
        "cpu_seconds": finished.cpu_seconds,
        "broker_cpu_seconds": broker_cpu,
        "peak_rss_bytes": finished.peak_rss_bytes,
        "peak_rss_by_load_end_bytes": peak_during_load,
        "settle_seconds": settle,
        "rss_settled_bytes": settled[0][1],
        "rss_end_bytes": settled[-1][1],
        "rss_max_settled_bytes": max(rss for _, rss in settled),
        "slope_bytes_per_minute": least_squares_slope(settled) * 60,
        "rss_samples": samples,
    }
