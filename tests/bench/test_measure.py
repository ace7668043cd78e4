"""The benchmarks' CPU accounting: each named process once, a started stack not counted twice."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from bench._measure import cpu_window

SPIN = "import time\nend = time.process_time() + 0.6\nwhile time.process_time() < end: pass\n"


def test_a_load_generator_does_not_count_the_stack_it_started() -> None:
    """The child spins ~0.6 CPU-s while this process sleeps: named on its own, it is counted
    under its name and not again under this process's."""
    child = subprocess.Popen([sys.executable, "-c", SPIN + "time.sleep(30)"])
    try:
        with cpu_window({"load-generator": os.getpid(), "stack": child.pid}, 0) as w:
            time.sleep(1.5)
    finally:
        child.kill()
        child.wait()
    assert w.processes["stack"] >= 0.4
    assert w.processes["load-generator"] < 0.2


def test_a_process_alone_counts_its_descendants() -> None:
    """A server with workers (a wrapper and its child) is one named process."""
    child = subprocess.Popen([sys.executable, "-c", SPIN + "time.sleep(30)"])
    try:
        with cpu_window({"server": os.getpid()}, 0) as w:
            time.sleep(1.5)
    finally:
        child.kill()
        child.wait()
    assert w.processes["server"] >= 0.4
