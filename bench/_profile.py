"""Sampling a running process with py-spy (a dev dependency): nothing in the process changes.

`begin(proc, out)` attaches `py-spy record` (100 samples/s, non-blocking, idle stacks left
out, so the samples are where the CPU goes) to a running process; `end(proc)` stops it and
py-spy writes the collapsed stacks to `out`; `top(out)` turns them into the busiest functions
by own samples and the project's functions by inclusive samples. `window(procs, dir)` does the
same for several processes at once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

PY_SPY = str(Path(sys.executable).with_name("py-spy"))
RATE = 100
_PROJECT = ("shared/", "services/", "workflows/")
# a thread parked in these is waiting, not working (py-spy's idle test misses some of them)
_WAITING = (
    "EpollSelector.select",
    "Condition.wait",
    "_worker (futures/thread.py",
    "Event.wait",
    "(aiosqlite/core.py:59)",  # aiosqlite's thread parked in `tx.get()` (aiosqlite 0.22)
)
_running: dict[int, subprocess.Popen[bytes]] = {}


def begin(proc: subprocess.Popen[bytes], out: Path) -> None:
    """Start sampling `proc` into `out` (collapsed stacks) until `end(proc)`."""
    args = [PY_SPY, "record", "--pid", str(proc.pid), "--format", "raw", "-o", str(out)]
    args += ["--rate", str(RATE), "--nonblocking"]
    log_path = out.with_suffix(".log")
    log = log_path.open("wb")
    _running[proc.pid] = spy = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    # a Ctrl-C before py-spy has attached ends it with no file (a short pass was never profiled)
    started = time.monotonic()
    while spy.poll() is None and time.monotonic() - started < 10:
        if b"Sampling process" in log_path.read_bytes():
            return
        time.sleep(0.05)


def end(proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    spy = _running.pop(proc.pid, None)
    if spy is None:
        return
    if spy.poll() is None:
        os.kill(spy.pid, signal.SIGINT)  # py-spy writes its file on Ctrl-C
    try:
        spy.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        spy.kill()


@contextmanager
def window(
    procs: Mapping[str, subprocess.Popen[bytes]], out_dir: Path
) -> Iterator[dict[str, Path]]:
    """Sample every process of `procs` while the block runs: `{name: collapsed-stacks file}`."""
    files = {name: out_dir / f"{name}.pyspy.txt" for name in procs}
    for name, proc in procs.items():
        if proc.poll() is None:
            begin(proc, files[name])
    try:
        yield files
    finally:
        for proc in procs.values():
            end(proc)


def _short(frame: str) -> str:
    # "name (path/to/file.py:123)" → "name (to/file.py:123)"
    name, _, where = frame.partition(" (")
    parts = where.rstrip(")").split("/")
    return f"{name} ({'/'.join(parts[-2:])})" if where else name


def top(stacks_file: Path, n: int = 12) -> dict[str, list[str]]:
    """Busiest functions by own samples, project functions by inclusive samples, and the
    project line nearest to each sample (where the work was done for), as shares of the
    samples where the process was working (waiting in the event loop left out)."""
    started = time.monotonic()
    while not stacks_file.exists() and time.monotonic() - started < 10:
        time.sleep(0.1)
    try:
        lines = stacks_file.read_text(errors="replace").splitlines()
    except OSError as exc:
        return {"error": [f"no usable profile: {exc!r}"]}
    own: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    nearest: Counter[str] = Counter()
    total = 0
    for line in lines:
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        k = int(count)
        frames = stack.split(";")
        leaf = _short(frames[-1])
        if any(w in leaf for w in _WAITING):
            continue
        total += k
        own[leaf or "(native code)"] += k
        ours = [f for f in frames if any(p in f for p in _PROJECT)]
        for f in set(ours):
            incl[_short(f)] += k
        # the project line the work was done for (its library calls beneath counted to it)
        nearest[_short(ours[-1]) if ours else "(outside the project: event loop, SDK)"] += k
    if not total:
        return {"error": ["no samples (the process was idle or had exited)"]}

    def fmt(items: list[tuple[str, int]]) -> list[str]:
        return [f"{100 * k / total:5.1f}%  {f}" for f, k in items]

    return {
        "busy_seconds_sampled": [f"{total / RATE:.1f}"],
        "by_own_samples": fmt(own.most_common(n)),
        "project_by_inclusive_samples": fmt(incl.most_common(n)),
        "by_nearest_project_line": fmt(nearest.most_common(n)),
    }
