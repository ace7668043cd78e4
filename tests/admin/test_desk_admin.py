"""Six-ways desk administration through the portal: declaring a holiday closes that day's slots,
the booking on it is listed to move (not cancelled) and its resident is told — appointments
service (outbox) → real RabbitMQ → notifications service → message sink; the staff then move
it. And the API's input checks and roles."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest

from services.appointments.api import create_app as create_appointments_app
from shared.config import AppointmentsSettings
from tests.appointments.conftest import STATION, make_desk
from tests.appointments.test_api import next_workday
from tests.conftest import AMQP_URL
from tests.helpers import eventually
from tests.notifications.conftest import ServiceFactory, Sink
from tests.portal.conftest import ACCOUNTS, PortalFactory, PortalHarness

RESIDENT = ACCOUNTS["resident"]


@dataclass
class Stack:
    portal: PortalHarness
    sink: Sink


@pytest.fixture
async def desk_stack(
    portal_factory: PortalFactory,
    start_service: ServiceFactory,
    sink: Sink,
    sqlite_url: Callable[[str], str],
    exchange: str,
) -> AsyncIterator[Stack]:
    await start_service(sqlite_url("notifications"))
    url = sqlite_url("appointments")
    await (await make_desk(url)).factory.kw["bind"].dispose()
    app = create_appointments_app(
        AppointmentsSettings(
            database_url=url,
            exchange=exchange,
            amqp_url=AMQP_URL,
            run_jobs=False,
            relay_interval_seconds=0.1,
        ),
        connect_temporal=False,
    )
    async with portal_factory(backends={"appointments": app}) as h:
        yield Stack(h, sink)


def sms_to(sink: Sink, phone: str, needle: str) -> Callable[[], Awaitable[list[str] | None]]:
    async def check() -> list[str] | None:
        found = [m.body for m in sink.received("sms", to=phone) if needle in m.body]
        return found or None

    return check


async def test_a_holiday_closes_the_day_and_the_resident_is_told_then_staff_move_it(
    desk_stack: Stack,
) -> None:
    h, sink = desk_stack.portal, desk_stack.sink
    day = next_workday()
    resident = await h.api("resident")
    query = {"service": "hukou", "office": STATION, "date": str(day)}
    slot = (await resident.get("/api/v1/slots", params=query)).json()[0]
    booked = await resident.post(
        "/api/v1/bookings", json={"service_code": "hukou", "slot_id": slot["slot_id"]}
    )
    assert booked.status_code == 201, booked.text
    code = booked.json()["code"]

    admin = await h.login("admin")
    page = await admin.get(f"/admin/desk/offices/{STATION}")
    assert page.status_code == 200 and "当天停办" in page.text
    r = await h.post_form(
        admin,
        "/admin/desk/closures",
        {"office_code": STATION, "day": str(day), "reason": "冬至", "everywhere": "1"},
    )
    assert r.status_code == 303, r.text
    shown = await admin.get(r.headers["location"])
    assert "无法按原时间办理的预约：1 个" in shown.text

    # the day's slots are closed; the booking stands, listed to move; the resident is told
    closed = await resident.get("/api/v1/slots", params=query)
    assert closed.status_code == 422 and "冬至" in closed.text
    sms: str
    [sms] = await eventually(sms_to(sink, RESIDENT.phone or "", "需改期"), timeout=30)
    assert code in sms and "当天办事场所不办公" in sms
    mine = (await resident.get("/api/v1/bookings/mine")).json()
    assert [b["status"] for b in mine if b["code"] == code] == ["booked"]
    listing = await admin.get("/admin/desk/to-move")
    assert code in listing.text and "当天停办" in listing.text

    # the station chief moves it to the next working day; the resident hears the new time
    chief = await h.api("station_chief")
    [row] = (await chief.get("/api/v1/admin/desk/to-move")).json()
    assert (row["booking_code"], row["cause"]) == (code, "closure")
    later = next_workday(min_days=(day - next_workday(0)).days + 1)
    free = (await resident.get("/api/v1/slots", params={**query, "date": str(later)})).json()
    moved = await chief.post(
        f"/api/v1/admin/desk/to-move/{code}/move", json={"slot_id": free[0]["slot_id"]}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["starts_at"].startswith(str(later))
    assert (await chief.get("/api/v1/admin/desk/to-move")).json() == []
    moved_sms: str
    [moved_sms] = await eventually(sms_to(sink, RESIDENT.phone or "", "改至"), timeout=30)
    assert code in moved_sms
    audit = (await (await h.api("admin")).get("/api/v1/audit")).json()
    actions = {a["action"] for a in (audit if isinstance(audit, list) else audit["items"])}
    assert {"admin.desk.closure", "admin.desk.moved"} <= actions


async def test_the_desk_api_checks_input_and_roles(desk_stack: Stack) -> None:
    h = desk_stack.portal
    api = await h.api("admin")
    overlapping = await api.put(
        f"/api/v1/admin/desk/offices/{STATION}/hours",
        json={
            "hours": [
                {"weekday": 0, "opens": "08:30", "closes": "12:00"},
                {"weekday": 0, "opens": "11:30", "closes": "13:00", "extended": True},
            ]
        },
    )
    assert overlapping.status_code == 422
    assert overlapping.json()["detail"][0]["field"] == "hours.1.opens"
    bad_way = await api.put(
        "/api/v1/admin/desk/services/passport",
        json={
            "name": "护照",
            "name_en": "Passport",
            "category": "exit_entry",
            "promised_days": 7,
            "ways": ["by_pigeon"],
        },
    )
    assert bad_way.status_code == 422 and bad_way.json()["detail"][0]["field"] == "ways.0"
    made = await api.put(
        "/api/v1/admin/desk/services/passport",
        json={
            "name": "护照",
            "name_en": "Passport",
            "category": "exit_entry",
            "checklist": ["居民身份证", "照片"],
            "promised_days": 7,
            "ways": ["online"],
        },
    )
    assert made.status_code == 200, made.text
    listed = (await api.get("/api/v1/admin/desk/services")).json()
    assert [s["promised_days"] for s in listed if s["code"] == "passport"] == [7]
    seats = await api.put(
        f"/api/v1/admin/desk/offices/{STATION}/seats", json={"seats": {"appointment": 101}}
    )
    assert seats.status_code == 422 and seats.json()["detail"][0]["field"] == "seats.appointment"

    for who in ("resident", "officer", "clerk"):
        assert (await (await h.api(who)).get("/api/v1/admin/desk/services")).status_code == 403
        assert (await (await h.login(who)).get("/admin/desk")).status_code == 403
    chief = await h.login("station_chief")
    assert (await chief.get("/admin/desk")).status_code == 403
    assert (await chief.get("/admin/desk/to-move")).status_code == 200
    browser = await h.login("admin")
    no_csrf = await browser.post("/admin/desk/closures", data={"office_code": STATION})
    assert no_csrf.status_code == 403
