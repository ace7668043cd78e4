"""Every reason the backend services can send to the portal, collected from their source.

A reason is an English string literal or f-string that is raised (an argument of an
exception, its `detail=`, or a `"msg"` in it), passed as `reason=` / `why=` / `note=`, given to
`escalate(...)`, or assigned to a variable named `reason` / `why`. The f-string's source
(`f"the case is already {state.colour}"` -> `the case is already {state.colour}`) is the
template the portal's catalogue translates.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = {
    "appointments": ["services/appointments"],
    "points": ["services/points"],
    "disputes": ["services/disputes", "workflows/disputes"],
    "home_visits": ["workflows/home_visits"],
}
KEYWORDS = {"reason", "why", "note"}
CALLS_WITH_REASON = {"escalate": 1}  # escalate(state, reason, ...)


def template_of(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        out = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                out.append(str(part.value))
            elif isinstance(part, ast.FormattedValue):
                conv = {-1: "", 114: "!r", 115: "!s", 97: "!a"}[part.conversion]
                out.append("{" + ast.unparse(part.value) + conv + "}")
        return "".join(out)
    return None


def _literals(node: ast.expr) -> list[str]:
    """Literals inside `payload.note or "default"` / `a if c else "b"` too."""
    if isinstance(node, ast.BoolOp):
        return [t for v in node.values for t in _literals(v)]
    if isinstance(node, ast.IfExp):
        return _literals(node.body) + _literals(node.orelse)
    t = template_of(node)
    return [t] if t is not None else []


def _is_int(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, int)


def _func_name(call: ast.Call) -> str:
    f = call.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def reasons_in(tree: ast.AST) -> list[str]:
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            # Error(reason, ...), HTTPException(409, reason) or HTTPException(..., detail=reason)
            texts = [a for a in node.exc.args if not _is_int(a)][:1]
            found += [t for a in texts for t in _literals(a)]
            found += [t for k in node.exc.keywords if k.arg == "detail" for t in _literals(k.value)]
            # detail=[{"loc": [...], "msg": reason}]
            found += [
                t
                for d in ast.walk(node.exc)
                if isinstance(d, ast.Dict)
                for k, v in zip(d.keys, d.values, strict=True)
                if isinstance(k, ast.Constant) and k.value == "msg"
                for t in _literals(v)
            ]
        elif isinstance(node, ast.Call):
            found += [t for k in node.keywords if k.arg in KEYWORDS for t in _literals(k.value)]
            pos = CALLS_WITH_REASON.get(_func_name(node))
            if pos is not None and len(node.args) > pos:
                found += _literals(node.args[pos])
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in KEYWORDS - {"note"} for t in node.targets
        ):
            found += _literals(node.value)
    return found


def is_text(template: str) -> bool:
    """Something to translate: words outside the placeholders."""
    import re

    return bool(re.search(r"[A-Za-z]{2,}", re.sub(r"\{[^{}]+\}", "", template)))


def service_reasons() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for service, dirs in SOURCES.items():
        found: set[str] = set()
        for d in dirs:
            for path in sorted((ROOT / d).glob("*.py")):
                found |= {t for t in reasons_in(ast.parse(path.read_text())) if is_text(t)}
        out[service] = found
    return out
