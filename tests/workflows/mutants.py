"""A copy of the dispute workflow's logic modules as a package of its own, with edits: what a
release would change. The activities stay the real ones (passed through the sandbox)."""

from __future__ import annotations

import importlib
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.workflows.corpus.files import REPO

SOURCE = REPO / "workflows" / "disputes"
LOGIC = (
    "workflow",
    "steps",
    "assignment",
    "timers",
    "calling",
    "actions",
    "rules_of_action",
    "types",
    "intake",
    "sandbox",
    "rollout",
    "notices",
)
Edits = dict[str, list[tuple[str, str]]]


@contextmanager
def mutants(root: Path) -> Iterator[Callable[[Edits], type]]:
    """Yields `make(edits) -> DisputeWorkflow class`; forgets the packages afterwards."""
    made: list[str] = []

    def make(edits: Edits) -> type:
        pkg = f"mutant_{uuid.uuid4().hex[:8]}"
        (root / pkg).mkdir()
        (root / pkg / "__init__.py").write_text("")
        for name in LOGIC:
            text = (SOURCE / f"{name}.py").read_text(encoding="utf-8")
            for module in LOGIC:
                text = text.replace(f"workflows.disputes.{module}", f"{pkg}.{module}")
            text = text.replace("from workflows.disputes import", f"from {pkg} import")
            for old, new in edits.get(name, []):
                assert old in text, f"{name}.py no longer holds {old!r}: update the mutation"
                text = text.replace(old, new)
            (root / pkg / f"{name}.py").write_text(text, encoding="utf-8")
        made.append(pkg)
        cls: type = importlib.import_module(f"{pkg}.workflow").DisputeWorkflow
        return cls

    sys.path.insert(0, str(root))
    try:
        yield make
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m.split(".")[0] in made]:
            del sys.modules[name]
