"""A case reported earlier in the field, through the portal's API: staff only, within limits,
refused with the field and the reason; accepted, the case keeps its field report date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.portal.disputes.conftest import Stack, intake_body


async def test_field_report_time_is_staff_only_and_within_limits(stack: Stack) -> None:
    now = datetime.now(UTC)
    resident = await stack.api("resident")
    body = {**intake_body(), "reported_in_field_at": (now - timedelta(days=2)).isoformat()}
    r = await resident.post("/api/v1/disputes", json=body)
    assert r.status_code == 422
    assert r.json() == {
        "detail": [
            {
                "field": "reported_in_field_at",
                "reason": "only staff may record a case reported earlier in the field",
                "type": "value_error",
            }
        ]
    }
    officer = await stack.api("officer")
    for at, reason in (
        (now + timedelta(hours=1), "must not be in the future"),
        (now - timedelta(days=31), "at most 30 days back"),
    ):
        r = await officer.post(
            "/api/v1/disputes", json={**intake_body(), "reported_in_field_at": at.isoformat()}
        )
        assert r.status_code == 422
        assert [(e["field"], e["reason"]) for e in r.json()["detail"]] == [
            ("reported_in_field_at", reason)
        ]
    field_at = now - timedelta(days=3)
    r = await officer.post(
        "/api/v1/disputes", json={**intake_body(), "reported_in_field_at": field_at.isoformat()}
    )
    assert r.status_code == 201, r.text
    case = await officer.get(r.json()["url"])
    for _ in range(50):
        if case.status_code == 200 and case.json().get("reported_at"):
            break
        case = await officer.get(r.json()["url"])
    reported = datetime.fromisoformat(case.json()["reported_at"])
    assert abs(reported.replace(tzinfo=reported.tzinfo or UTC) - field_at) < timedelta(seconds=1)
