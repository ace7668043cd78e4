"""The appointments service's domain modules take the session their caller opened and never
open one (README, "Who opens the unit of work"): no session factory, no begin, no commit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import services.appointments as package

HERE = Path(package.__file__).parent
# the entry points: they open and commit the units of work
ENTRY_POINTS = {"api.py", "consumer.py", "deps.py", "main.py", "runner.py", "seed.py"}
DOMAIN = sorted(
    p.name
    for p in HERE.glob("*.py")
    if p.name not in ENTRY_POINTS and not p.name.startswith(("routes", "__"))
)
OPENS = re.compile(r"factory\(|sessionmaker|\btransaction\(|\.begin\(|\.commit\(|\.rollback\(")


def test_the_domain_modules_are_the_ones_expected() -> None:
    assert {"bookings.py", "desk_admin.py", "refit.py", "staff.py", "jobs.py"} <= set(DOMAIN)


@pytest.mark.parametrize("module", DOMAIN)
def test_a_domain_module_never_opens_a_unit_of_work(module: str) -> None:
    found = [
        f"{module}:{n}: {line.strip()}"
        for n, line in enumerate((HERE / module).read_text().splitlines(), start=1)
        if OPENS.search(line)
    ]
    assert found == []
