"""CPU seconds used by a process (Linux /proc): a per-request cost that, unlike requests/s,
does not depend on how busy the rest of the machine is."""

from __future__ import annotations

import os

_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of `pid` so far (its threads included, children not)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # after the ")" closing the command name: state is field 0, utime 11, stime 12
    return (int(fields[11]) + int(fields[12])) / _TICK
