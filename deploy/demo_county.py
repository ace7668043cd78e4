"""`python -m deploy.demo_county [--scale S]`: a county in mid-year for the demo, seeded once.

Run by `make run` after the organisation data, while the portal already answers. Everything
goes through the running services' APIs and the dispute workflows' updates (no rows written
behind their backs): open disputes in every stage, colour and township (some reported earlier
in the field and so already late), closed cases with their return visits, bookings over the
next two weeks, online applications, door-to-door requests, patrols, tips and redemptions.
Idempotent: a marker file under var/ records each finished part and a re-run skips it; within
the disputes part every case and workflow step carries a stable key, so after an interruption
a re-run starts the missing cases (a case already started stays where it got to).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from deploy.demo.desk import offices, seed_desk
from deploy.demo.disputes import CasePlan, plan, seed_disputes
from deploy.demo.points import seed_points
from deploy.demo.stack import Stack, open_stack
from shared.config import StackSettings
from shared.localtime import local_zone
from shared.logs import setup_logging

log = logging.getLogger("fengqiao.demo")
MARKER = "demo-county.json"
PARTS = ("disputes", "desk", "points")


def marker_path(var_dir: Path) -> Path:
    return var_dir / MARKER


def read_marker(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_marker(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(path)


async def seed(
    scale: float, *, var_dir: Path, force: bool = False, progress: bool = True
) -> dict[str, Any]:
    """Seed what the marker does not record as done; returns the marker's content."""
    path = marker_path(var_dir)
    done = {} if force else read_marker(path)
    todo = [p for p in PARTS if p not in done]
    if not todo:
        return done
    plans = plan(scale)
    total = (
        (2 * len(plans) if "disputes" in todo else 0)  # each case: reported, moved on
        + (len(offices(scale)) + 2 if "desk" in todo else 0)
        + (3 if "points" in todo else 0)
    )
    stack = await open_stack()
    bar = tqdm(total=total, desc="demo county", unit="step", disable=not progress)
    try:
        # the parts use different services: run them side by side
        await asyncio.gather(
            *(_part(name, stack, scale, plans, bar.update, done, path) for name in todo)
        )
    finally:
        bar.close()
        await stack.aclose()
    return done


async def _part(
    name: str,
    stack: Stack,
    scale: float,
    plans: list[CasePlan],
    progress: Callable[[int], None],
    done: dict[str, Any],
    path: Path,
) -> None:
    started = time.monotonic()
    result: Any
    if name == "disputes":
        result = await seed_disputes(stack, plans, progress=progress)
    elif name == "desk":
        today = datetime.now(local_zone()).date()
        result = await seed_desk(stack, scale, today=today, progress=progress)
    else:
        result = await seed_points(stack, scale, now=datetime.now(UTC), progress=progress)
    done[name] = {**asdict(result), "seconds": round(time.monotonic() - started, 1)}
    write_marker(path, done)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="1 = Guyuan's shape (~430 cases); 0.1 for tests"
    )
    parser.add_argument("--force", action="store_true", help="seed again even if marked done")
    args = parser.parse_args(argv)
    stack = StackSettings()
    setup_logging("demo-county", stack.log_level)
    started = time.monotonic()
    done = asyncio.run(seed(args.scale, var_dir=stack.var_dir, force=args.force))
    failures = sum(len(part.get("failures", [])) for part in done.values())
    log.info(
        "demo county seeded in %.0f s (%s); %d refusals",
        time.monotonic() - started,
        ", ".join(f"{k}: {v.get('seconds')} s" for k, v in done.items()),
        failures,
    )
    for part in done.values():
        for reason in part.get("failures", [])[:5]:
            log.warning("demo county: %s", reason)


if __name__ == "__main__":
    main()
