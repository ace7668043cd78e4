"""`make bench`: every benchmark's `main(argv)` in turn (`--quick` is passed through).

`python -m bench.run_all [--quick] [--only NAME ...]`; each module also runs alone as
`python -m bench.<name>`. A benchmark that fails is reported and the others still run.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback

from bench.common import say

BENCHMARKS = (
    "lifecycle",
    "year_of_guyuan",
    "booking",
    "events",
    "read_paths",
    "open_loop",
    "memory",
)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    p.add_argument("--only", nargs="*", choices=BENCHMARKS, help="run only these")
    args = p.parse_args(argv)
    names = args.only or list(BENCHMARKS)
    passthrough = ["--quick"] if args.quick else []
    failed: list[str] = []
    for name in names:
        say(f"\n### bench.{name} {' '.join(passthrough)}")
        started = time.monotonic()
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"bench.{name}":
                raise
            say(f"bench.{name}: not written yet, skipped")
            continue
        try:
            rc = module.main(passthrough)
        except Exception:
            traceback.print_exc()
            rc = 1
        if rc:
            failed.append(name)
        say(f"### bench.{name}: {'FAILED' if rc else 'done'} in {time.monotonic() - started:.0f} s")
    if failed:
        say(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
