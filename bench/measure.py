"""One whole process measured: wall time, CPU seconds, peak memory. Standard library only.

- wall: from spawn to exit;
- CPU seconds: user + system of the whole process tree, from `os.wait4`'s
  rusage, which counts the process and every descendant it waited for (a
  worker pool that is joined, a post-generation hook run with
  `subprocess.run`). A descendant orphaned before it exits is counted too:
  this process makes itself a child subreaper (Linux `prctl`), so orphans are
  re-parented to it, and it reaps them after the measured process exits;
- peak memory, two ways: the largest resident set of any one process
  (`ru_maxrss`, which on Linux starts from the launching process's own peak,
  so the caller keeps itself small), and the whole tree's: the largest sum,
  over the tree's processes, of each one's proportional set size (PSS, from
  `/proc/PID/smaps_rollup`: pages shared between a process and the workers it
  forked count once, split between them, where a sum of RSS would count them
  in each), sampled every `TREE_INTERVAL` seconds by a thread of this process.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Seconds between two samples of the tree's memory. Each sample reads one
#: small /proc file per process (about 1 ms of CPU for a 100 MiB process).
TREE_INTERVAL = 0.1
PR_SET_CHILD_SUBREAPER = 36


@dataclass(frozen=True, slots=True)
class Run:
    """One measured process tree and its outcome."""

    wall_s: float
    peak_kib: int  # the largest resident set of one process (ru_maxrss)
    cpu_s: float = 0.0  # user + system, the whole tree
    tree_kib: int = 0  # peak sum of PSS over the tree; 0 when not sampled
    orphans: int = 0  # descendants orphaned before they exited, reaped here
    error: str | None = None  # first useful line of the failure, None if it succeeded

    @property
    def ok(self) -> bool:
        return self.error is None


def become_subreaper() -> bool:
    """Make orphaned descendants re-parent to this process (Linux only)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def error_line(text: str) -> str:
    """The line that best says why a process failed: a traceback's last line,
    else the first line that is not a warning."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return "no output"
    if any(line.startswith("Traceback (most recent call last)") for line in lines):
        return lines[-1][:200]
    for line in lines:
        if "Warning" not in line and not line.startswith("warn"):
            return line[:200]
    return lines[0][:200]


def descendants(root: int) -> list[int]:
    """Every living descendant of `root` (children of each of its threads)."""
    found: list[int] = []
    pending = [root]
    while pending:
        pid = pending.pop()
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{pid}/task/{task}/children") as handle:
                    children = [int(child) for child in handle.read().split()]
            except (OSError, ValueError):
                continue
            found += children
            pending += children
    return found


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class TreeSampler(threading.Thread):
    """Samples the summed PSS of this process's descendants until stopped.

    Every descendant of this process counts: while a measurement runs, the
    measured tree (and, this process being a subreaper, its orphans) is all
    there is."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_kib = 0
        self.cpu_s = 0.0  # this thread's own CPU time: what sampling cost
        self._halt = threading.Event()

    def run(self) -> None:
        start = time.thread_time()
        me = os.getpid()
        while True:
            total = sum(_pss_kib(pid) for pid in descendants(me))
            self.peak_kib = max(self.peak_kib, total)
            if self._halt.wait(TREE_INTERVAL):
                break
        self.cpu_s = time.thread_time() - start

    def stop(self) -> None:
        self._halt.set()
        self.join()


def measure(
    argv: Sequence[str],
    *,
    cwd: Path,
    path_prefix: Path,
    timeout: float,
    env_overrides: Mapping[str, str] | None = None,
    cpus: frozenset[int] | None = None,
    tree: bool = True,
) -> tuple[Run, float]:
    """Run `argv` to completion; its measurements, and the CPU seconds the
    memory sampling cost this process. `cpus` pins the tree to those CPUs
    (as `taskset -c` would); `tree` samples the tree's memory."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env["PATH"] = f"{path_prefix}{os.pathsep}{env.get('PATH', '')}"
    env.update(env_overrides or {})
    # The child inherits the affinity of the thread that starts it.
    previous = os.sched_getaffinity(0) if cpus else None
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        if cpus:
            os.sched_setaffinity(0, cpus)
        try:
            start = time.perf_counter()
            proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        finally:
            if previous is not None:
                os.sched_setaffinity(0, previous)
        sampler = TreeSampler() if tree else None
        if sampler is not None:
            sampler.start()
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            cpu = usage.ru_utime + usage.ru_stime
            peak = int(usage.ru_maxrss)
            # Orphans re-parented here: reaped, and their CPU counted.
            orphans = 0
            while True:
                try:
                    _, _, orphan = os.wait4(-1, 0)
                except ChildProcessError:
                    break
                orphans += 1
                cpu += orphan.ru_utime + orphan.ru_stime
                peak = max(peak, int(orphan.ru_maxrss))
        finally:
            timer.cancel()
            if sampler is not None:
                sampler.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
        tree_kib = sampler.peak_kib if sampler is not None else 0
        cost = sampler.cpu_s if sampler is not None else 0.0
        error = None
        if timed_out.is_set():
            error = f"timed out after {timeout:g} s"
        elif proc.returncode != 0:
            err.seek(0)
            out.seek(0)
            text = err.read().decode(errors="replace") or out.read().decode(
                errors="replace"
            )
            error = f"exit {proc.returncode}: {error_line(text)}"
        return Run(wall, peak, cpu, tree_kib, orphans, error), cost
