"""Staff accounts, against the portal, the disputes service with a worker on the real Temporal
server, and the notifications service with the message sink over the real RabbitMQ: the one-
time password arrives by SMS and opens no session until replaced; deactivation ends logins and
leaves the open cases to the bulk reassignment; station chiefs keep to their own officers."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from services.portal.models import AuditEntry
from shared.demo import org
from tests.helpers import eventually
from tests.notifications.conftest import ServiceFactory, Sink
from tests.portal.conftest import ACCOUNTS, PortalHarness
from tests.portal.disputes.conftest import OTHER_OFFICER, STATION, VILLAGE, Stack, intake_body
from workflows.disputes import client as dc
from workflows.disputes.types import DisputeIntake

PHONE = "13911112222"
OTP = re.compile(r"一次性密码([2-9a-z]{10})")
NEW_PASSWORD = "Fq-mine-2026!"


async def sms_password(sink: Sink, phone: str, seen: int = 0) -> str:
    async def arrived() -> list[str]:
        return [m.body for m in sink.received("sms", to=phone)]

    bodies = await eventually(lambda: _more(arrived, seen), timeout=30)
    found = OTP.search(bodies[0])
    assert found, bodies[0]
    return found.group(1)


async def _more(arrived: Any, seen: int) -> list[str] | None:
    bodies: list[str] = await arrived()
    return bodies if len(bodies) > seen else None


async def login_status(h: PortalHarness, login: str, password: str) -> int:
    c = h.client()
    r = await h.post_form(c, "/login", {"login": login, "password": password, "next": "/"})
    return r.status_code


async def audited(h: PortalHarness) -> list[tuple[str, str | None, str | None]]:
    async with h.runtime.factory() as s:
        rows = await s.execute(
            select(AuditEntry.action, AuditEntry.actor_id, AuditEntry.subject)
            .where(AuditEntry.action.startswith("staff."))
            .order_by(AuditEntry.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_new_officer_gets_an_sms_and_must_choose_a_password(
    stack: Stack, start_service: ServiceFactory, sink: Sink, sqlite_url: Any
) -> None:
    await start_service(sqlite_url("notifications"))
    h = stack.portal
    admin = await h.login("admin")
    form = await admin.get("/admin/staff/new")
    assert form.status_code == 200 and "新建工作人员账号" in form.text
    r = await h.post_form(
        admin,
        "/admin/staff/new",
        {
            "display_name": "马小明",
            "username": "ma.xiaoming",
            "phone": PHONE,
            "role": "officer",
            "station_code": STATION,
            "police_room_code": VILLAGE.police_room_code,
        },
    )
    assert r.status_code == 303, r.text
    user_id = r.headers["location"].split("/")[3].split("?")[0]
    detail = await admin.get(r.headers["location"])
    assert "账号已创建" in detail.text and "待首次登录" in detail.text
    assert PHONE not in detail.text, "the phone is masked"

    one_time = await sms_password(sink, PHONE)
    assert await login_status(h, "ma.xiaoming", one_time) == 401, "no session from it"
    browser = h.client()
    bad = await h.post_form(
        browser,
        "/first-login",
        {
            "login": "ma.xiaoming",
            "one_time_password": "wrong-one1",
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    assert bad.status_code == 422 and "登录名或一次性密码错误" in bad.text
    ok = await h.post_form(
        browser,
        "/first-login",
        {
            "login": "ma.xiaoming",
            "one_time_password": one_time,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    assert (ok.status_code, ok.headers["location"]) == (303, "/")
    assert "马小明" in (await browser.get("/")).text
    assert await login_status(h, "ma.xiaoming", NEW_PASSWORD) == 303
    again = await h.post_form(
        h.client(),
        "/first-login",
        {
            "login": "ma.xiaoming",
            "one_time_password": one_time,
            "new_password": "Fq-other-9999",
            "confirm_password": "Fq-other-9999",
        },
    )
    assert again.status_code == 422, "a one-time password works once"
    assert (await audited(h)) == [("staff.created", ACCOUNTS["admin"].user_id, user_id)]


async def test_deactivate_ends_logins_and_hands_open_cases_to_the_bulk_reassignment(
    stack: Stack,
) -> None:
    h = stack.portal
    officer = ACCOUNTS["officer"]
    intake = DisputeIntake.model_validate(
        {**intake_body(), "reporter_kind": "officer", "reporter_id": officer.user_id}
    )
    case_id = await dc.start_case(stack.env.client, intake, task_queue=stack.task_queue)
    await stack.assigned_to(case_id, officer.user_id)
    logged_in = await h.login("officer")
    chief = await h.login("station_chief")
    r = await h.post_form(
        chief, f"/admin/staff/{officer.user_id}/deactivate", {"reason": "长期病假"}
    )
    assert r.status_code == 303
    assert (await logged_in.get("/tasks")).status_code == 303, "their session ended"
    assert await login_status(h, officer.username, officer.password) == 401
    page = await chief.get(f"/admin/staff/{officer.user_id}")
    assert "已停用" in page.text and "在办案件：1 件" in page.text
    colleague = next(
        o.user_id
        for o in org().officers
        if o.station_code == STATION and o.user_id != officer.user_id
    )
    assert f'value="{colleague}"' in page.text
    moved = await h.post_form(
        chief,
        "/supervision/bulk-reassign",
        {"from_officer": officer.user_id, "to_officer": colleague, "reason": "病假移交"},
    )
    assert moved.status_code == 303
    await stack.wait_for(case_id, lambda v: v.assignee_id == colleague)

    r = await h.post_form(
        chief, f"/admin/staff/{officer.user_id}/reactivate", {"reason": "病愈返岗"}
    )
    assert r.status_code == 303
    assert await login_status(h, officer.username, officer.password) == 303
    assert [a for a, _, _ in await audited(h)] == ["staff.deactivated", "staff.reactivated"]


async def test_station_chiefs_manage_their_own_officers_only(stack: Stack) -> None:
    h = stack.portal
    chief = await h.login("station_chief")
    listing = await chief.get("/admin/staff")
    assert ACCOUNTS["officer"].user_id in listing.text
    assert OTHER_OFFICER.user_id not in listing.text
    assert ACCOUNTS["admin"].user_id not in listing.text
    assert (await chief.get(f"/admin/staff/{OTHER_OFFICER.user_id}")).status_code == 403
    assert (await chief.get(f"/admin/staff/{ACCOUNTS['admin'].user_id}")).status_code == 403
    r = await h.post_form(
        chief,
        f"/admin/staff/{OTHER_OFFICER.user_id}/deactivate",
        {"reason": "不是本所的"},
    )
    assert r.status_code == 403
    api = await h.api("station_chief")
    r = await api.post(
        "/api/v1/admin/staff",
        json={
            "username": "new.chief",
            "display_name": "新所长",
            "phone": "13911113333",
            "role": "station_chief",
        },
    )
    assert r.status_code == 422
    assert {"field": "role", "reason": "you may not give this role", "type": "value_error"} in (
        r.json()["detail"]
    )
    for who in ("officer", "resident", "clerk"):
        assert (await (await h.api(who)).get("/api/v1/admin/staff")).status_code == 403
        assert (await (await h.login(who)).get("/admin/staff")).status_code == 403


async def test_the_staff_api_creates_refuses_resets_and_changes_roles(
    stack: Stack, start_service: ServiceFactory, sink: Sink, sqlite_url: Any
) -> None:
    await start_service(sqlite_url("notifications"))
    h = stack.portal
    api = await h.api("admin")
    bad = await api.post(
        "/api/v1/admin/staff",
        json={"username": "X", "display_name": "", "phone": "123", "role": "clerk"},
    )
    assert bad.status_code == 422
    assert {d["field"] for d in bad.json()["detail"]} == {
        "username",
        "display_name",
        "phone",
        "village_code",
    }
    body = {
        "username": "clerk.two",
        "display_name": "李店员",
        "phone": "13911114444",
        "role": "clerk",
        "village_code": VILLAGE.code,
    }
    created = await api.post("/api/v1/admin/staff", json=body)
    assert created.status_code == 201, created.text
    staff = created.json()
    assert (staff["role"], staff["village_code"], staff["station_code"]) == (
        "clerk",
        VILLAGE.code,
        STATION,
    )
    assert staff["phone"] != body["phone"] and staff["first_login_pending"] is True
    assert (await api.post("/api/v1/admin/staff", json=body)).json()["detail"][0] == {
        "field": "username",
        "reason": "already taken",
        "type": "value_error",
    }
    first = await sms_password(sink, body["phone"])
    reset = await api.post(
        f"/api/v1/admin/staff/{staff['user_id']}/reset-password", json={"reason": "短信丢失"}
    )
    assert reset.status_code == 200 and reset.json()["sent_to"] == "139****4444"
    second = await sms_password(sink, body["phone"], seen=1)
    assert second != first
    refused = await h.post_form(
        h.client(),
        "/first-login",
        {
            "login": "clerk.two",
            "one_time_password": first,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    assert refused.status_code == 422, "the first one-time password is void after the reset"

    role = await api.put(
        f"/api/v1/admin/staff/{staff['user_id']}/role",
        json={"role": "group_leader", "village_code": VILLAGE.code, "reason": "改任义警队长"},
    )
    assert role.status_code == 200 and role.json()["role"] == "group_leader"
    no_reason = await api.post(
        f"/api/v1/admin/staff/{staff['user_id']}/deactivate", json={"reason": ""}
    )
    assert no_reason.json()["detail"] == [
        {
            "field": "reason",
            "reason": "String should have at least 2 characters",
            "type": "string_too_short",
        }
    ]
    me = ACCOUNTS["admin"].user_id
    own = await api.post(f"/api/v1/admin/staff/{me}/reset-password", json={"reason": "忘了密码"})
    assert (own.status_code, own.json()["detail"][0]["field"]) == (422, "user_id")
    assert (await api.get(f"/api/v1/admin/staff/{me}")).status_code == 200, "still signed in"
    assert (await api.get("/api/v1/admin/staff/nobody")).status_code == 404
    cases = await api.get(f"/api/v1/admin/staff/{ACCOUNTS['officer'].user_id}/open-cases")
    assert cases.status_code == 200 and cases.json()["case_ids"] == []
    assert [a for a, _, _ in await audited(h)] == [
        "staff.created",
        "staff.password_reset",
        "staff.role_changed",
    ]


async def test_the_openapi_documents_the_staff_api(portal: PortalHarness) -> None:
    paths = (await portal.client().get("/openapi.json")).json()["paths"]
    assert {"201", "401", "403", "422", "503"} <= set(
        paths["/api/v1/admin/staff"]["post"]["responses"]
    )
    for action in ("deactivate", "reactivate", "reset-password"):
        assert {"404", "422"} <= set(
            paths[f"/api/v1/admin/staff/{{user_id}}/{action}"]["post"]["responses"]
        )
    assert "put" in paths["/api/v1/admin/staff/{user_id}/role"]
