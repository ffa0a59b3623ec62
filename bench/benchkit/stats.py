"""Summaries of repeated measurements."""

import math
import statistics


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of an ascending list (fraction 0..1)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def summarize(runs):
    """{system: median, min and max of records/s; median CPU seconds per
    record; the largest peak RSS}, over the Runs of each system."""
    by_system = {}
    for run in runs:
        by_system.setdefault(run.system, []).append(run)
    summary = {}
    for system, system_runs in by_system.items():
        rates = [r.records_per_second for r in system_runs]
        summary[system] = {
            "repeats": len(system_runs),
            "median": statistics.median(rates),
            "min": min(rates),
            "max": max(rates),
            "cpu_seconds_per_record": statistics.median(r.cpu_seconds / r.records
                                                        for r in system_runs),
            "peak_rss_bytes": max(r.peak_rss_bytes for r in system_runs),
        }
    return summary


def least_squares_slope(points):
    """Slope of the least-squares line through [(x, y)]."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread
