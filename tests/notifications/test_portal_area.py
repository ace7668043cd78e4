"""The portal's notifications area over the real service: inbox, read marks, settings, status."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from services.notifications.api import create_app
from services.notifications.consumer import PATTERNS
from services.notifications.runtime import NotificationsRuntime
from shared.config import PortalSettings
from shared.demo import demo_accounts
from shared.messaging.broker import Broker, declare_service_queue
from shared.messaging.contracts.disputes import DisputeEscalated
from tests.conftest import AMQP_URL
from tests.helpers import eventually
from tests.notifications.conftest import Sink, service_settings
from tests.notifications.people import OTHER_PHONE, SUMMARY, reported
from tests.portal.conftest import PortalFactory, portal_factory  # noqa: F401

DEMO = {a.role: a for a in demo_accounts()}


async def notifications_backend(
    exchange: str, sink: Sink, db: str
) -> tuple[FastAPI, NotificationsRuntime, Broker]:
    settings = service_settings(db, exchange, sink, internal_token=PortalSettings().internal_token)
    runtime = NotificationsRuntime("notifications", settings)
    broker = Broker(AMQP_URL, exchange)
    await broker.connect()
    # bound before the portal publishes its demo accounts
    channel = await broker.connection.channel()
    await declare_service_queue(
        channel, await broker.declare_exchanges(channel), "notifications", PATTERNS
    )
    await channel.close()
    return create_app(settings, runtime=runtime), runtime, broker


async def test_resident_reads_inbox_and_chief_sees_delivery_status(
    portal_factory: PortalFactory,  # noqa: F811
    exchange: str,
    sink: Sink,
    sqlite_url: Callable[[str], str],
) -> None:
    app, runtime, broker = await notifications_backend(exchange, sink, sqlite_url("n"))
    resident, chief = DEMO["resident"], DEMO["station_chief"]
    async with portal_factory(backends={"notifications": app}) as h:
        # the portal tells the service who the demo people are (user.upserted)
        async def chief_known() -> bool:
            page = await h.clients.notifications.get(
                f"/internal/v1/users/{chief.user_id}/preferences"
            )
            return page.status_code == 200 and await _known(runtime, chief.user_id)

        await eventually(chief_known)
        event = reported(
            "red",
            "GY-2026-0777",
            resident_ids=[resident.user_id],
            village_code=resident.village,
            station_code=chief.station,
        )
        escalated = DisputeEscalated(
            case_id="c",
            case_no="GY-2026-0778",
            colour="red",
            stage="escalated",
            village_code=resident.village or "",
            station_code="OTHER",
            reason=SUMMARY,
        )
        await broker.publish_event(event)
        await broker.publish_event(escalated)

        browser = await h.login("resident")

        async def inbox_has_case() -> str | None:
            page = await browser.get("/inbox")
            return page.text if "GY-2026-0777" in page.text else None

        html = await eventually(inbox_has_case)
        assert "未读消息：1 条" in html, html
        assert OTHER_PHONE not in html and "GY-2026-0778" not in html
        api = await h.api("resident")
        unread = (await api.get("/api/v1/notifications/unread")).json()
        assert unread == {"unread": 1}
        [item] = (await api.get("/api/v1/notifications/inbox")).json()["items"]
        done = await h.post_form(browser, f"/inbox/{item['id']}/read", {})
        assert done.status_code in (200, 303)
        assert (await api.get("/api/v1/notifications/unread")).json() == {"unread": 0}

        # settings: switch off SMS about cases; a bad hour is refused with the field
        saved = await h.post_form(
            browser,
            "/inbox/preferences",
            {
                "on_case_email": "on",
                "quiet_enabled": "on",
                "quiet_start_hour": "21",
                "quiet_end_hour": "6",
            },
        )
        assert saved.status_code == 200, saved.text
        assert 'id="saved"' in saved.text
        prefs = (await api.get("/api/v1/notifications/preferences")).json()
        assert prefs["disabled"]["case"] == ["sms"] and prefs["quiet_end_hour"] == 6
        bad = await api.put(
            "/api/v1/notifications/preferences",
            json={"disabled": {}, "quiet_start_hour": 25, "quiet_end_hour": 6},
        )
        assert bad.status_code == 422
        assert (await api.get("/api/v1/notifications/deliveries")).status_code == 403

        # the station chief sees only the deliveries of their own station, phones masked
        chief_api = await h.api("station_chief")
        status = (await chief_api.get("/api/v1/notifications/deliveries")).json()
        assert status["total"] >= 1, status
        assert {d["station_code"] for d in status["items"]} == {chief.station}
        assert str(resident.phone) not in str(status)
        other = (
            await chief_api.get(
                "/api/v1/notifications/deliveries", params={"station_code": "OTHER"}
            )
        ).json()
        assert {d["station_code"] for d in other["items"]} == {chief.station}
        chief_page = await (await h.login("station_chief")).get("/notifications/status")
        assert chief_page.status_code == 200, chief_page.text
        assert "GY-2026-0777" in chief_page.text
    await broker.close()


async def _known(runtime: NotificationsRuntime, user_id: str) -> bool:
    from services.notifications.models import Recipient

    async with runtime.factory() as s:
        return await s.get(Recipient, user_id) is not None
