"""Where the history corpus lives and how it is guarded: one folder per workflow and release,
never rewritten; every file's SHA-256 in SHA256SUMS (`sha256sum -c` from the repository root)."""

from __future__ import annotations

import hashlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
ROOT = REPO / "tests" / "workflows" / "histories"
SUMS = ROOT / "SHA256SUMS"
# the first recordings (before the corpus had versions): replayed and guarded, never moved
LEGACY = REPO / "tests" / "workflows" / "disputes" / "histories"
WORKFLOWS = ("disputes", "home_visits")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def relative(path: Path) -> str:
    return path.resolve().relative_to(REPO).as_posix()


def history_files(workflow: str) -> list[Path]:
    """Every recorded history of one workflow, oldest release first."""
    legacy = sorted(LEGACY.glob("*.json")) if workflow == "disputes" else []
    return legacy + sorted((ROOT / workflow).glob("*/*.json"))


def versions(workflow: str) -> list[str]:
    return sorted(p.name for p in (ROOT / workflow).glob("*") if p.is_dir())


def read_sums() -> dict[str, str]:
    if not SUMS.exists():
        return {}
    sums: dict[str, str] = {}
    for line in SUMS.read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[name.strip()] = digest
    return sums


def append_sums(paths: list[Path]) -> None:
    """Add the new files' lines; existing lines are never rewritten."""
    known = read_sums()
    lines = [f"{sha256(p)}  {relative(p)}\n" for p in paths if relative(p) not in known]
    with SUMS.open("a", encoding="utf-8") as out:
        out.writelines(lines)
