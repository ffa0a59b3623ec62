"""PNG plots with gnuplot (Debian's gnuplot-nox): the data go to TSV files
in a scratch folder, the scripts are bench/gnuplot/*.gp."""

import os
import shutil
import subprocess

from .catchup import BENCH_DIR
from .latency import latency_title
from .stats import percentile

GNUPLOT_DIR = os.path.join(BENCH_DIR, "gnuplot")
CDF_POINTS = 400


def available():
    return shutil.which("gnuplot") is not None


def _gnuplot(script, variables):
    assignments = "; ".join(
        f"{name}={value}" if isinstance(value, (int, float)) else f"{name}='{value}'"
        for name, value in variables.items())
    subprocess.run(["gnuplot", "-e", assignments, os.path.join(GNUPLOT_DIR, script)],
                   check=True, timeout=60, capture_output=True)


def _write(path, rows, header=None):
    with open(path, "w") as out:
        if header is not None:
            out.write(f'"{header}"\n')
        for row in rows:
            out.write("\t".join(f'"{v}"' if isinstance(v, str) else f"{v:.6g}" for v in row))
            out.write("\n")
    return path


def throughput(summary, data_dir, outfile):
    rows = [(key, s["median"], s["min"], s["max"]) for key, s in summary.items()]
    _gnuplot("throughput.gp", {"datafile": _write(os.path.join(data_dir, "throughput.tsv"), rows),
                               "outfile": outfile})


def workers(summary, worker_counts, data_dir, outfile):
    rows = [(w, summary[f"pipehost-w{w}"]["median"], summary[f"pipehost-w{w}"]["min"],
             summary[f"pipehost-w{w}"]["max"]) for w in worker_counts]
    _gnuplot("workers.gp", {"datafile": _write(os.path.join(data_dir, "workers.tsv"), rows),
                            "outfile": outfile, "ceiling": summary["ceiling"]["median"],
                            "seed": summary["seed-tuned"]["median"], "cores": os.cpu_count()})


def latency(runs, rate, data_dir, outfile):
    files = []
    for n, run in enumerate(runs):
        values = run["latencies_ms"]
        if not values:
            continue
        # The cumulative distribution at CDF_POINTS evenly spaced shares.
        rows = [(max(percentile(values, i / CDF_POINTS), 0.01), i / CDF_POINTS)
                for i in range(1, CDF_POINTS + 1)]
        title = latency_title(run)
        files.append(_write(os.path.join(data_dir, f"latency-{n}.tsv"), rows, header=title))
    _gnuplot("latency.gp", {"files": " ".join(files), "outfile": outfile, "rate": rate})


def memory(backlog, steady, data_dir, outfile):
    mib = 2**20
    backlog_file = _write(os.path.join(data_dir, "memory-backlog.tsv"),
                          [(t, rss / mib) for t, rss in backlog["rss_samples"]])
    steady_file = _write(os.path.join(data_dir, "memory-steady.tsv"),
                         [(t, rss / mib) for t, rss in steady["rss_samples"]])
    _gnuplot("memory.gp", {
        "backlog": backlog_file, "steady": steady_file, "outfile": outfile,
        "backlog_title": f"catching up {backlog['records']:,} records, {backlog['workers']} workers",
        "steady_title": f"steady load, {steady['rate']:,} records/s for {steady['seconds']:.0f} s",
    })
