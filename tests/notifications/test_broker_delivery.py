"""Events over the real broker become deliveries on the right channels, exactly once."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from services.notifications.models import Delivery
from shared.messaging.contracts.disputes import DisputeEscalated
from tests.helpers import eventually
from tests.notifications.conftest import Service, ServiceFactory, Sink
from tests.notifications.people import (
    ADMIN,
    CHIEF,
    EVERYONE,
    LEADER,
    OTHER_CHIEF,
    OTHER_ID,
    OTHER_PARTY,
    OTHER_PHONE,
    RESIDENT,
    RESIDENT_EN,
    reported,
)


async def rows(service: Service, event_id: str) -> dict[tuple[str, str], Delivery]:
    async with service.runtime.factory() as s:
        found = await s.scalars(select(Delivery).where(Delivery.event_id == event_id))
        return {(d.recipient_id, d.channel): d for d in found}


async def settled(
    service: Service, event_id: str, expected: int
) -> dict[tuple[str, str], Delivery]:
    """Wait until `expected` deliveries exist for the event and none is still queued."""

    async def check() -> dict[tuple[str, str], Delivery] | None:
        found = await rows(service, event_id)
        done = len(found) == expected and all(d.status != "queued" for d in found.values())
        return found if done else None

    result: dict[tuple[str, str], Delivery] = await eventually(check)
    return result


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_red_dispute_reaches_parties_chief_group_and_bot(
    backend: str,
    start_service: ServiceFactory,
    sink: Sink,
    sqlite_url: Callable[[str], str],
    pg_url: Callable[[], str],
) -> None:
    service = await start_service(sqlite_url("n") if backend == "sqlite" else pg_url())
    await service.add_users(*EVERYONE)
    event = reported("red")
    await service.publish(event)

    found = await settled(service, event.event_id, expected=9)
    assert set(found) == {
        (RESIDENT.user_id, "inbox"),
        (RESIDENT.user_id, "sms"),
        (RESIDENT_EN.user_id, "inbox"),
        (RESIDENT_EN.user_id, "sms"),
        (CHIEF.user_id, "inbox"),
        (CHIEF.user_id, "sms"),
        (CHIEF.user_id, "email"),
        ("station:S1", "bot"),
        (LEADER.user_id, "inbox"),
    }
    assert not any(r == OTHER_CHIEF.user_id for r, _ in found)
    assert {d.status for d in found.values()} == {"sent"}
    assert all(d.urgent for d in found.values())

    # what the people actually received
    [sms_zh] = sink.received("sms", RESIDENT.phone)
    [sms_en] = sink.received("sms", RESIDENT_EN.phone)
    assert "GY-2026-0001" in sms_zh.body and "受理" in sms_zh.body
    assert "received" in sms_en.body
    for text in (sms_zh.body, sms_en.body):
        for secret in (OTHER_PARTY, OTHER_PHONE, OTHER_ID):
            assert secret not in text
    [chief_sms] = sink.received("sms", CHIEF.phone)
    assert "红色" in chief_sms.body
    [mail] = sink.received("email", CHIEF.email)
    assert "GY-2026-0001" in mail.subject
    assert "139****5678" in mail.body and OTHER_PHONE not in mail.body
    [bot] = sink.received("bot", "S1")
    assert "GY-2026-0001" in bot.body
    assert sink.received("sms", OTHER_CHIEF.phone) == []


async def test_same_event_delivered_twice_sends_once(
    start_service: ServiceFactory, sink: Sink, sqlite_url: Callable[[str], str]
) -> None:
    service = await start_service(sqlite_url("n"))
    await service.add_users(*EVERYONE)
    event = reported("yellow")
    await service.publish(event, event)
    await settled(service, event.event_id, expected=6)
    assert service.runtime.consumer is not None
    await eventually(lambda: _handled(service, 2))

    assert len(sink.received("sms", RESIDENT.phone)) == 1
    assert len(sink.received("sms", RESIDENT_EN.phone)) == 1
    inbox = (await service.api.get(f"/internal/v1/users/{RESIDENT.user_id}/inbox")).json()
    assert inbox["total"] == 1 and inbox["unread"] == 1


async def _handled(service: Service, n: int) -> bool:
    consumer = service.runtime.consumer
    return consumer is not None and consumer.handled >= n + len(EVERYONE)


async def test_smtp_failure_retries_then_fails_and_a_retry_after_the_fix_sends(
    start_service: ServiceFactory, sink: Sink, sqlite_url: Callable[[str], str]
) -> None:
    closed = "mailto://127.0.0.1:9?from=noreply@fengqiao.local&to={to}&mode=insecure"
    service = await start_service(sqlite_url("n"), smtp_url=closed)
    await service.add_users(*EVERYONE)
    event = reported("red")
    await service.publish(event)
    found = await settled(service, event.event_id, expected=9)

    mail = found[(CHIEF.user_id, "email")]
    assert mail.status == "failed"
    assert mail.attempts == 3  # first try + one per backoff step (0.2 s, 0.2 s)
    assert mail.last_error
    assert found[(CHIEF.user_id, "sms")].status == "sent"  # one broken channel spares the rest
    page = (await service.api.get("/internal/v1/deliveries", params={"status": "failed"})).json()
    assert page["total"] == 1 and page["counts"]["failed"] == 1
    assert page["items"][0]["address"] == "c***@police.example.cn"

    # the operator fixes the mail URL (here: points it at the sink's SMTP server) and retries
    service.runtime.worker.sender.urls["email"] = (  # type: ignore[attr-defined]
        f"mailto://127.0.0.1:{sink.smtp_port}?from=noreply@fengqiao.local&to={{to}}&mode=insecure"
    )
    r = await service.api.post(f"/internal/v1/deliveries/{mail.id}/retry")
    assert r.status_code == 200
    await eventually(lambda: _status(service, mail.id, "sent"))
    [received] = sink.received("email", CHIEF.email)
    assert "GY-2026-0001" in received.subject
    again = await service.api.post(f"/internal/v1/deliveries/{mail.id}/retry")
    assert again.status_code == 409


async def _status(service: Service, delivery_id: int, status: str) -> bool:
    async with service.runtime.factory() as s:
        row = await s.get(Delivery, delivery_id)
        return row is not None and row.status == status


def escalated(level: str, case_no: str) -> DisputeEscalated:
    return DisputeEscalated(
        case_id=f"case-{case_no}",
        case_no=case_no,
        colour="yellow",
        stage="assignment",
        village_code="V1",
        station_code="S1",
        reason="not accepted after 3 officers",
        chief_id=CHIEF.user_id,
        level=level,
    )


async def test_a_case_escalated_to_the_county_reaches_the_county_duty_desk(
    start_service: ServiceFactory, sink: Sink, sqlite_url: Callable[[str], str]
) -> None:
    service = await start_service(sqlite_url("n"))
    await service.add_users(*EVERYONE, ADMIN)
    county, station = escalated("county", "GY-2026-0901"), escalated("station", "GY-2026-0902")
    await service.publish(county, station)
    found = await settled(service, county.event_id, expected=6)
    assert {k for k in found if k[0] == ADMIN.user_id} == {
        (ADMIN.user_id, "inbox"),
        (ADMIN.user_id, "sms"),
    }
    assert found[(ADMIN.user_id, "inbox")].urgent
    [sms] = sink.received("sms", ADMIN.phone)
    assert "GY-2026-0901" in sms.body
    # a station-level escalation stays with the station
    other = await settled(service, station.event_id, expected=4)
    assert not any(r == ADMIN.user_id for r, _ in other)
