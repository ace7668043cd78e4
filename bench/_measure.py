"""How every benchmark measures: repetitions with their spread, whole-machine CPU from
/proc/stat beside per-process CPU, resident memory per process, and the headline rows the
README's table is generated from (`python -m bench.report`).

Whole-machine CPU counts PostgreSQL, RabbitMQ, the Temporal server and the load generator,
which per-process figures miss; the machine is shared, so the busy rate measured just before
a window (`background_cores`) is reported with it and subtracted in `machine_cpu_ms_per_op`.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_TICK = os.sysconf("SC_CLK_TCK")
REPETITIONS = 3


# --- repetitions ---------------------------------------------------------------------------


def spread(values: Sequence[float], digits: int = 4) -> dict[str, Any]:
    """min / median / max of one figure over the repetitions, and each run's value."""
    vals = [float(v) for v in values]
    if not vals:
        return {"min": float("nan"), "median": float("nan"), "max": float("nan"), "runs": []}
    return {
        "min": round(min(vals), digits),
        "median": round(statistics.median(vals), digits),
        "max": round(max(vals), digits),
        "runs": [round(v, digits) for v in vals],
    }


def pick(data: Mapping[str, Any], path: str) -> Any:
    """`pick(run, "service.latency_ms.p95")`: a nested value by its dotted path."""
    value: Any = data
    for part in path.split("."):
        value = value[part]
    return value


def spreads(runs: Sequence[Mapping[str, Any]], paths: Sequence[str]) -> dict[str, Any]:
    """`{path: spread}` of each dotted path over the repetitions `runs`."""
    return {p: spread([float(pick(r, p)) for r in runs]) for p in paths}


def repeat(n: int, run: Callable[[int], dict[str, Any]]) -> list[dict[str, Any]]:
    """`run(i)` for i in 0..n-1, one after the other (the machine is too small for overlap)."""
    return [run(i) for i in range(n)]


# --- CPU -----------------------------------------------------------------------------------


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has been busy since boot, all cores (idle, iowait out)."""
    with open("/proc/stat") as f:
        fields = f.readline().split()
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[1:9])
    return (user + nice + system + irq + softirq + steal) / _TICK


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def tree(pid: int, stop: Collection[int] = ()) -> list[int]:
    """`pid` and its live descendants (a server with workers, a wrapper and its child), not
    going into `stop` (processes counted on their own: the stack a load generator started)."""
    kids = _children()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(k for k in kids.get(p, []) if k not in stop)
    return out


def process_cpu_seconds(pid: int, stop: Collection[int] = ()) -> float:
    """User + system CPU of `pid` and its live descendants so far (0 once it has gone); the
    descendants in `stop`, and theirs, are left out."""
    total = 0.0
    for p in tree(pid, stop):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / _TICK
    return total


def background_cores(seconds: float = 2.0) -> float:
    """How many cores the rest of the machine keeps busy right now (sampled for `seconds`)."""
    b0, t0 = machine_busy_seconds(), time.perf_counter()
    time.sleep(seconds)
    return (machine_busy_seconds() - b0) / (time.perf_counter() - t0)


@dataclass
class CpuWindow:
    """CPU used while a block ran: the whole machine and each named process."""

    pids: Mapping[str, int]
    background: float = 0.0
    wall: float = 0.0
    machine: float = 0.0
    processes: dict[str, float] = field(default_factory=dict)

    def per_op(self, ops: int) -> dict[str, Any]:
        """CPU milliseconds per operation: the machine's (raw and with the background busy
        rate taken out) and each process's, with the machine's load around the window."""
        if ops <= 0:
            return {"operations": ops}
        net = max(0.0, self.machine - self.background * self.wall)
        return {
            "operations": ops,
            "wall_seconds": round(self.wall, 2),
            "background_cores_before": round(self.background, 3),
            "machine_cpu_ms_per_op": round(1000 * net / ops, 3),
            "machine_cpu_ms_per_op_raw": round(1000 * self.machine / ops, 3),
            "process_cpu_ms_per_op": {
                k: round(1000 * v / ops, 3)
                for k, v in sorted(self.processes.items(), key=lambda kv: -kv[1])
            },
        }


@contextmanager
def cpu_window(pids: Mapping[str, int], sample_background: float = 2.0) -> Iterator[CpuWindow]:
    """Each named process with its descendants, except those named too: a load generator that
    started the stack it drives counts its own CPU, not the stack's a second time."""
    w = CpuWindow(pids, background=background_cores(sample_background) if sample_background else 0)
    roots = set(pids.values())

    def used(pid: int) -> float:
        return process_cpu_seconds(pid, stop=roots - {pid})

    before = {k: used(p) for k, p in pids.items()}
    m0, t0 = machine_busy_seconds(), time.perf_counter()
    try:
        yield w
    finally:
        w.wall = time.perf_counter() - t0
        w.machine = machine_busy_seconds() - m0
        w.processes = {k: used(p) - before[k] for k, p in pids.items()}


# --- memory --------------------------------------------------------------------------------


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_mib(pid: int) -> dict[str, float]:
    """Resident memory of `pid` and its descendants now, and the peak each reached (VmHWM)."""
    pids = tree(pid)
    now = sum(_status_kb(p, "VmRSS") for p in pids)
    peak = sum(_status_kb(p, "VmHWM") for p in pids)
    return {"rss_mib": round(now / 1024, 1), "peak_rss_mib": round(peak / 1024, 1)}


def rss_of(pids: Mapping[str, int]) -> dict[str, dict[str, float]]:
    return {name: rss_mib(pid) for name, pid in pids.items()}


def rss_by_name(fragment: str) -> dict[str, float]:
    """Summed RSS of the machine's processes whose command line holds `fragment` (a shared
    PostgreSQL or RabbitMQ: they are not ours to start, but their memory counts too)."""
    now = peak = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if fragment in cmd:
            now += _status_kb(int(entry), "VmRSS")
            peak += _status_kb(int(entry), "VmHWM")
    return {"rss_mib": round(now / 1024, 1), "peak_rss_mib": round(peak / 1024, 1)}


# --- headline rows -------------------------------------------------------------------------


def headline(
    *,
    path: str,
    fengqiao: str,
    baseline: str,
    ratio: Mapping[str, Any] | None,
    goal: str,
    met: bool,
    cpu: str = "",
    order: int = 50,
) -> dict[str, Any]:
    """One row of the README's table of headline ratios (`python -m bench.report`); `ratio`
    is a `spread` (its median is the figure, min-max the range), None where there is none."""
    return {
        "order": order,
        "path": path,
        "fengqiao": fengqiao,
        "baseline": baseline,
        "ratio": dict(ratio) if ratio is not None else None,
        "goal": goal,
        "met": met,
        "cpu_per_op": cpu,
    }
