"""A resident's withdrawal, over the real broker: the resident gets the confirmation, the
officer the application was with gets an inbox notice in their words (no SMS)."""

from __future__ import annotations

from collections.abc import Callable

from shared.messaging.contracts.appointments import ApplicationUpdated
from tests.notifications.conftest import ServiceFactory, Sink
from tests.notifications.people import EVERYONE, OFFICER, RESIDENT
from tests.notifications.test_broker_delivery import settled


async def test_withdrawn_application_tells_resident_and_officer(
    start_service: ServiceFactory, sink: Sink, sqlite_url: Callable[[str], str]
) -> None:
    service = await start_service(sqlite_url("n"))
    await service.add_users(*EVERYONE)
    event = ApplicationUpdated(
        application_id="A1234567890",
        resident_id=RESIDENT.user_id,
        service_code="no_record",
        status="withdrawn",
        officer_id=OFFICER.user_id,
    )
    await service.publish(event)
    found = await settled(service, event.event_id, expected=3)
    assert set(found) == {
        (RESIDENT.user_id, "inbox"),
        (RESIDENT.user_id, "sms"),
        (OFFICER.user_id, "inbox"),
    }
    assert sink.received("sms", OFFICER.phone) == []
    officer_inbox = (await service.api.get(f"/internal/v1/users/{OFFICER.user_id}/inbox")).json()
    texts = [m["body"] for m in officer_inbox["items"]]
    assert texts == ["村民已撤回无犯罪记录证明网上申请（A1234567890），无需再办理。"]
    resident_sms = sink.received("sms", RESIDENT.phone)
    assert len(resident_sms) == 1 and "已撤回" in str(resident_sms[0])
