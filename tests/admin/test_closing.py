"""Administration of what the directory holds, against the portal, the disputes service with a
dispute worker on the real Temporal server and the real RabbitMQ: a station whose officers are
all deactivated sends its next case to the station chief and the county duty desk (warned on
the staff page first); a police room or village still in use is not closed (409 and the
reason), an unused one is closed and its listing reaches the broker; partner organisations are
listed, added, refused with field and reason, deactivated, and given member accounts."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import pytest
from sqlalchemy import select

from services.portal.models import AuditEntry, UserRow
from services.portal.service import AccountSpec
from shared.demo import org
from tests.conftest import AMQP_URL
from tests.helpers import eventually
from tests.portal.conftest import ACCOUNTS
from tests.portal.disputes.conftest import STATION, VILLAGE, Stack, add_account, intake_body
from workflows.disputes import client as dc
from workflows.disputes.types import DisputeIntake

NEW_VILLAGE = "VNEW01"


@pytest.fixture
async def listings(exchange: str) -> AsyncIterator[list[dict[str, Any]]]:
    """Every directory.* listing that reached the broker."""
    seen: list[dict[str, Any]] = []
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        ex = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(ex, routing_key="directory.#")

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            async with message.process():
                seen.append({"type": message.type, **json.loads(message.body)})

        await queue.consume(on_message)
        yield seen


async def test_a_station_without_active_officers_sends_new_cases_to_the_chief_and_county_desk(
    stack: Stack,
) -> None:
    h = stack.portal
    officers = [o for o in org().officers if o.station_code == STATION]
    for o in officers:
        if o.user_id != ACCOUNTS["officer"].user_id:
            await add_account(
                h,
                AccountSpec(
                    user_id=o.user_id,
                    username=f"u-{o.user_id}",
                    role="officer",
                    display_name=o.name,
                    phone=o.phone,
                    station_code=STATION,
                ),
            )
    admin = await h.api("admin")
    last = officers[-1].user_id
    for o in officers[:-1]:
        r = await admin.post(f"/api/v1/admin/staff/{o.user_id}/deactivate", json={"reason": "调离"})
        assert r.status_code == 200, r.text

    async def pool() -> list[str] | None:
        r = await admin.get("/api/v1/admin/org/postings", params={"station": STATION})
        active = [p["officer_id"] for p in r.json() if p["active"]]
        return active if active == [last] else None

    assert await eventually(pool, 30, "the deactivations never reached the directory")
    chief = await h.login("station_chief")
    page = await chief.get(f"/admin/staff/{last}")
    assert f"这是派出所 {STATION} 最后一名在岗民警" in page.text, "warned before deactivating"
    r = await admin.post(f"/api/v1/admin/staff/{last}/deactivate", json={"reason": "长期病假"})
    assert r.status_code == 200 and r.json()["active"] is False
    assert r.json()["warning"] == (
        f"station {STATION} has no other active officer: new cases go to the station chief "
        "and the county duty desk"
    )

    async def empty() -> bool | None:
        r = await admin.get("/api/v1/admin/org/postings", params={"station": STATION})
        return True if not any(p["active"] for p in r.json()) else None

    assert await eventually(empty, 30, "the last deactivation never reached the directory")
    intake = DisputeIntake.model_validate(
        {**intake_body(), "reporter_kind": "officer", "reporter_id": ACCOUNTS["officer"].user_id}
    )
    case_id = await dc.start_case(stack.env.client, intake, task_queue=stack.task_queue)
    view = await stack.wait_for(case_id, lambda v: any("county_review" in t for t in v.open_tasks))
    assert (view.stage, view.assignee_id) == ("assignment", None), "no deactivated officer"

    async def timeline() -> list[str] | None:  # the projection follows the workflow shortly
        kinds = await stack.timeline_kinds(case_id)
        return kinds if kinds == ["reported", "screened", "escalated"] else None

    assert await eventually(timeline, 30, "the escalation never reached the timeline")
    case = await (await h.login("station_chief")).get(f"/cases/{case_id}")
    assert f"派出所 {STATION} 没有在岗民警" in case.text, "the chief reads the reason"
    page = await chief.get(f"/admin/staff/{last}")
    assert f"派出所 {STATION} 已没有在岗民警" in page.text


async def test_the_directory_closes_unused_records_and_keeps_partner_organisations(
    stack: Stack, listings: list[dict[str, Any]]
) -> None:
    """One stack for both halves (each is a helper below): closing, then partners."""
    await closing_refuses_records_in_use_and_closes_an_unused_village(stack, listings)
    await partner_organisations_are_added_refused_deactivated_and_given_members(stack)


async def closing_refuses_records_in_use_and_closes_an_unused_village(
    stack: Stack, listings: list[dict[str, Any]]
) -> None:
    h = stack.portal
    admin = await h.api("admin")
    r = await admin.post(
        f"/api/v1/admin/org/police-rooms/{VILLAGE.police_room_code}/close", json={"reason": "撤并"}
    )
    assert r.status_code == 409
    assert r.json()["detail"].startswith("the police room still has ")
    r = await admin.put(
        f"/api/v1/admin/org/households/hh-close-{VILLAGE.code.lower()}",
        json={"name": "马家", "village_code": VILLAGE.code, "reason": "登记"},
    )
    assert r.status_code == 200, r.text
    r = await admin.post(
        f"/api/v1/admin/org/villages/{VILLAGE.code}/close", json={"reason": "撤村"}
    )
    assert (r.status_code, r.json()["detail"]) == (
        409,
        "the village still has 1 households: move them to another first",
    )

    r = await admin.put(
        f"/api/v1/admin/org/villages/{NEW_VILLAGE}",
        json={
            "name": "新村",
            "township": "杨庄镇",
            "station_code": STATION,
            "police_room_code": VILLAGE.police_room_code,
            "reason": "新建村",
        },
    )
    assert r.status_code == 200, r.text
    page = await h.login("admin")
    closed = await h.post_form(
        page, f"/admin/org/villages/{NEW_VILLAGE}/close", {"reason": "撤村并组", "at": STATION}
    )
    assert closed.status_code == 303 and "done=closed" in closed.headers["location"]
    shown = await page.get(closed.headers["location"])
    assert "已关闭。已通知其他服务。" in shown.text
    villages = await admin.get("/api/v1/admin/org/villages", params={"station": STATION})
    assert {v["code"]: v["active"] for v in villages.json()}[NEW_VILLAGE] is False
    again = await admin.post(
        f"/api/v1/admin/org/villages/{NEW_VILLAGE}/close", json={"reason": "再次"}
    )
    assert again.json() == {"kind": "village", "code": NEW_VILLAGE, "active": False}

    async def told() -> bool | None:
        return (
            True
            if any(
                m.get("village_code") == NEW_VILLAGE and m.get("active") is False for m in listings
            )
            else None
        )

    assert await eventually(told, 20, "the closed village's listing never reached the broker")
    body = {**intake_body(), "village_code": NEW_VILLAGE}
    refused = await h.clients.disputes.post("/internal/v1/cases", json=body)
    assert refused.status_code == 422 and "unknown or closed village" in refused.text
    room_refused = await page.get("/admin/org")  # a refused close shows the reason, translated
    assert room_refused.status_code == 200
    r = await h.post_form(
        page, f"/admin/org/police-rooms/{VILLAGE.police_room_code}/close", {"reason": "撤并"}
    )
    assert r.status_code == 409 and "警务室仍有" in r.text
    async with h.runtime.factory() as s:
        actions = (
            await s.execute(
                select(AuditEntry.action, AuditEntry.subject).where(
                    AuditEntry.action.like("admin.org.%.closed")
                )
            )
        ).all()
    assert [tuple(a) for a in actions] == [
        ("admin.org.village.closed", NEW_VILLAGE),
        ("admin.org.village.closed", NEW_VILLAGE),
    ]
    assert (
        await (await h.api("station_chief")).post(
            f"/api/v1/admin/org/villages/{VILLAGE.code}/close", json={"reason": "越权"}
        )
    ).status_code == 403


async def partner_organisations_are_added_refused_deactivated_and_given_members(
    stack: Stack,
) -> None:
    h = stack.portal
    admin = await h.api("admin")
    listed = await admin.get("/api/v1/admin/partners", params={"station": STATION})
    assert f"JO-{STATION}" in {p["code"] for p in listed.json()}
    other = next(v.code for v in org().villages if v.station_code != STATION)
    bad = await admin.put(
        "/api/v1/admin/partners/MED-01",
        json={
            "kind": "other",
            "name": "调解协会",
            "station_code": STATION,
            "village_codes": [other],
            "reason": "新设",
        },
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "village_codes"
    assert bad.json()["detail"][0]["reason"] == f"not an open village of this station: {other}"

    browser = await h.login("admin")
    form = await browser.get(f"/admin/partners?station={STATION}")
    assert form.status_code == 200 and "合作单位" in form.text
    saved = await h.post_form(
        browser,
        "/admin/partners",
        {
            "code": "med-01",
            "kind": "other",
            "name": "杨庄调解协会",
            "station_code": STATION,
            "village_codes": VILLAGE.code,
            "reason": "新设调解组织",
        },
    )
    assert saved.status_code == 303, saved.text
    assert "杨庄调解协会" in (await browser.get(saved.headers["location"])).text

    ids = []
    for n, (username, phone) in enumerate(
        [("med.member", "13911115555"), ("med.own", "13911117777")]
    ):
        member = await admin.post(
            "/api/v1/admin/staff",
            json={
                "username": username,
                "display_name": f"调解员{n}",
                "phone": phone,
                "role": "partner",
                "partner_code": "MED-01",
            },
        )
        assert member.status_code == 201, member.text
        assert (
            member.json()["role"],
            member.json()["partner_code"],
            member.json()["station_code"],
        ) == ("partner", "MED-01", STATION)
        ids.append(member.json()["user_id"])
    taken, own = ids
    r = await admin.post(f"/api/v1/admin/staff/{own}/deactivate", json={"reason": "离职"})
    assert r.status_code == 200 and r.json()["active"] is False
    off = await admin.post("/api/v1/admin/partners/MED-01/deactivate", json={"reason": "撤销"})
    assert off.status_code == 200, off.text
    assert (off.json()["active"], off.json()["accounts_deactivated"]) == (False, [taken])

    async def active(user_id: str) -> bool:
        async with h.runtime.factory() as s:
            row = await s.get(UserRow, user_id)
        assert row is not None
        return row.active

    assert (await active(taken), await active(own)) == (False, False)
    late = await admin.post(
        "/api/v1/admin/staff",
        json={
            "username": "med.two",
            "display_name": "调解员乙",
            "phone": "13911116666",
            "role": "partner",
            "partner_code": "MED-01",
        },
    )
    assert late.json()["detail"] == [
        {
            "field": "partner_code",
            "reason": "choose an active partner organisation",
            "type": "value_error",
        }
    ]
    # a member does not come back on its own while its organisation is deactivated
    alone = await admin.post(f"/api/v1/admin/staff/{taken}/reactivate", json={"reason": "单独恢复"})
    why = "the organisation 杨庄调解协会 (MED-01) is deactivated: reactivate it first"
    assert (alone.status_code, alone.json()["detail"]) == (
        422,
        [{"field": "partner_code", "reason": why, "type": "value_error"}],
    )
    alone = await h.post_form(browser, f"/admin/staff/{taken}/reactivate", {"reason": "单独恢复"})
    assert alone.status_code == 422
    shown = (
        '<p class="reason" id="reactivate-with-organisation">协作单位 杨庄调解协会 (MED-01) '
        '已停用：请先恢复启用该单位 <a href="/admin/partners/MED-01">'
    )
    assert shown in alone.text
    assert (await active(taken), await active(own)) == (False, False)
    # the member's page offers no Reactivate of its own while the organisation is off, only
    # the reason and the way to the organisation
    member_page = (await browser.get(f"/admin/staff/{taken}")).text
    assert 'id="action-reactivate"' not in member_page and shown in member_page
    # the organisation's page lists its accounts; reactivating it brings back only the
    # account its deactivation took
    page = await browser.get("/admin/partners/MED-01")
    assert "随单位一并停用" in page.text and f'data-account="{own}"' in page.text
    back = await h.post_form(browser, "/admin/partners/MED-01/reactivate", {"reason": "恢复"})
    assert (back.status_code, back.headers["location"]) == (
        303,
        "/admin/partners/MED-01?done=reactivated",
    )
    assert "已重新启用" in (await browser.get(back.headers["location"])).text
    assert (await active(taken), await active(own)) == (True, False)
    # the organisation back, the member deactivated on its own can be reactivated again
    assert 'id="action-reactivate"' in (await browser.get(f"/admin/staff/{own}")).text
    async with h.runtime.factory() as s:
        rows = (
            await s.execute(
                select(AuditEntry.action, AuditEntry.subject, AuditEntry.detail)
                .where(
                    AuditEntry.action.like("admin.org.partner.%")
                    | AuditEntry.subject.in_([taken, own])
                )
                .order_by(AuditEntry.id)
            )
        ).all()
    actions = [(a, subject) for a, subject, _ in rows if a != "staff.created"]
    assert actions == [
        ("admin.org.partner.saved", "MED-01"),
        ("staff.deactivated", own),
        ("staff.deactivated", taken),
        ("admin.org.partner.deactivated", "MED-01"),
        ("staff.reactivated", taken),
        ("admin.org.partner.reactivated", "MED-01"),
    ]
    details = {(a, subject): detail for a, subject, detail in rows}
    assert details[("staff.deactivated", taken)] == {"reason": "撤销", "with_partner": "MED-01"}
    assert details[("admin.org.partner.deactivated", "MED-01")]["accounts_deactivated"] == [taken]
    assert details[("admin.org.partner.reactivated", "MED-01")]["accounts_reactivated"] == [taken]
    chief = await h.api("station_chief")
    assert (await chief.get("/api/v1/admin/partners")).status_code == 403
    chief_page = await h.login("station_chief")
    assert "杨庄调解协会" in (await chief_page.get("/admin/partners")).text, "their own station's"
    refused = await h.post_form(chief_page, "/admin/partners/MED-01/deactivate", {"reason": "越权"})
    assert refused.status_code == 403
