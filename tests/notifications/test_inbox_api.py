"""The internal API the portal uses: inbox, unread count, read marks, preferences, status."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from services.notifications.service import record_event
from shared.db import transaction
from shared.messaging.contracts.points import PointsAwarded
from tests.helpers import eventually
from tests.notifications.conftest import ServiceFactory, Sink
from tests.notifications.people import EVERYONE, RESIDENT, RESIDENT_EN, reported
from tests.notifications.test_broker_delivery import settled


def award(entry: str) -> PointsAwarded:
    return PointsAwarded(
        account_id=RESIDENT.user_id, amount=10, balance=30, entry_id=entry, reason_kind="mediation"
    )


async def test_inbox_unread_count_and_read_marks(
    start_service: ServiceFactory, sink: Sink, sqlite_url: Callable[[str], str]
) -> None:
    service = await start_service(sqlite_url("n"))
    await service.add_users(*EVERYONE)
    events = [award("e1"), award("e2"), reported("green")]
    await service.publish(*events)
    for e, n in zip(events, (2, 2, 6), strict=True):
        await settled(service, e.event_id, expected=n)
    base = f"/internal/v1/users/{RESIDENT.user_id}"

    assert (await service.api.get(f"{base}/unread")).json() == {"unread": 3}
    page = (await service.api.get(f"{base}/inbox", params={"limit": 2})).json()
    assert page["total"] == 3 and len(page["items"]) == 2
    first = page["items"][0]
    assert first["reference"] == "GY-2026-0001" and first["read_at"] is None

    r = await service.api.post(f"{base}/inbox/{first['id']}/read")
    assert r.json() == {"unread": 2}
    unread = (await service.api.get(f"{base}/inbox", params={"unread_only": True})).json()
    assert [i["subject"] for i in unread["items"]] == ["获得10积分", "获得10积分"]

    # another user's message is not found, whatever its id
    other = f"/internal/v1/users/{RESIDENT_EN.user_id}"
    assert (await service.api.post(f"{other}/inbox/{first['id']}/read")).status_code == 404
    assert (await service.api.post(f"{base}/inbox/999999/read")).status_code == 404

    assert (await service.api.post(f"{base}/inbox/read-all")).json() == {"unread": 0}
    status = (
        await service.api.get("/internal/v1/deliveries", params={"recipient_id": RESIDENT.user_id})
    ).json()
    assert status["counts"] == {"queued": 0, "sent": 3, "failed": 0, "read": 3}
    assert {i["address"] for i in status["items"] if i["channel"] == "sms"} == {"138****0001"}


async def test_preferences_switch_channels_off_and_reject_bad_input(
    start_service: ServiceFactory, sink: Sink, sqlite_url: Callable[[str], str]
) -> None:
    service = await start_service(sqlite_url("n"))
    await service.add_users(*EVERYONE)
    url = f"/internal/v1/users/{RESIDENT.user_id}/preferences"
    defaults = (await service.api.get(url)).json()
    assert defaults["disabled"] == {} and defaults["kinds"] == [
        "case",
        "booking",
        "service",
        "points",
    ]

    body = {
        "disabled": {"points": ["sms"]},
        "quiet_enabled": True,
        "quiet_start_hour": 21,
        "quiet_end_hour": 8,
    }
    saved = (await service.api.put(url, json=body)).json()
    assert saved["disabled"] == {"points": ["sms"]} and saved["quiet_start_hour"] == 21
    # codes, one-time passwords and login warnings cannot be switched off
    refused = await service.api.put(url, json={**body, "disabled": {"account": ["sms"]}})
    assert refused.status_code == 422

    event = award("e9")
    await service.publish(event)
    found = await settled(service, event.event_id, expected=1)
    assert set(found) == {(RESIDENT.user_id, "inbox")}
    assert sink.received("sms", RESIDENT.phone) == []

    bad_kind = await service.api.put(url, json={**body, "disabled": {"gossip": ["sms"]}})
    assert bad_kind.status_code == 422
    assert bad_kind.json()["detail"][0]["loc"] == ["body", "disabled", "gossip"]
    bad_hour = await service.api.put(url, json={**body, "quiet_end_hour": 24})
    assert bad_hour.status_code == 422
    assert bad_hour.json()["detail"][0]["loc"] == ["body", "quiet_end_hour"]
    inbox_off = await service.api.put(url, json={**body, "disabled": {"case": ["inbox"]}})
    assert inbox_off.status_code == 422
    assert (await service.api.get(url, headers={"X-Fengqiao-Internal": "wrong"})).status_code == 401


async def test_delivery_key_holds_without_the_inbox(
    start_service: ServiceFactory, sink: Sink, db_url: str
) -> None:
    """With the broker-level dedupe bypassed, (event, recipient, channel) is still written once."""
    service = await start_service(db_url)
    await service.add_users(*EVERYONE)
    rt = service.runtime
    event = reported("red")
    counts = []
    for _ in range(2):
        async with transaction(rt.factory) as session:
            counts.append(
                await record_event(
                    session,
                    rules=rt.rules,
                    renderer=rt.renderer,
                    settings=rt.config,
                    event=event,
                    now=event.occurred_at,
                )
            )
    assert counts == [9, 0]
    rt.worker.wake()
    await settled(service, event.event_id, expected=9)
    await eventually(lambda: _one(sink.received("sms", RESIDENT.phone)))
    assert len(sink.received("sms", RESIDENT.phone)) == 1


async def _one(items: Sequence[object]) -> bool:
    return len(items) == 1
