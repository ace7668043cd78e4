"""Profiling a service subprocess with the standard library's cProfile.

Neither py-spy nor pyinstrument is in the locked environment. `python -m bench._profile
<module> <out.prof>` runs `python -m <module>` with a cProfile that SIGUSR1 switches on (after
start-up, so imports and migrations stay out of the picture) and SIGUSR2 stops and writes.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import runpy
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

# event-loop and server frames whose cumulative time is just "everything"
_LOOP = ("asyncio/", "uvicorn/", "runpy.py", "bench/_profile.py", "cProfile")


def profiled(module: str, out: Path) -> list[str]:
    """Command line running `python -m <module>` under a switchable profiler."""
    return [sys.executable, "-m", "bench._profile", module, str(out)]


def begin(proc: subprocess.Popen[bytes]) -> None:
    os.kill(proc.pid, signal.SIGUSR1)


def end(proc: subprocess.Popen[bytes], out: Path, timeout: float = 10.0) -> None:
    os.kill(proc.pid, signal.SIGUSR2)
    deadline = time.monotonic() + timeout
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.1)


def top(stats_file: Path, n: int = 12) -> dict[str, list[str]]:
    """Busiest functions by own time, and project/library functions by cumulative time."""
    try:
        st = pstats.Stats(str(stats_file), stream=io.StringIO())
    except (OSError, EOFError, ValueError) as exc:
        return {"error": [f"no usable profile: {exc!r}"]}
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, object]]
    raw = st.stats  # type: ignore[attr-defined]
    rows = [(tt, ct, nc, f) for f, (_cc, nc, tt, ct, _callers) in raw.items()]

    def fmt(tt: float, ct: float, nc: int, f: tuple[str, int, str]) -> str:
        file, line, name = f
        short = "/".join(Path(file).parts[-2:]) if file != "~" else ""
        return f"own {tt:6.2f}s cum {ct:6.2f}s calls {nc:>7}  {short}:{line}({name})"

    own = sorted(rows, key=lambda r: r[0], reverse=True)[:n]
    cum = sorted(
        (r for r in rows if r[3][0] != "~" and not any(x in r[3][0] for x in _LOOP)),
        key=lambda r: r[1],
        reverse=True,
    )[:n]
    total = float(st.total_tt)  # type: ignore[attr-defined]
    return {
        "profiled_cpu_seconds": [f"{total:.2f}"],
        "by_own_time": [fmt(*r) for r in own],
        "by_cumulative_time": [fmt(*r) for r in cum],
    }


def _main() -> None:
    module, out = sys.argv[1], sys.argv[2]
    prof = cProfile.Profile()

    def on(_sig: int, _frame: FrameType | None) -> None:
        prof.enable()

    def off(_sig: int, _frame: FrameType | None) -> None:
        prof.disable()
        prof.dump_stats(out + ".part")
        os.replace(out + ".part", out)  # the reader waits for `out`: never let it see half

    signal.signal(signal.SIGUSR1, on)
    signal.signal(signal.SIGUSR2, off)
    sys.argv = [module]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    _main()
