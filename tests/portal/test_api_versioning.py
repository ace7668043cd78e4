"""The versioning policy of /api/v1 (README): nothing a client uses disappears from the
published schema unless it was marked deprecated first, and deprecated operations announce
their end with `Deprecation` and `Sunset` headers."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.portal.api_snapshot import SNAPSHOT, breaking_changes, live_schema, operations


@pytest.fixture(scope="module")
def published() -> dict[str, Any]:
    snapshot: dict[str, Any] = json.loads(SNAPSHOT.read_text())
    return snapshot


@pytest.fixture(scope="module")
def live() -> dict[str, Any]:
    return live_schema()


def test_live_schema_keeps_everything_the_committed_snapshot_published(
    published: dict[str, Any], live: dict[str, Any]
) -> None:
    assert breaking_changes(published, live) == []
    missing = set(operations(live)) - set(operations(published))
    assert not missing, (
        f"operations not in {SNAPSHOT.name} yet: {sorted(missing)}; "
        "refresh it: .venv/bin/python -m tests.portal.api_snapshot"
    )


def test_removing_an_operation_or_a_field_is_caught_unless_deprecated_first(
    published: dict[str, Any],
) -> None:
    new = copy.deepcopy(published)
    del new["paths"]["/api/v1/disputes/{case_id}"]["get"]
    del new["components"]["schemas"]["CaseView"]["properties"]["colour"]
    new["components"]["schemas"]["DisputeCreate"]["required"].append("households")
    assert breaking_changes(published, new) == [
        "operation GET /api/v1/disputes/{case_id} removed without being deprecated first",
        "field CaseView.colour removed without being deprecated first",
        "field DisputeCreate.households became required in a request",
    ]
    # the deprecated alias may go (after its Sunset date); a field marked deprecated too
    old = copy.deepcopy(published)
    old["components"]["schemas"]["CaseView"]["properties"]["colour"]["deprecated"] = True
    new = copy.deepcopy(old)
    del new["paths"]["/api/v1/disputes/{case_id}/actions/{action}"]
    del new["components"]["schemas"]["CaseView"]["properties"]["colour"]
    assert breaking_changes(old, new) == []


def test_the_generic_action_path_is_a_documented_deprecated_alias(live: dict[str, Any]) -> None:
    ops = operations(live)
    alias = ops["POST /api/v1/disputes/{case_id}/actions/{action}"]
    assert alias["deprecated"] is True
    assert "Sunset" in alias["description"] and "Deprecation" in alias["description"]
    accept = ops["POST /api/v1/disputes/{case_id}/accept"]
    assert not accept.get("deprecated")
    assert accept["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AcceptInput"
    }
