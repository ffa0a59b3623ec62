"""pipehost's benchmark, in one run on one machine:

1. a standalone `pipehost broker`, preloaded by `pipehost produce` with a
   clickstream backlog across 24 partitions (low watermarks checked: the
   broker's retention must not have dropped a record);
2. backlog catch-up, records/s from the first record to the last, of the
   ceiling (C, librdkafka batch consume, no processing), the seed (the
   article's Python consumer) with librdkafka's defaults and tuned, and
   `pipehost run --exit-at-end` with the clickstream plugin at 1, 2, ...
   workers; repeated in alternation; with CPU seconds and peak RSS;
3. latency from produce to sink at a steady rate, for a json_filter
   pipeline and for the IoT alert path;
4. pipehost's peak RSS catching up a larger backlog, and its RSS over
   minutes of steady load.

It writes RESULTS.md, results.json and plots/*.png to --out, and exits
non-zero when any run failed or did not consume what it should have.
--smoke runs the same with tiny sizes in about a minute (a test).

Run with Debian's /usr/bin/python3 (bench/run.sh builds and does so).
"""

import argparse
import dataclasses
import datetime
import os
import shutil
import sys
import tempfile
import time

from benchkit import catchup, latency, machine, memory, plots, report
from benchkit.broker import Broker, check_backlog, preload
from benchkit.child import BenchError, check_gnu_time
from benchkit.stats import summarize

SOURCE_DIR = os.path.dirname(catchup.BENCH_DIR)

# name: (full, smoke)
SIZES = {
    "records": (1_000_000, 20_000),
    "memory_records": (2_000_000, 40_000),
    "repeats": (5, 1),
    "workers": ("1,2,4", "1,2"),
    "latency_seconds": (30.0, 2.0),
    "commit_intervals": ("1000,10", "10"),
    "steady_seconds": (300.0, 10.0),
}


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, about a minute")
    parser.add_argument("--pipehost", required=True, help="the pipehost binary")
    parser.add_argument("--ceiling", required=True, help="the bench_ceiling binary")
    parser.add_argument("--out", help="where RESULTS.md, results.json and plots/ go "
                        "(default: bench/, or a temporary folder with --smoke)")
    parser.add_argument("--partitions", type=int, default=24, help="of every backlog topic")
    parser.add_argument("--records", type=int, help="backlog for the catch-up runs "
                        "(1,000,000; smoke 20,000)")
    parser.add_argument("--memory-records", type=int, help="backlog for the peak-RSS run "
                        "(2,000,000; smoke 40,000)")
    parser.add_argument("--repeats", type=int, help="catch-up runs of each system (5; smoke 1)")
    parser.add_argument("--workers", help="pipehost worker counts (1,2,4; smoke 1,2)")
    parser.add_argument("--latency-rate", type=int, default=10000, help="records/s")
    parser.add_argument("--latency-seconds", type=float, help="of each latency run (30; smoke 2)")
    parser.add_argument("--commit-intervals", help="commit_interval_ms values of the latency "
                        "runs (1000,10; smoke 10)")
    parser.add_argument("--linger-ms", type=int, default=5, help="of the latency producer")
    parser.add_argument("--fetch-wait-ms", type=int, default=5,
                        help="fetch.wait.max.ms of the latency runs' consumers (pipehost and the floor)")
    parser.add_argument("--latency-partitions", type=int, default=12)
    parser.add_argument("--steady-rate", type=int, default=10000, help="records/s")
    parser.add_argument("--steady-seconds", type=float, help="of steady load (300; smoke 10)")
    parser.add_argument("--steady-partitions", type=int, default=4,
                        help="of the steady-load topic (few: see RESULTS.md)")
    args = parser.parse_args()
    for name, (full, smoke) in SIZES.items():
        if getattr(args, name) is None:
            setattr(args, name, smoke if args.smoke else full)
    args.workers = [int(w) for w in str(args.workers).split(",")]
    args.commit_intervals = [int(c) for c in str(args.commit_intervals).split(",")]
    if args.repeats < 1 or args.records < 1 or args.memory_records < 1 or min(args.workers) < 1:
        parser.error("sizes, repeats and workers must be positive")
    return args


def progress(text):
    print(text, flush=True)


def latency_runs(args):
    """(Path, commit_interval_ms) of each latency run: the floor, then
    each pipeline at each commit interval."""
    runs = [(latency.PATHS["floor"], None)]
    for name in ("json_filter", "iot_alerts"):
        runs += [(latency.PATHS[name], interval) for interval in args.commit_intervals]
    return runs


def latency_topic(path, interval):
    """A topic of its own for each latency run: a new group reads from the
    earliest offset, which must not hold an earlier run's records."""
    return f"bench-latency-{path.name}" + (f"-{interval}" if interval else "")


def topics(args):
    """{topic: partitions} of the whole run, created up front: the broker
    gives a topic nobody created 4 partitions."""
    names = {"bench-backlog": args.partitions, "bench-backlog-memory": args.partitions,
             "bench-steady": args.steady_partitions}
    for path, interval in latency_runs(args):
        names[latency_topic(path, interval)] = args.latency_partitions
    return names


def run(args, tools, scratch):
    results = {
        "mode": "smoke" if args.smoke else "full",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine.describe(tools.pipehost, SOURCE_DIR),
        "argv": sys.argv[1:],
        "settings": {k: v for k, v in vars(args).items() if k not in ("pipehost", "ceiling", "out")},
    }
    started = time.monotonic()
    other_load = machine.OtherLoad()
    broker = Broker(tools.pipehost, topics(args), scratch)
    try:
        results["broker"] = {"args": [tools.pipehost, "broker"] +
                             [a for t, p in broker.partitions.items() for a in ("--topic", f"{t}:{p}")],
                             "bootstrap": broker.bootstrap}
        progress(f"broker on {broker.bootstrap}; preloading "
                 f"{args.records:,} and {args.memory_records:,} records")
        for key, topic, count in (("backlog", "bench-backlog", args.records),
                                  ("memory_backlog", "bench-backlog-memory", args.memory_records)):
            produced = preload(tools.pipehost, broker, topic, count, scratch)
            counts = check_backlog(broker, topic, count)
            results[key] = {"topic": topic, "records": count, "produce": produced,
                            "partition_counts": counts}
            progress(f"  {topic}: {produced['summary']}; per partition {min(counts):,} to "
                     f"{max(counts):,}, low watermarks all 0")

        systems = catchup.systems(args.workers)
        results["systems"] = [dataclasses.asdict(s) for s in systems]
        progress(f"backlog catch-up: {len(systems)} systems x {args.repeats} repeats")
        runs = catchup.alternate(systems, args.repeats, tools, broker, "bench-backlog",
                                 args.records, scratch, progress)
        results["runs"] = [dict(dataclasses.asdict(r), records_per_second=r.records_per_second)
                           for r in runs]
        results["summary"] = summarize(runs)

        cores = os.cpu_count()
        progress(f"peak RSS catching up {args.memory_records:,} records ({cores} workers)")
        backlog = memory.backlog_peak(tools, broker, "bench-backlog-memory",
                                      args.memory_records, cores, scratch)
        progress(f"  {backlog['peak_rss_bytes'] / 2**20:.0f} MiB peak, "
                 f"{backlog['records_per_second']:,.0f} records/s")

        results["latency"] = []
        for path, interval in latency_runs(args):
            what = f"commit_interval_ms {interval}" if interval else "no pipeline"
            progress(f"latency: {path.name} ({what}), {args.latency_rate:,} records/s "
                     f"for {args.latency_seconds:.0f} s")
            measured = latency.measure(path, tools, broker, latency_topic(path, interval),
                                       args.latency_rate, args.latency_seconds, interval,
                                       cores if interval else None, args.linger_ms,
                                       args.fetch_wait_ms, scratch)
            if measured["missing"]:
                raise BenchError(f"latency {path.name}: {measured['missing']} of "
                                 f"{measured['expected']} results never reached the sink")
            results["latency"].append(measured)
            progress("  " + report.latency_line(measured))

        progress(f"steady load: {args.steady_rate:,} records/s for {args.steady_seconds:.0f} s")
        steady = memory.steady_load(tools, broker, "bench-steady", args.steady_rate,
                                    args.steady_seconds, cores, scratch)
        progress("  " + report.steady_line(steady))
        results["memory"] = {"backlog": backlog, "steady": steady}
    finally:
        broker.stop()
    results["duration_seconds"] = time.monotonic() - started
    results["other_load"] = other_load.measure()
    return results


def main():
    args = parse_args()
    tools = argparse.Namespace(pipehost=os.path.abspath(args.pipehost),
                               ceiling=os.path.abspath(args.ceiling))
    for path in (tools.pipehost, tools.ceiling):
        if not os.access(path, os.X_OK):
            sys.exit(f"bench: {path} is not an executable")
    out = args.out or (tempfile.mkdtemp(prefix="pipehost-bench-") if args.smoke
                       else catchup.BENCH_DIR)
    os.makedirs(os.path.join(out, "plots"), exist_ok=True)
    scratch = tempfile.mkdtemp(prefix="pipehost-bench-run-")
    try:
        check_gnu_time()
        results = run(args, tools, scratch)
        if plots.available():
            report.plot(results, scratch, os.path.join(out, "plots"))
        else:
            progress("gnuplot is not installed (scripts/install-deps.sh): no plots")
        report.write(results, out)
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        print(f"bench: the run's logs are in {scratch}", file=sys.stderr)
        return 1
    shutil.rmtree(scratch, ignore_errors=True)
    progress(f"done in {results['duration_seconds']:.0f} s: {os.path.join(out, 'RESULTS.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
