"""Quiet hours defer non-urgent messages (not urgent ones); busy officers get a digest."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from services.notifications.models import Delivery
from services.notifications.service import next_window, quiet_until
from shared.messaging.contracts.disputes import DisputeAssigned
from tests.helpers import eventually
from tests.notifications.conftest import ServiceFactory, Sink
from tests.notifications.people import CHIEF, EVERYONE, OFFICER, RESIDENT, reported
from tests.notifications.test_broker_delivery import settled

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_quiet_window_spanning_midnight() -> None:
    at = datetime(2026, 11, 28, 23, 30, tzinfo=SHANGHAI)
    assert quiet_until(at, 22, 7, SHANGHAI) == datetime(2026, 11, 29, 7, 0, tzinfo=SHANGHAI)
    early = datetime(2026, 11, 29, 6, 59, tzinfo=SHANGHAI)
    assert quiet_until(early, 22, 7, SHANGHAI) == datetime(2026, 11, 29, 7, 0, tzinfo=SHANGHAI)
    assert quiet_until(datetime(2026, 11, 29, 7, 0, tzinfo=SHANGHAI), 22, 7, SHANGHAI) is None
    assert quiet_until(datetime(2026, 11, 29, 13, 0, tzinfo=SHANGHAI), 12, 14, SHANGHAI) == (
        datetime(2026, 11, 29, 14, 0, tzinfo=SHANGHAI)
    )
    assert quiet_until(at, 0, 0, SHANGHAI) is None


async def test_quiet_hours_defer_green_case_but_not_red(
    start_service: ServiceFactory, sink: Sink, sqlite_url: Callable[[str], str]
) -> None:
    hour = datetime.now(SHANGHAI).hour
    service = await start_service(
        sqlite_url("n"), quiet_start_hour=hour, quiet_end_hour=(hour + 1) % 24
    )
    await service.add_users(*EVERYONE)
    green, red = reported("green", "GY-2026-0002"), reported("red", "GY-2026-0003")
    await service.publish(green)

    async def green_rows() -> dict[tuple[str, str], Delivery] | None:
        async with service.runtime.factory() as s:
            found = list(
                await s.scalars(select(Delivery).where(Delivery.event_id == green.event_id))
            )
        return {(d.recipient_id, d.channel): d for d in found} if len(found) == 6 else None

    deferred = (await eventually(green_rows))[(RESIDENT.user_id, "sms")]
    await service.publish(red)
    await settled(service, red.event_id, expected=9)

    # the red case's SMS went out at night; the green one waits for the end of quiet hours
    bodies = [m.body for m in sink.received("sms", RESIDENT.phone)]
    assert len(bodies) == 1 and "GY-2026-0003" in bodies[0]
    assert deferred.status == "queued" and deferred.deferred
    end = datetime.now(SHANGHAI).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    assert deferred.next_attempt_at.astimezone(UTC) == end.astimezone(UTC)
    # the inbox is silent, so it is never deferred
    inbox = (await service.api.get(f"/internal/v1/users/{RESIDENT.user_id}/inbox")).json()
    assert [i["reference"] for i in inbox["items"]] == ["GY-2026-0003", "GY-2026-0002"]

    # at the end of quiet hours the deferred SMS is delivered
    await service.runtime.worker.run_once(end.astimezone(UTC) + timedelta(seconds=1))
    assert any("GY-2026-0002" in m.body for m in sink.received("sms", RESIDENT.phone))


async def test_officer_gets_one_digest_for_many_non_urgent_messages(
    start_service: ServiceFactory, sink: Sink, sqlite_url: Callable[[str], str]
) -> None:
    service = await start_service(sqlite_url("n"), digest_window_minutes=30)
    await service.add_users(*EVERYONE)
    now = datetime.now(UTC)
    events = [
        DisputeAssigned(
            case_id=f"c{i}",
            case_no=f"GY-2026-01{i:02d}",
            colour="green",
            stage="assigned",
            village_code="V1",
            station_code="S1",
            assignee_id=OFFICER.user_id,
        )
        for i in range(4)
    ]
    urgent = DisputeAssigned(
        case_id="c9",
        case_no="GY-2026-0199",
        colour="red",
        stage="assigned",
        village_code="V1",
        station_code="S1",
        assignee_id=OFFICER.user_id,
    )
    await service.publish(*events, urgent)

    async def officer_sms() -> list[Delivery] | None:
        async with service.runtime.factory() as s:
            found = list(
                await s.scalars(
                    select(Delivery).where(
                        Delivery.recipient_id == OFFICER.user_id, Delivery.channel == "sms"
                    )
                )
            )
        return found if len(found) == 5 else None

    async def urgent_sent() -> bool:
        found = await officer_sms()
        return found is not None and any(r.status == "sent" for r in found)

    # the red case's SMS is not held back for the digest
    await eventually(urgent_sent)
    [alone] = sink.received("sms", OFFICER.phone)
    assert "GY-2026-0199" in alone.body

    window = next_window(now, 30)
    await service.runtime.worker.run_once(window + timedelta(seconds=1))
    received = sink.received("sms", OFFICER.phone)
    assert len(received) == 2
    digest = received[0]
    assert "4" in digest.body and all(f"GY-2026-01{i:02d}" in digest.body for i in range(4))
    rows = await officer_sms()
    assert rows is not None
    assert sorted(r.digested for r in rows) == [False, True, True, True, True]
    assert {r.status for r in rows} == {"sent"}
    assert sink.received("sms", CHIEF.phone) == []
