"""A measured child process: its CPU seconds and peak RSS, and samples of
its resident set while it runs.

It runs under GNU time (/usr/bin/time, Debian's `time`), which reports
them for that one process. Reading them from wait4(2) here instead would
be wrong for the peak: Linux carries the peak RSS of the process that
forked a child into the child's (across its exec), so every child of this
Python process would show at least this process's own resident set. GNU
time is a 1 MiB process; its child carries nothing measurable."""

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field

GNU_TIME = "/usr/bin/time"
USAGE_FORMAT = "%U %S %M"  # user s, system s, peak RSS KiB


class BenchError(Exception):
    """A run that did not do what the benchmark needs: stop and say why."""


@dataclass
class Finished:
    args: list
    returncode: int
    stdout: str
    stderr: str
    cpu_seconds: float
    peak_rss_bytes: int
    wall_seconds: float
    rss_samples: list = field(default_factory=list)  # (seconds since start, bytes)


def check_gnu_time():
    if not os.access(GNU_TIME, os.X_OK):
        raise BenchError(f"{GNU_TIME} is missing: install Debian's 'time' "
                         "(scripts/install-deps.sh)")


def memory_status(pid, field="VmRSS"):
    """A memory figure of a live process in bytes (VmRSS: its resident set
    now; VmHWM: the largest it has been), or None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def cpu_seconds_of(pid):
    """User plus system CPU seconds a live process has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime


def _only_child(pid):
    """The pid of the one child of `pid`, or None while it has none."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            pids = children.read().split()
    except FileNotFoundError:
        return None
    return int(pids[0]) if pids else None


class Child:
    """Starts `args` under GNU time, stdout and stderr in files of `folder`."""

    def __init__(self, args, folder, name, env=None):
        self.args = [str(a) for a in args]
        self.stdout_path = os.path.join(folder, f"{name}.out")
        self.stderr_path = os.path.join(folder, f"{name}.err")
        self.usage_path = os.path.join(folder, f"{name}.usage")
        full_env = dict(os.environ)
        full_env.update(env or {})
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                [GNU_TIME, "-o", self.usage_path, "-f", USAGE_FORMAT, *self.args],
                stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=full_env)
        self.started = time.monotonic()
        self._target = None
        self.samples = []

    @property
    def pid(self):
        """The measured process (GNU time's child), once it exists."""
        if self._target is None:
            deadline = time.monotonic() + 5
            while self._target is None and time.monotonic() < deadline:
                self._target = _only_child(self.proc.pid)
                if self._target is None:
                    if self.proc.poll() is not None:
                        return None
                    time.sleep(0.001)
        return self._target

    def stderr_text(self):
        with open(self.stderr_path, errors="replace") as err:
            return err.read()

    def sample_rss(self):
        pid = self.pid
        rss = memory_status(pid) if pid else None
        if rss is not None:
            self.samples.append((time.monotonic() - self.started, rss))
        return rss

    def peak_rss_so_far(self):
        pid = self.pid
        return memory_status(pid, "VmHWM") if pid else None

    def running(self):
        return self.proc.poll() is None

    def send(self, sig=signal.SIGTERM):
        """Signal the measured process (GNU time passes no signal on)."""
        pid = self.pid
        if pid and self.proc.poll() is None:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def _kill(self):
        self.send(signal.SIGKILL)
        self.proc.kill()
        self.proc.wait()

    def wait(self, timeout, sample_every=None):
        """Wait for the exit, sampling the RSS every `sample_every` s if
        asked; kill the child and raise BenchError after `timeout` s."""
        deadline = time.monotonic() + timeout
        next_sample = time.monotonic()
        while self.proc.poll() is None:
            now = time.monotonic()
            if now > deadline:
                self._kill()
                raise BenchError(f"{' '.join(self.args)}: still running after {timeout:.0f} s; "
                                 f"killed. stderr:\n{self.stderr_text()[-2000:]}")
            if sample_every and now >= next_sample:
                self.sample_rss()
                next_sample = now + sample_every
            time.sleep(0.01)
        wall = time.monotonic() - self.started
        with open(self.stdout_path, errors="replace") as out:
            stdout = out.read()
        with open(self.usage_path) as usage:
            # A line saying how the command ended may come first.
            user, system, peak_kib = usage.read().strip().splitlines()[-1].split()
        return Finished(
            args=self.args,
            returncode=self.proc.returncode,
            stdout=stdout,
            stderr=self.stderr_text(),
            cpu_seconds=float(user) + float(system),
            peak_rss_bytes=int(peak_kib) * 1024,
            wall_seconds=wall,
            rss_samples=self.samples,
        )

    def stop(self, timeout=20):
        """SIGTERM, then wait (killing after `timeout` s)."""
        self.send(signal.SIGTERM)
        return self.wait(timeout)


def checked(finished, what):
    """`finished`, or BenchError when it exited non-zero."""
    if finished.returncode != 0:
        raise BenchError(f"{what} exited {finished.returncode}: {' '.join(finished.args)}\n"
                         f"{finished.stderr[-3000:]}")
    return finished
