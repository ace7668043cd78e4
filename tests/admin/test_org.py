"""Organisation administration against the portal, the disputes service with a dispute worker
on the real Temporal server, and the real RabbitMQ between them: a new police room with a new
officer takes the next dispute of its village, running cases keep their officer, a deactivated
officer leaves the assignment pool; bad input is refused with field and reason; every change is
audited; station chiefs post the officers of their own station only."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from services.disputes.models import DirectoryChange
from services.portal.models import AuditEntry, UserRow
from tests.helpers import eventually
from tests.portal.conftest import ACCOUNTS, PortalHarness
from tests.portal.disputes.conftest import (
    OTHER_OFFICER,
    OTHER_STATION,
    STATION,
    VILLAGE,
    Stack,
    intake_body,
)
from workflows.disputes import client as dc
from workflows.disputes.types import DisputeIntake

ROOM = "RNEW01"
ADMIN = ACCOUNTS["admin"].user_id


async def start(stack: Stack) -> str:
    intake = DisputeIntake.model_validate(
        {**intake_body(), "reporter_kind": "officer", "reporter_id": ACCOUNTS["officer"].user_id}
    )
    return await dc.start_case(stack.env.client, intake, task_queue=stack.task_queue)


async def room_officers(api: httpx.AsyncClient, room: str) -> list[str] | None:
    r = await api.get("/api/v1/admin/org/police-rooms", params={"station": STATION})
    assert r.status_code == 200, r.text
    found = [x["officer_ids"] for x in r.json() if x["code"] == room]
    return found[0] if found else None


async def test_a_new_police_room_with_a_new_officer_takes_the_next_dispute_of_its_village(
    stack: Stack,
) -> None:
    admin = await stack.api("admin")
    before = await start(stack)
    earlier = (await stack.wait_for(before, lambda v: v.assignee_id is not None)).assignee_id

    r = await admin.put(
        f"/api/v1/admin/org/police-rooms/{ROOM}",
        json={
            "name": "新村警务室",
            "station_code": STATION,
            "village_code": VILLAGE.code,
            "reason": "新设警务室",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json() == {
        "code": ROOM,
        "name": "新村警务室",
        "station_code": STATION,
        "village_code": VILLAGE.code,
        "officer_ids": [],
        "active": True,
    }
    villages = await admin.get("/api/v1/admin/org/villages", params={"station": STATION})
    assert {v["code"]: v["police_room_code"] for v in villages.json()}[VILLAGE.code] == ROOM

    r = await admin.post(
        "/api/v1/admin/staff",
        json={
            "username": "new.room.officer",
            "display_name": "马新警",
            "phone": "13911114444",
            "role": "officer",
            "station_code": STATION,
            "police_room_code": ROOM,
        },
    )
    assert r.status_code == 201, r.text
    newcomer = r.json()["user_id"]

    async def posted() -> list[str] | None:
        found = await room_officers(admin, ROOM)
        return found if found == [newcomer] else None

    assert await eventually(posted, 30, "the new officer never reached the directory")
    after = await start(stack)
    await stack.wait_for(after, lambda v: v.assignee_id == newcomer)
    running = await stack.wait_for(before, lambda v: v.assignee_id is not None)
    assert running.assignee_id == earlier, "a running case keeps its officer"

    # deactivated in the staff admin, the officer leaves the pool: the station's pool takes it
    r = await admin.post(
        f"/api/v1/admin/staff/{newcomer}/deactivate", json={"reason": "调离公安机关"}
    )
    assert r.status_code == 200, r.text

    async def left() -> str | None:
        return "left" if await room_officers(admin, ROOM) == [] else None

    assert await eventually(left, 30, "the deactivation never reached the directory")
    pool = await admin.get("/api/v1/admin/org/postings", params={"station": STATION})
    assert {p["officer_id"]: p["active"] for p in pool.json()}[newcomer] is False
    third = await start(stack)
    v = await stack.wait_for(third, lambda v: v.assignee_id is not None)
    assert v.assignee_id != newcomer
    cases = await admin.get(f"/api/v1/admin/staff/{newcomer}/open-cases")
    assert cases.json()["case_ids"] == [after], "their open case waits for the bulk reassignment"


def problem(r: httpx.Response) -> dict[str, str]:
    assert r.status_code == 422, r.text
    return {d["field"]: d["reason"] for d in r.json()["detail"]}


async def test_the_org_api_refuses_with_field_and_reason_audits_and_keeps_chiefs_in_scope(
    stack: Stack,
) -> None:
    admin = await stack.api("admin")
    other_village = next(
        v["code"]
        for v in (
            await admin.get("/api/v1/admin/org/villages", params={"station": OTHER_STATION})
        ).json()
    )
    room = {"name": "错所警务室", "station_code": STATION, "reason": "测试"}
    r = await admin.put(
        f"/api/v1/admin/org/police-rooms/{ROOM}", json={**room, "village_code": other_village}
    )
    assert problem(r) == {"village_code": "the village belongs to another station"}
    r = await admin.put(
        f"/api/v1/admin/org/police-rooms/{ROOM}",
        json={**room, "station_code": "SNOPE9", "village_code": VILLAGE.code},
    )
    assert problem(r) == {"station_code": "no such station in the directory"}
    r = await admin.put(
        "/api/v1/admin/org/police-rooms/lower", json={**room, "village_code": VILLAGE.code}
    )
    assert "code" in problem(r)
    r = await admin.put(
        f"/api/v1/admin/org/villages/{VILLAGE.code}",
        json={
            "name": VILLAGE.name,
            "township": VILLAGE.township,
            "station_code": STATION,
            "police_room_code": "RNOPE1",
            "reason": "x",
        },
    )
    assert set(problem(r)) == {"reason"}

    r = await admin.put(
        "/api/v1/admin/org/households/hh-ma-new",
        json={"name": "马家", "village_code": VILLAGE.code, "members": 5, "reason": "入户登记"},
    )
    assert r.status_code == 200, r.text
    listed = await admin.get("/api/v1/admin/org/households", params={"village": VILLAGE.code})
    assert listed.json() == [
        {"household_id": "hh-ma-new", "name": "马家", "village_code": VILLAGE.code, "members": 5}
    ]
    changes = (await admin.get("/api/v1/admin/org/changes")).json()
    assert [(c["actor_id"], c["kind"], c["code"], c["reason"]) for c in changes[:1]] == [
        (ADMIN, "household", "hh-ma-new", "入户登记")
    ]
    async with stack.portal.runtime.factory() as s:
        rows = await s.execute(
            select(AuditEntry.action, AuditEntry.actor_id, AuditEntry.subject).where(
                AuditEntry.action.startswith("admin.org.")
            )
        )
        assert [tuple(r) for r in rows] == [("admin.org.household", ADMIN, "hh-ma-new")]
    async with stack.factory() as s:
        kinds = (await s.execute(select(DirectoryChange.kind))).scalars().all()
    assert "police_room" not in kinds, "nothing refused was written"

    # station chiefs post the officers of their own station only
    chief = await stack.api("station_chief")
    assert (await chief.get("/api/v1/admin/org/stations")).status_code == 403
    r = await chief.get("/api/v1/admin/org/postings", params={"station": OTHER_STATION})
    assert r.status_code == 403
    mine = await chief.get("/api/v1/admin/org/postings")
    officer = ACCOUNTS["officer"].user_id
    posting = {p["officer_id"]: p for p in mine.json()}[officer]
    assert {p["station_code"] for p in mine.json()} == {STATION}
    r = await chief.put(
        f"/api/v1/admin/org/postings/{OTHER_OFFICER.user_id}",
        json={"police_room_codes": [], "reason": "不是本所的"},
    )
    assert r.status_code == 403
    other_room = next(
        x["code"]
        for x in (
            await (await stack.api("admin")).get(
                "/api/v1/admin/org/police-rooms", params={"station": OTHER_STATION}
            )
        ).json()
    )
    r = await chief.put(
        f"/api/v1/admin/org/postings/{officer}",
        json={"police_room_codes": [other_room], "reason": "跨所"},
    )
    assert problem(r) == {"police_room_codes.0": "choose police rooms of the officer's station"}
    keep = posting["police_room_codes"][:1]
    r = await chief.put(
        f"/api/v1/admin/org/postings/{officer}",
        json={"police_room_codes": keep, "reason": "只负责一个警务室"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["police_room_codes"] == keep
    async with stack.portal.runtime.factory() as s:
        account = await s.get(UserRow, officer)
        assert account is not None and account.police_room_code == keep[0]

    await pages_in_both_languages(stack)


async def pages_in_both_languages(stack: Stack) -> None:
    """The pages: a refused form shows the reason beside its field, in Chinese or English."""
    h = stack.portal
    admin = await h.login("admin")
    page = await admin.get("/admin/org", params={"station": STATION})
    assert page.status_code == 200 and "组织机构" in page.text and VILLAGE.name in page.text
    assert (await admin.get("/admin")).text.count('href="/admin/org') == 2
    form = {
        "code": "RNEW02",
        "name": "二号警务室",
        "station_code": STATION,
        "village_code": VILLAGE.code,
        "reason": "",
    }
    r = await h.post_form(admin, "/admin/org/police_room", form)
    assert r.status_code == 422 and 'data-field="reason"' in r.text
    wrong = {**form, "station_code": "SNOPE9", "reason": "新设"}
    r = await h.post_form(admin, "/admin/org/police_room", wrong)
    assert r.status_code == 422
    assert "机构目录中没有这个派出所" in r.text and 'value="二号警务室"' in r.text
    r = await h.post_form(admin, "/admin/org/police_room", {**form, "reason": "新设"})
    assert r.status_code == 303
    page = await admin.get(r.headers["location"])
    assert 'data-room="RNEW02"' in page.text and 'id="done"' in page.text
    r = await h.post_form(admin, "/lang", {"language": "en", "next": "/admin/org"})
    page = await admin.get(f"/admin/org/villages/{VILLAGE.code}")
    assert "Households" in page.text and "马家" in page.text
    r = await h.post_form(
        admin,
        f"/admin/org/villages/{VILLAGE.code}/households",
        {
            "code": "hh-wang",
            "name": "王家",
            "members": "x",
            "reason": "入户登记",
            "village_code": VILLAGE.code,
        },
    )
    assert r.status_code == 422 and 'data-field="members"' in r.text

    chief = await h.login("station_chief")
    assert (await chief.get("/admin/org")).status_code == 403
    postings = await chief.get("/admin/org/postings")
    assert postings.status_code == 200 and "民警岗位" in postings.text
    assert f'data-officer="{ACCOUNTS["officer"].user_id}"' in postings.text
    assert OTHER_OFFICER.user_id not in postings.text
    r = await h.post_form(
        chief,
        f"/admin/org/postings/{OTHER_OFFICER.user_id}",
        {"police_room_codes": [], "reason": "不是本所的"},
    )
    assert r.status_code == 403

    # the partner organisations' channels, on each organisation's page: a chief sets their
    # own station's, in Chinese; the channels' former page leads to the organisations' list
    moved = await chief.get("/admin/org/partners", follow_redirects=False)
    assert (moved.status_code, moved.headers["location"]) == (301, "/admin/partners")
    page = await chief.get("/admin/partners?station=" + OTHER_STATION)
    assert page.status_code == 200 and "合作单位" in page.text
    women = f"WF-{STATION}"
    assert f'data-partner="{women}"' in page.text and f"WF-{OTHER_STATION}" not in page.text
    assert 'id="partner-form"' not in page.text, "the chief does not add organisations"
    page = await chief.get(f"/admin/partners/{women}")
    assert page.status_code == 200 and f'id="channel-{women}"' in page.text
    assert 'id="deactivate"' not in page.text and 'id="accounts"' not in page.text
    assert (await chief.get(f"/admin/partners/WF-{OTHER_STATION}")).status_code == 403
    url = f"/admin/partners/{women}/channel"
    r = await h.post_form(chief, url, {"notify_url": "ftp://x", "reason": "接通通道"})
    assert r.status_code == 422 and 'data-field="notify_url"' in r.text
    assert "请填写带主机名的 http:// 或 https:// 地址" in r.text
    good = {"notify_url": "https://fl.example.cn/fengqiao", "reason": "接通通道"}
    r = await h.post_form(chief, url, good)
    assert (r.status_code, r.headers["location"]) == (303, f"/admin/partners/{women}?done=channel")
    page = await chief.get(r.headers["location"])
    assert 'value="https://fl.example.cn/fengqiao"' in page.text and 'id="done"' in page.text
    other = f"/admin/partners/WF-{OTHER_STATION}/channel"
    assert (await h.post_form(chief, other, good)).status_code == 403
    former = await chief.post(f"/admin/org/partners/{women}/channel", follow_redirects=False)
    assert (former.status_code, former.headers["location"]) == (308, url)
    async with stack.factory() as s:
        kinds = (await s.scalars(select(DirectoryChange.kind))).all()
    assert "partner_channel" in kinds


async def test_the_openapi_documents_the_org_api(portal: PortalHarness) -> None:
    doc: dict[str, Any] = (await portal.client().get("/openapi.json")).json()
    for path in ("stations/{code}", "police-rooms/{code}", "postings/{officer_id}"):
        put = doc["paths"][f"/api/v1/admin/org/{path}"]["put"]
        assert {"200", "403", "422"} <= set(put["responses"]), path
