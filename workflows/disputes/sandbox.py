"""What the workflow needs to call the activities from inside the sandbox: their names and
result types. The activities module is passed through (it does I/O and is never replayed); a
result is decoded into the class of that name the workflow's own `types` module holds. The
disputes worker passes `types` through as well (worker.PASSED_THROUGH): then both are the same
class; a sandbox that imports `types` anew (a test's mutant copy) gets its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, get_type_hints

from temporalio import activity

from workflows.disputes import types


def activity_name(fn: Callable[..., Any]) -> str:
    name = activity._Definition.must_from_callable(fn).name
    assert name is not None
    return name


def in_sandbox(fn: Callable[..., Any]) -> type | None:
    """The activity's result type as the workflow knows it: the activities module is passed
    through the sandbox, the types are imported inside it, so its own class of that name."""
    hint = get_type_hints(fn).get("return")
    found = vars(types).get(getattr(hint, "__name__", ""), hint)
    return found if isinstance(found, type) else None
