"""The README's headline table is the one the committed benchmark results produce (no
benchmark is run here: the check reads bench/results/*.json)."""

from __future__ import annotations

import json
from pathlib import Path

from bench import report
from bench.common import headline, spread
from tests.conftest import REPO


def test_readme_headline_table_matches_the_committed_results() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert report.section(text) == report.render(), "run: .venv/bin/python -m bench.report"


def test_each_row_shows_its_figures_spread_goal_and_the_run_it_comes_from(tmp_path: Path) -> None:
    record = {
        "benchmark": "booking",
        "finished_at": "2026-12-01T10:00:00+00:00",
        "git": {"commit": "0123456789abcdef", "dirty": False},
        "machine": {"loadavg_1_5_15_before": [3.5, 2.0, 1.0]},
        "headline": [
            headline(
                path="booking endpoint",
                fengqiao="400 req/s",
                baseline="conditional UPDATE 800 req/s",
                ratio=spread([0.45, 0.5, 0.55]),
                goal="≥ 0.5",
                met=True,
                cpu="2 ms vs 1 ms",
            ),
            headline(
                path="idle stack",
                fengqiao="1,700 MiB",
                baseline="—",
                ratio=None,
                goal="< 1,536 MiB",
                met=False,
                order=1,
            ),
        ],
    }
    (tmp_path / "booking.json").write_text(json.dumps(record))
    lines = report.render(tmp_path).splitlines()
    assert lines[2] == (
        "| idle stack | 1,700 MiB | — | — | < 1,536 MiB ✗ | — |"
        " `booking.json` 01234567, 2026-12-01, load 3.5 |"
    )
    assert lines[3].startswith(
        "| booking endpoint | 400 req/s | conditional UPDATE 800 req/s | 0.50 (0.45–0.55) | ≥ 0.5 ✓"
    )
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{report.BEGIN}\nold table\n{report.END}\nrest\n")
    assert report.rewrite(readme, tmp_path) is True
    assert report.section(readme.read_text()) == report.render(tmp_path)
    assert readme.read_text().endswith(f"{report.END}\nrest\n")
    assert report.rewrite(readme, tmp_path) is False
