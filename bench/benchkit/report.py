"""RESULTS.md and results.json from a run's results, and its plots.

RESULTS.md is generated whole, except its "## Analysis" section: the text
after that heading in an existing RESULTS.md is kept, since it is written
by people reading the figures."""

import json
import os

from . import plots
from .catchup import BENCH_DIR, PREFETCH
from .latency import latency_title
from .stats import percentile

MIB = 2**20
ANALYSIS_HEADING = "## Analysis"

# The targets for pipehost.
TARGET_RATE = 1_000_000
TARGET_OVER_SEED_TUNED = 3.0
TARGET_OF_CEILING = 0.40
TARGET_P99_MS = 15.0
TARGET_CPU_SHARE_OF_SEED = 0.5
TARGET_PEAK_RSS_BYTES = 150e6
# "Flat": over the settled part of the steady load, the RSS grows by less
# than this share and this slope.
FLAT_GROWTH_SHARE = 0.05
FLAT_SLOPE_BYTES_PER_MINUTE = 1 * MIB



def _quotient(numerator, denominator, form):
    """numerator / denominator in form, or "n/a" when the denominator is 0
    (a smoke run's tiny peer can measure 0.00 CPU seconds)."""
    return form.format(numerator / denominator) if denominator else "n/a"

def latency_line(run):
    values = run["latencies_ms"]
    return (f"{run['arrived']:,} results timed, p50 {percentile(values, 0.50):.1f} ms, "
            f"p95 {percentile(values, 0.95):.1f} ms, p99 {percentile(values, 0.99):.1f} ms, "
            f"max {values[-1]:.1f} ms")


def steady_line(steady):
    return (f"RSS {steady['rss_settled_bytes'] / MIB:.1f} MiB after "
            f"{steady['settle_seconds']:.0f} s, {steady['rss_end_bytes'] / MIB:.1f} MiB at the end, "
            f"slope {steady['slope_bytes_per_minute'] / MIB:+.2f} MiB/min")


def _shown(args, results):
    """A command line as a reader can rerun it: paths relative to the
    source folder, the broker's address as $KAFKA_BROKERS."""
    source = os.path.dirname(BENCH_DIR) + os.sep
    bootstrap = results["broker"]["bootstrap"]
    words = []
    for arg in args:
        arg = str(arg).replace(bootstrap, "$KAFKA_BROKERS")
        words.append(arg[len(source):] if arg.startswith(source) else arg)
    return " ".join(words)


def _rate(value):
    return f"{value:,.0f}"


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _labels(results):
    return {s["key"]: s["label"] for s in results["systems"]}


def _pipehost_keys(results):
    return [s["key"] for s in results["systems"] if s["kind"] == "pipehost"]


def _best_pipehost(results):
    summary = results["summary"]
    return max(_pipehost_keys(results), key=lambda k: summary[k]["median"])


def _setup(results):
    m = results["machine"]
    s = results["settings"]
    backlog, big = results["backlog"], results["memory_backlog"]
    counts = backlog["partition_counts"]
    return f"""Measured {results['date']}, in {results['duration_seconds'] / 60:.1f} minutes, by
`bench/run.sh{' --smoke' if results['mode'] == 'smoke' else ''}` (which builds, then runs
`/usr/bin/python3 bench/bench.py {_shown(results['argv'], results)}`).

| | |
|---|---|
| machine | {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB |
| system | {m['os']}, Linux {m['kernel']} |
| other load | load average {m['load_before']} (1, 5, 15 min) before the run; during it, processes other than the benchmark's used about {max(0, results['other_load']['other_cpu_seconds']):.0f} CPU s of the {results['other_load']['core_seconds']:.0f} core-seconds it lasted ({max(0, results['other_load']['other_cpu_seconds']) / results['other_load']['core_seconds'] * 100:.1f}%; the machine's busy time from /proc/stat less the benchmark's processes' CPU, good to a few percent) |
| software | {m['pipehost']}, source {m['source']}; librdkafka {m['librdkafka']}; python3-confluent-kafka {m['confluent_kafka']} on Python {m['python']} |
| broker | `{_shown(results['broker']['args'], results)}`: librdkafka's mock cluster in its own process on 127.0.0.1, sharing the {m['cores']} cores with whatever is measured |
| backlog | {backlog['records']:,} clickstream events (`{_shown(backlog['produce']['args'], results)}`: lz4 batches, keyed by user), {len(counts)} partitions holding {min(counts):,} to {max(counts):,} records; every low watermark 0 (the broker's 5 MiB-per-partition retention dropped nothing) |
| large backlog | {big['records']:,} events the same way (seed 1) into another topic, low watermarks 0 |

Every run is a new process in a new consumer group reading from the
earliest offset. Records/s count from the first record's arrival to the
last record's end of processing (pipehost's own figure: its log line
"... in S s from the first record (R records/s)"); the ~3 s the broker
takes to form a new group come before the first record and are not
counted. CPU seconds (user + system) and peak RSS are the process's own
over its whole life, as GNU time reports them (not from wait4 in the
benchmark's Python process: Linux would count that process's resident set
into every child's peak). The ceiling and the tuned seed use
pipehost's prefetch defaults ({', '.join(f'{k}={v}' for k, v in PREFETCH.items())});
the default seed uses librdkafka's (100000, 65536), whose fixed one-second
fetch backoff in 2.0 caps a consumer slower than its fetches.
{s['repeats']} repeats of each system, in alternation."""


def _catchup(results):
    summary, labels = results["summary"], _labels(results)
    rows = []
    for key, s in summary.items():
        rows.append((labels[key], _rate(s["median"]), _rate(s["min"]), _rate(s["max"]),
                     f"{s['cpu_seconds_per_record'] * 1e6:.2f}",
                     f"{s['peak_rss_bytes'] / MIB:.0f}"))
    main = _table(("system", "median records/s", "min", "max", "CPU µs per record",
                   "peak RSS, MiB"), rows)
    peers = [k for k in summary if k not in _pipehost_keys(results)]
    ratio_rows = []
    for key in _pipehost_keys(results):
        ratio_rows.append([key] + [_quotient(summary[key]['median'], summary[p]['median'], "{:.2f}×")
                                   for p in peers])
    ratios = _table(["pipehost median ÷ peer median"] + peers, ratio_rows)
    cpu_rows = []
    for key in _pipehost_keys(results):
        cpu_rows.append([key] + [_quotient(summary[key]['cpu_seconds_per_record'],
                                           summary[p]['cpu_seconds_per_record'], "{:.2f}")
                                 for p in peers])
    cpu = _table(["pipehost CPU per record ÷ peer's"] + peers, cpu_rows)
    run_rows = [(r["repeat"], r["system"], _rate(r["records_per_second"]), f"{r['seconds']:.3f}",
                 f"{r['cpu_seconds']:.2f}", f"{r['peak_rss_bytes'] / MIB:.0f}",
                 f"{r['wall_seconds']:.1f}", f"{r['broker_cpu_seconds']:.2f}")
                for r in results["runs"]]
    runs = _table(("repeat", "system", "records/s", "first to last record, s", "CPU s",
                   "peak RSS, MiB", "process wall time, s", "broker CPU s"), run_rows)
    return f"""{main}

{ratios}

{cpu}

<details><summary>Every run, in the order they ran</summary>

{runs}

</details>"""


def _latency(results):
    runs = results["latency"]
    first = runs[0]
    rows = []
    for run in runs:
        v = run["latencies_ms"]
        rows.append((latency_title(run), f"{run['arrived']:,}", run["missing"],
                     f"{percentile(v, 0.5):.1f}", f"{percentile(v, 0.95):.1f}",
                     f"{percentile(v, 0.99):.1f}", f"{v[-1]:.1f}",
                     f"{run['producer_max_behind_ms']:.1f}",
                     f"{run['consumer_cpu_seconds'] / run['seconds'] * 100:.0f}%",
                     f"{run['broker_cpu_seconds'] / run['seconds'] * 100:.0f}%"))
    table = _table(("run", "results timed", "missing", "p50 ms", "p95 ms", "p99 ms", "max ms",
                    "producer behind schedule, max ms", "consumer CPU, % of a core",
                    "broker CPU, % of a core"), rows)
    return f"""A Python producer (`bench/peers/latency_producer.py`, confluent-kafka,
linger.ms {first['linger_ms']}) sends {first['rate']:,} records/s for {first['seconds']:.0f} s into a
topic of {results['settings']['latency_partitions']} partitions of its own while the consumer,
already assigned every partition, reads it with `fetch.wait.max.ms: {first.get('fetch_wait_ms', 10)}`
(the embedded broker holds an empty fetch for the whole wait). Each
record's send time is taken on CLOCK_MONOTONIC just before `produce()`;
the benchmark tails the consumer's output file every millisecond and
takes, on the same clock, the time each result's line appears. A latency
is the difference: the producer's batching (up to the linger), the
broker, the fetch, the processing and the write.

- floor: `bench_ceiling --follow` writes every record to its file as soon
  as librdkafka hands it over, with no pipeline: what the producer, the
  broker, librdkafka and the measurement cost before pipehost does
  anything. It runs the json_filter run's records.
- json_filter (`bench/pipelines/page-views-latency.yaml`, {first['workers'] or results['latency'][-1]['workers']} workers):
  clickstream events, two in three of them views; each view passed on is
  timed.
- IoT alerts (`bench/pipelines/iot-alerts-latency.yaml`, the processor and
  rules of configs/iot.yaml): 200 devices whose temperature alternates
  between 35 and 20, so every other reading of a device raises an alert;
  each alert is timed from the send of the reading it echoes (device and
  `ts`, the send time in epoch milliseconds).

pipehost's file sink writes each batch out as it is processed and syncs
the file at each flush of the commit protocol, every `commit_interval_ms`:
the shipped 1000 and the least pipehost accepts, 10, are both measured, to
show what the flush costs the records waiting behind it. The producer,
the benchmark's reader, the broker and the consumer share the machine's
cores.

{table}"""


def _memory(results):
    backlog = results["memory"]["backlog"]
    steady = results["memory"]["steady"]
    partitions = results["settings"]["steady_partitions"]
    return f"""**Catching up {backlog['records']:,} records** (the clickstream pipeline,
{backlog['workers']} workers, the topic of {results['settings']['partitions']} partitions preloaded at the start):
peak RSS **{backlog['peak_rss_bytes'] / MIB:.0f} MiB** ({backlog['peak_rss_bytes'] / 1e6:.0f} MB), at
{_rate(backlog['records_per_second'])} records/s, {backlog['cpu_seconds'] / backlog['records'] * 1e6:.2f} CPU µs per record.

**Steady load**: `pipehost produce --profile clickstream --rate {steady['rate']}` for
{steady['seconds']:.0f} s ({steady['records']:,} records, every one consumed) into a topic of
{partitions} partitions, read by the same pipeline ({steady['workers']} workers), its RSS sampled
every second:

| RSS after {steady['settle_seconds']:.0f} s | at the end | highest sample from {steady['settle_seconds']:.0f} s on | slope from {steady['settle_seconds']:.0f} s on (least squares) | peak (VmHWM) by the end of the load | peak over the process's life | pipehost CPU | broker CPU |
|---|---|---|---|---|---|---|---|
| {steady['rss_settled_bytes'] / MIB:.1f} MiB | {steady['rss_end_bytes'] / MIB:.1f} MiB | {steady['rss_max_settled_bytes'] / MIB:.1f} MiB | {steady['slope_bytes_per_minute'] / MIB:+.3f} MiB/min | {steady['peak_rss_by_load_end_bytes'] / MIB:.1f} MiB | {steady['peak_rss_bytes'] / MIB:.1f} MiB | {steady['cpu_seconds'] / steady['records'] * 1e6:.1f} µs per record | {steady['broker_cpu_seconds'] / steady['produce_seconds'] * 100:.0f}% of a core |

Why {partitions} partitions: the embedded broker looks a fetched offset up by
walking the partition's batches from the oldest, so its CPU grows with
the number of batches it holds. `pipehost produce --rate` sends small
batches (linger 10 ms); over 24 partitions, 10,000 records/s make ~4-record
batches that pile up for minutes before the 5 MiB retention trims them,
and the broker alone came to use a whole core after ~2 minutes, leaving
too little for the consumer on 2 cores (measured: pipehost fell behind
after 120 s; `bench_ceiling` kept up while the broker's CPU rose the
same way). With {partitions} partitions the batches are 6 times larger,
retention caps the list within a minute, and the broker's share stays
flat."""


def _targets(results):
    summary = results["summary"]
    best = _best_pipehost(results)
    rate = summary[best]["median"]
    cpu = summary[best]["cpu_seconds_per_record"]
    seed_cpu = min(summary["seed-default"]["cpu_seconds_per_record"],
                   summary["seed-tuned"]["cpu_seconds_per_record"])
    backlog = results["memory"]["backlog"]
    steady = results["memory"]["steady"]
    growth = (steady["rss_end_bytes"] - steady["rss_settled_bytes"]) / steady["rss_settled_bytes"]
    flat = growth < FLAT_GROWTH_SHARE and steady["slope_bytes_per_minute"] < FLAT_SLOPE_BYTES_PER_MINUTE

    def met(ok):
        return "yes" if ok else "**no**"

    rows = [
        ("≥ 1,000,000 records/s catch-up", f"{_rate(rate)} ({best})", met(rate >= TARGET_RATE)),
        ("≥ 3× the tuned seed", f"{rate / summary['seed-tuned']['median']:.2f}×",
         met(rate >= TARGET_OVER_SEED_TUNED * summary["seed-tuned"]["median"])),
        ("≥ 40% of the ceiling", f"{rate / summary['ceiling']['median'] * 100:.0f}%",
         met(rate >= TARGET_OF_CEILING * summary["ceiling"]["median"])),
    ]
    for run in results["latency"]:
        if run["commit_interval_ms"] is None:
            continue
        p99 = percentile(run["latencies_ms"], 0.99)
        rows.append((f"p99 ≤ 15 ms at {run['rate']:,}/s", f"{p99:.1f} ms ({latency_title(run)})",
                     met(p99 <= TARGET_P99_MS)))
    rows += [
        ("CPU per record ≤ half the seed's", f"{cpu * 1e6:.2f} µs vs {seed_cpu * 1e6:.2f} µs "
         "(the leaner seed): " + _quotient(cpu, seed_cpu, "{:.2f}"), met(cpu <= TARGET_CPU_SHARE_OF_SEED * seed_cpu)),
        (f"peak RSS < 150 MB catching up {backlog['records']:,}",
         f"{backlog['peak_rss_bytes'] / 1e6:.0f} MB", met(backlog["peak_rss_bytes"] < TARGET_PEAK_RSS_BYTES)),
        ("RSS flat under steady load", f"{growth * 100:+.1f}% from {steady['settle_seconds']:.0f} s to "
         f"the end, {steady['slope_bytes_per_minute'] / MIB:+.2f} MiB/min", met(flat)),
    ]
    return (_table(("target", "measured", "met"), rows) +
            f"\n\npipehost's figures here are its best worker count ({best}). \"Flat\": "
            f"less than {FLAT_GROWTH_SHARE:.0%} growth and less than "
            f"{FLAT_SLOPE_BYTES_PER_MINUTE / MIB:.0f} MiB/min once settled.")


def _plots(plot_names):
    if not plot_names:
        return "No plots (gnuplot was not installed)."
    captions = {
        "throughput.png": "Backlog catch-up per system",
        "workers.png": "pipehost catch-up against workers",
        "latency.png": "Latency distribution",
        "memory.png": "pipehost RSS: large backlog, steady load",
    }
    return "\n\n".join(f"![{captions[name]}](plots/{name})" for name in plot_names)


def plot(results, scratch, plot_dir):
    data_dir = os.path.join(scratch, "plot-data")
    os.makedirs(data_dir, exist_ok=True)
    summary = results["summary"]
    workers = [s["workers"] for s in results["systems"] if s["kind"] == "pipehost"]
    plots.throughput(summary, data_dir, os.path.join(plot_dir, "throughput.png"))
    plots.workers(summary, workers, data_dir, os.path.join(plot_dir, "workers.png"))
    plots.latency(results["latency"], results["settings"]["latency_rate"], data_dir,
                  os.path.join(plot_dir, "latency.png"))
    plots.memory(results["memory"]["backlog"], results["memory"]["steady"], data_dir,
                 os.path.join(plot_dir, "memory.png"))
    results["plots"] = ["throughput.png", "workers.png", "latency.png", "memory.png"]


def _kept_analysis(path):
    try:
        with open(path) as old:
            text = old.read()
    except FileNotFoundError:
        return None
    at = text.find("\n" + ANALYSIS_HEADING + "\n")
    return text[at + len(ANALYSIS_HEADING) + 2:].strip() if at >= 0 else None


def _without_samples(results):
    """results.json: everything but the raw latencies and RSS samples."""
    slim = dict(results)
    slim["latency"] = [{k: v for k, v in run.items() if k != "latencies_ms"}
                       for run in results["latency"]]
    slim["memory"] = {name: {k: v for k, v in part.items() if k != "rss_samples"}
                      for name, part in results["memory"].items()}
    return slim


def write(results, out):
    path = os.path.join(out, "RESULTS.md")
    analysis = _kept_analysis(path) or "_Not written for this run yet._"
    smoke = ("\n> A smoke run: sizes far too small for these figures to mean anything; "
             "it checks that the benchmark works.\n" if results["mode"] == "smoke" else "")
    text = f"""# pipehost benchmark results
{smoke}
{_setup(results)}

## Against the targets

{_targets(results)}

## Backlog catch-up

{_catchup(results)}

## Latency at {results['settings']['latency_rate']:,} records/s

{_latency(results)}

## Memory

{_memory(results)}

## Plots

{_plots(results.get('plots'))}

{ANALYSIS_HEADING}

{analysis}
"""
    with open(path, "w") as out_file:
        out_file.write(text)
    with open(os.path.join(out, "results.json"), "w") as out_file:
        json.dump(_without_samples(results), out_file, indent=1)
        out_file.write("\n")
