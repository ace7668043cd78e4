"""The unread-inbox badge on the nav's Inbox entry: from the real notifications service, and
never in the way of a page when that service is slow or down."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable

from fastapi import FastAPI

from shared.demo import demo_accounts
from tests.helpers import eventually
from tests.notifications.conftest import Sink, sink  # noqa: F401
from tests.notifications.people import reported
from tests.notifications.test_portal_area import notifications_backend
from tests.portal.conftest import PortalFactory, PortalHarness

DEMO = {a.role: a for a in demo_accounts()}
BADGE = re.compile(
    r'<a href="/inbox"[^>]*>[^<]*'
    r'<span class="badge" id="unread-badge" title="([^"]*)">([^<]*)</span>'
)


async def test_badge_counts_the_residents_unread_messages(
    portal_factory: PortalFactory,
    exchange: str,
    sink: Sink,  # noqa: F811
    sqlite_url: Callable[[str], str],
) -> None:
    app, _runtime, broker = await notifications_backend(exchange, sink, sqlite_url("n"))
    resident, chief = DEMO["resident"], DEMO["station_chief"]
    async with portal_factory(backends={"notifications": app}) as h:
        browser = await h.login("resident")
        home = await browser.get("/")
        assert home.status_code == 200 and 'id="unread-badge"' not in home.text

        async def resident_known() -> bool:
            r = await h.clients.notifications.get(f"/internal/v1/users/{resident.user_id}/unread")
            return r.status_code == 200

        await eventually(resident_known)
        for case_no in ("GY-2026-0901", "GY-2026-0902"):
            await broker.publish_event(
                reported(
                    "red",
                    case_no,
                    resident_ids=[resident.user_id],
                    village_code=resident.village,
                    station_code=chief.station,
                )
            )

        async def badge() -> tuple[str, str] | None:
            found = BADGE.search((await browser.get("/")).text)
            return (found.group(1), found.group(2)) if found and found.group(2) == "2" else None

        assert await eventually(badge) == ("2 条未读", "2")
        api = await h.api("resident")
        await api.post("/api/v1/notifications/inbox/read-all")
        page = await browser.get("/")
        assert page.status_code == 200 and 'id="unread-badge"' not in page.text
    await broker.close()


def slow_notifications(calls: list[str], delay: float) -> FastAPI:
    app = FastAPI()

    @app.get("/internal/v1/users/{user_id}/unread")
    async def unread(user_id: str) -> dict[str, int]:
        calls.append(user_id)
        await asyncio.sleep(delay)
        return {"unread": 5}

    return app


async def test_a_slow_notifications_service_does_not_hold_the_page(
    portal_factory: PortalFactory,
) -> None:
    calls: list[str] = []
    async with portal_factory(backends={"notifications": slow_notifications(calls, 3.0)}) as h:
        browser = await h.login("officer")
        started = time.monotonic()
        page = await browser.get("/")
        took = time.monotonic() - started
        assert page.status_code == 200 and 'id="unread-badge"' not in page.text
        assert calls == [DEMO["officer"].user_id]
        assert took < 1.5, f"the page waited {took:.2f}s for the badge"
        # anonymous visitors and the JSON API never ask
        calls.clear()
        assert (await h.client().get("/login")).status_code == 200
        await (await h.api("officer")).get("/api/v1/me")
        assert calls == []


async def test_pages_render_without_a_badge_when_the_service_is_down(portal: PortalHarness) -> None:
    browser = await portal.login("resident")
    page = await browser.get("/")
    assert page.status_code == 200
    assert 'href="/inbox"' in page.text and 'id="unread-badge"' not in page.text
