"""The published schema of /api/v1, as committed (tests/portal/openapi_v1.json), and what may
change between it and the live one (README, "Versioning of /api/v1").

Refresh the snapshot after adding an operation or a field, so they are protected too:
`.venv/bin/python -m tests.portal.api_snapshot`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from services.portal.api import create_app
from shared.config import PortalSettings

SNAPSHOT = Path(__file__).with_name("openapi_v1.json")
METHODS = ("get", "put", "post", "delete", "patch")


def live_schema() -> dict[str, Any]:
    app = create_app(PortalSettings(database_url="sqlite+aiosqlite:///:memory:"))
    doc: dict[str, Any] = app.openapi()
    return doc


def operations(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": op
        for path, ops in doc.get("paths", {}).items()
        for method, op in ops.items()
        if method in METHODS
    }


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            yield ref.rsplit("/", 1)[1]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def request_schemas(doc: dict[str, Any]) -> set[str]:
    """Component schemas a client sends (reachable from a request body or a parameter)."""
    schemas = doc.get("components", {}).get("schemas", {})
    todo = [
        name
        for op in operations(doc).values()
        for name in _refs([op.get("requestBody", {}), op.get("parameters", [])])
    ]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(_refs(schemas.get(name, {})))
    return seen


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What `new` takes away from clients of `old` without having announced it: an operation,
    a parameter or a field gone although `old` did not mark it deprecated; a parameter or a
    request field that became required."""
    found: list[str] = []
    old_ops, new_ops = operations(old), operations(new)
    for name, op in old_ops.items():
        now = new_ops.get(name)
        if now is None:
            if not op.get("deprecated"):
                found.append(f"operation {name} removed without being deprecated first")
            continue
        params = {(p["in"], p["name"]): p for p in now.get("parameters", [])}
        for p in op.get("parameters", []):
            if (p["in"], p["name"]) not in params and not p.get("deprecated"):
                found.append(f"parameter {p['name']} of {name} removed")
        before = {(p["in"], p["name"]) for p in op.get("parameters", []) if p.get("required")}
        for key, p in params.items():
            if p.get("required") and key not in before and key[0] != "path":
                found.append(f"parameter {p['name']} of {name} became required")
    old_schemas = old.get("components", {}).get("schemas", {})
    new_schemas = new.get("components", {}).get("schemas", {})
    sent = request_schemas(new)
    for name, schema in old_schemas.items():
        now = new_schemas.get(name)
        if now is None:
            if not schema.get("deprecated"):
                found.append(f"schema {name} removed")
            continue
        props = now.get("properties", {})
        for field, spec in schema.get("properties", {}).items():
            if field not in props and not spec.get("deprecated"):
                found.append(f"field {name}.{field} removed without being deprecated first")
        if name in sent:
            for field in set(now.get("required", [])) - set(schema.get("required", [])):
                found.append(f"field {name}.{field} became required in a request")
    return found


def write_snapshot() -> None:
    SNAPSHOT.write_text(json.dumps(live_schema(), indent=1, sort_keys=True, ensure_ascii=False))


if __name__ == "__main__":
    write_snapshot()
    sys.stdout.write(f"wrote {SNAPSHOT}\n")
