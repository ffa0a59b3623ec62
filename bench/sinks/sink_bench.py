"""Throughput of pipehost's sinks, records per second, on one machine:

A standalone `pipehost broker` holds a backlog of aggregate rows (shaped
like the clickstream plugin's output, each with its own key). For each
sink in turn, `pipehost run --exit-at-end` with no processor and that one
sink consumes the whole backlog as a new group: the built-in file sink
(the reference), sqlite_sink, and postgres_sink writing by COPY and by
multi-row INSERT to a private PostgreSQL server (Debian's, fsync on,
started here). Records/s count from the first record until the last
flush has made everything durable and the offsets are committed (pipehost
logs both). Each run's output is checked: every row there, with the right
total of views. Repeated in alternation; median, min and max.

It writes RESULTS.md and results.json to --out (default bench/sinks/, or a
temporary folder with --smoke) and exits non-zero when a run failed.
Run with Debian's /usr/bin/python3 (bench/sinks/run.sh builds and does so).
"""

import argparse
import datetime
import json
import os
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH_DIR = os.path.dirname(HERE)
SOURCE_DIR = os.path.dirname(BENCH_DIR)
sys.path.insert(0, BENCH_DIR)
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))

from benchkit import machine  # noqa: E402
from benchkit.broker import Broker, check_backlog  # noqa: E402
from benchkit.child import BenchError, Child, check_gnu_time, checked  # noqa: E402

import pg_server  # noqa: E402

TOPIC = "sink-rows"
RUN_TIMEOUT = 600
# name: (full, smoke)
SIZES = {"records": (200_000, 2_000), "repeats": (3, 1)}
SYSTEMS = {
    "file": "file sink (built in): JSON lines, fsync at flush",
    "sqlite": "sqlite_sink: one transaction per flush, WAL, synchronous=FULL",
    "postgres-copy": "postgres_sink, write_method copy: COPY to a temporary table, one upsert",
    "postgres-insert": "postgres_sink, write_method insert: multi-row INSERT upserts",
}
SMOKE_SYSTEMS = "sqlite,postgres-copy"

LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)Z ", re.M)
SUMMARY = re.compile(r"(\d+) records in, .* in ([0-9.]+) s from the first record "
                     r"\((\d+) records/s\)")


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--pipehost", required=True, help="the pipehost binary")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, a few seconds")
    parser.add_argument("--out", help="where RESULTS.md and results.json go")
    parser.add_argument("--records", type=int, help="rows in the backlog (200,000; smoke 2,000)")
    parser.add_argument("--repeats", type=int, help="runs of each sink (3; smoke 1)")
    parser.add_argument("--systems", help=f"comma-separated, of: {', '.join(SYSTEMS)} "
                        f"(default: all; smoke: {SMOKE_SYSTEMS})")
    parser.add_argument("--partitions", type=int, default=16,
                        help="of the backlog topic (enough that no partition passes the "
                             "broker's 5 MiB retention)")
    parser.add_argument("--workers", type=int, default=2, help="pipehost worker threads")
    args = parser.parse_args()
    for name, (full, smoke) in SIZES.items():
        if getattr(args, name) is None:
            setattr(args, name, smoke if args.smoke else full)
    args.systems = (args.systems or (SMOKE_SYSTEMS if args.smoke else ",".join(SYSTEMS))).split(",")
    unknown = [s for s in args.systems if s not in SYSTEMS]
    if unknown:
        parser.error(f"unknown systems: {', '.join(unknown)}")
    return args


def write_rows(path, count):
    """count rows with distinct keys (page, window_start, partition); the
    total of their views."""
    total_views = 0
    start = datetime.datetime(2022, 1, 1, tzinfo=datetime.timezone.utc)
    with open(path, "w") as f:
        for i in range(count):
            window = start + datetime.timedelta(minutes=i // 1000)
            views = (i * 7919) % 50
            total_views += views
            f.write(json.dumps({
                "window_start": window.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "window_end": (window + datetime.timedelta(minutes=1)).strftime(
                    "%Y-%m-%dT%H:%M:%SZ"),
                "page": f"/product{i % 1000}", "partition": i % 12, "events": views + 3,
                "views": views, "users": views // 2, "ratings": 1, "rating_sum": 4,
                "final": True}) + "\n")
    return total_views


def log_seconds(stamp):
    return datetime.datetime.fromisoformat(stamp).replace(
        tzinfo=datetime.timezone.utc).timestamp()


def first_record_to_durable(log):
    """Seconds from the first record to the end of the last flush and
    commit: pipehost's own figure from the first record to the end of
    input, plus the time from its "consumed to its end" line to the last
    "revoked" line, which it logs once the final flush and commit are done."""
    summary = SUMMARY.search(log)
    if not summary:
        raise BenchError(f"no summary line in pipehost's log:\n{log[-2000:]}")
    records, rate = int(summary.group(1)), int(summary.group(3))
    to_end = records / rate if rate else 0.0
    ended = revoked = None
    for line in log.splitlines():
        stamp = LOG_TIME.match(line)
        if not stamp:
            continue
        if "consumed to its end" in line:
            ended = log_seconds(stamp.group(1))
        elif "] revoked " in line:
            revoked = log_seconds(stamp.group(1))
    if ended is None or revoked is None:
        raise BenchError(f"no end-of-input or revoke line in pipehost's log:\n{log[-2000:]}")
    return records, to_end + (revoked - ended)


class Bench:
    def __init__(self, args, folder):
        self.args = args
        self.folder = folder
        self.server = None
        self.broker = None

    def output_check(self, system, out_folder, table):
        """(rows, views) the run left in its sink."""
        if system == "file":
            rows = [json.loads(line) for line in open(os.path.join(out_folder, "rows.jsonl"))]
            return len(rows), sum(r["views"] for r in rows)
        if system == "sqlite":
            with sqlite3.connect(os.path.join(out_folder, "rows.db")) as db:
                return db.execute("SELECT count(*), sum(views) FROM page_stats").fetchone()
        count, views = self.server.psql(f"SELECT count(*), sum(views) FROM {table}")[0]
        self.server.psql(f"DROP TABLE {table}")
        return int(count), int(views)

    def run_once(self, system, repeat, expected, expected_views):
        group = f"bench-sink-{system}-{repeat}-{time.time_ns()}"
        out_folder = tempfile.mkdtemp(prefix=f"{system}-", dir=self.folder)
        table = f"rows_{system.replace('-', '_')}_{repeat}"
        env = {"KAFKA_BROKERS": self.broker.bootstrap, "BENCH_GROUP": group,
               "BENCH_TOPIC": TOPIC, "BENCH_OUT": out_folder,
               "BENCH_WORKERS": str(self.args.workers)}
        pipeline = system.split("-")[0]
        if pipeline == "postgres":
            env.update(BENCH_CONNINFO=self.server.conninfo(), BENCH_TABLE=table,
                       BENCH_WRITE_METHOD=system.split("-")[1])
        args = [self.args.pipehost, "run", os.path.join(HERE, "pipelines", f"{pipeline}.yaml"),
                "--exit-at-end"]
        finished = checked(Child(args, self.folder, f"{system}-{repeat}", env=env)
                           .wait(RUN_TIMEOUT), f"{system} (repeat {repeat})")
        records, seconds = first_record_to_durable(finished.stderr)
        rows, views = self.output_check(system, out_folder, table)
        shutil.rmtree(out_folder)
        if records != expected or rows != expected or views != expected_views:
            raise BenchError(f"{system} (repeat {repeat}): consumed {records} records and left "
                             f"{rows} rows with {views} views; expected {expected} with "
                             f"{expected_views}")
        return {"system": system, "repeat": repeat, "records": records, "seconds": seconds,
                "records_per_second": records / seconds, "cpu_seconds": finished.cpu_seconds,
                "peak_rss_bytes": finished.peak_rss_bytes}

    def run(self):
        args = self.args
        info = machine.describe(args.pipehost, SOURCE_DIR)
        self.broker = Broker(args.pipehost, {TOPIC: args.partitions}, self.folder)
        try:
            source = os.path.join(self.folder, "rows.jsonl")
            views = write_rows(source, args.records)
            checked(Child([args.pipehost, "produce", "--from-file", source, "--key-field", "page",
                           "--brokers", self.broker.bootstrap, "--topic", TOPIC],
                          self.folder, "produce").wait(RUN_TIMEOUT), "producing the backlog")
            check_backlog(self.broker, TOPIC, args.records)
            if any(s.startswith("postgres") for s in args.systems):
                if not pg_server.available():
                    raise BenchError(f"no PostgreSQL server binaries in {pg_server.BIN}")
                self.server = pg_server.PostgresServer(durable=True)
                info["postgresql"] = self.server.psql("SHOW server_version")[0][0]
            info["sqlite"] = sqlite3.sqlite_version
            runs = []
            for repeat in range(1, args.repeats + 1):
                for system in args.systems:
                    run = self.run_once(system, repeat, args.records, views)
                    runs.append(run)
                    print(f"{system} #{repeat}: {run['records_per_second']:,.0f} records/s "
                          f"({run['seconds']:.2f} s)", flush=True)
            return info, runs
        finally:
            if self.server:
                self.server.close()
            self.broker.stop()


def summarize(runs):
    summary = {}
    for system in dict.fromkeys(r["system"] for r in runs):
        mine = [r for r in runs if r["system"] == system]
        rates = [r["records_per_second"] for r in mine]
        summary[system] = {
            "repeats": len(mine), "median": statistics.median(rates), "min": min(rates),
            "max": max(rates),
            "cpu_ms_per_1000": statistics.median(1e6 * r["cpu_seconds"] / r["records"]
                                                 for r in mine),
            "peak_rss_mib": max(r["peak_rss_bytes"] for r in mine) / 2**20,
        }
    return summary


def write_results(out, args, info, runs, summary):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"machine": info, "records": args.records, "partitions": args.partitions,
                   "workers": args.workers, "runs": runs, "summary": summary}, f, indent=1)
    reference = summary.get("file", {}).get("median")
    lines = [
        "# Sink throughput", "",
        f"Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC by "
        "`bench/sinks/run.sh`" + (" --smoke" if args.smoke else "") + " (see README.md).", "",
        f"{args.records:,} rows with distinct keys in {args.partitions} partitions; "
        f"`pipehost run --exit-at-end`, no processor, {args.workers} workers, "
        "`commit_interval_ms: 1000`; records/s from the first record until the last flush "
        f"is durable and committed; {args.repeats} runs of each, in alternation.", "",
        "| sink | records/s median | min | max | vs file sink | CPU ms per 1000 records | "
        "peak RSS MiB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for system, s in summary.items():
        ratio = f"{s['median'] / reference:.2f}" if reference else "-"
        lines.append(f"| {SYSTEMS[system]} | {s['median']:,.0f} | {s['min']:,.0f} | "
                     f"{s['max']:,.0f} | {ratio} | {s['cpu_ms_per_1000']:.0f} | "
                     f"{s['peak_rss_mib']:.0f} |")
    lines += ["", "CPU and RSS are pipehost's own (GNU time), not the database server's.", "",
              "Machine: " + "; ".join(f"{k} {v}" for k, v in info.items()), ""]
    with open(os.path.join(out, "RESULTS.md"), "w") as f:
        f.write("\n".join(lines))
    return os.path.join(out, "RESULTS.md")


def main():
    args = parse_args()
    check_gnu_time()
    folder = tempfile.mkdtemp(prefix="pipehost-sink-bench-")
    try:
        info, runs = Bench(args, folder).run()
    except BenchError as error:
        print(f"sink bench: {error}\n(logs kept in {folder})", file=sys.stderr)
        return 1
    summary = summarize(runs)
    out = args.out or (tempfile.mkdtemp(prefix="pipehost-sink-bench-results-") if args.smoke
                       else HERE)
    path = write_results(out, args, info, runs, summary)
    for system, s in summary.items():
        print(f"{system:16} {s['median']:>10,.0f} records/s (min {s['min']:,.0f}, "
              f"max {s['max']:,.0f})")
    print(f"wrote {path}")
    shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
