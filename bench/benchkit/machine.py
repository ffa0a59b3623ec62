"""What the results were measured on: the machine, the software, the source."""

import os
import platform
import resource
import subprocess
import time

import confluent_kafka


def _first_line(args):
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return (out.stdout.strip() or out.stderr.strip() or "unknown").splitlines()[0]


def _cpu_model():
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib():
    with open("/proc/meminfo") as info:
        for line in info:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    return 0.0


def _os_release():
    try:
        with open("/etc/os-release") as release:
            for line in release:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except FileNotFoundError:
        pass
    return platform.system()


def _source_revision(source_dir):
    commit = _first_line(["git", "-C", source_dir, "rev-parse", "--short", "HEAD"])
    status = subprocess.run(["git", "-C", source_dir, "status", "--porcelain", "--untracked-files=no"],
                            capture_output=True, text=True, timeout=10)
    if status.returncode != 0:
        return "unknown (not a git checkout)"
    return commit + (" with uncommitted changes" if status.stdout.strip() else "")


def load_average():
    """The 1, 5 and 15 minute load averages, as /proc/loadavg has them."""
    with open("/proc/loadavg") as load:
        return " ".join(load.read().split()[:3])


def _busy_cpu_seconds():
    """CPU seconds the whole machine has spent busy since boot."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds():
    """CPU seconds of this process and of every child it has waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class OtherLoad:
    """How much CPU the rest of the machine used while the benchmark ran:
    the machine's busy time less the benchmark's own processes'."""

    def __init__(self):
        self.started = time.monotonic()
        self.busy = _busy_cpu_seconds()
        self.own = _own_cpu_seconds()

    def measure(self):
        wall = time.monotonic() - self.started
        other = (_busy_cpu_seconds() - self.busy) - (_own_cpu_seconds() - self.own)
        return {"wall_seconds": wall, "core_seconds": wall * os.cpu_count(),
                "other_cpu_seconds": other}


def describe(pipehost, source_dir):
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": round(_memory_gib(), 1),
        "os": _os_release(),
        "kernel": platform.release(),
        "librdkafka": confluent_kafka.libversion()[0],
        "confluent_kafka": confluent_kafka.version()[0],
        "python": platform.python_version(),
        "pipehost": _first_line([pipehost, "--version"]),
        "source": _source_revision(source_dir),
        "load_before": load_average(),
    }
