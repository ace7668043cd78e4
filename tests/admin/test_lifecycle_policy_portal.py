"""The lifecycle deadlines on the admin page and in /api/v1/admin, against the portal, the
disputes service and a worker on the real Temporal server: preview, refusal with the field and
the reason, saving a version that the next reported case starts with, the audit, the roles."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from services.disputes.models import Task
from services.portal.models import AuditEntry
from tests.helpers import poll
from tests.portal.conftest import ACCOUNTS, PortalHarness
from tests.portal.disputes.conftest import Stack, intake_body

PAGE = "/admin/rules/lifecycle"
API = "/api/v1/admin/rules/lifecycle"
ADMIN = ACCOUNTS["admin"].user_id


def form_of(html: str) -> dict[str, str]:
    """The deadlines form as the browser would send it."""
    form = html[html.index('id="lifecycle-form"') :]
    form = form[: form.index("</form>")]
    data = dict(re.findall(r'<input name="([^"]+)" value="([^"]*)"', form))
    data["days"] = "30"
    return data


async def report(stack: Stack, household: str) -> str:
    """A case reported through the portal's API by an officer: what the desk does."""
    officer = await stack.api("officer")
    body = {**intake_body(), "households": [{"household_id": household, "name": household}]}
    r = await officer.post("/api/v1/disputes", json=body)
    assert r.status_code in (201, 202), r.text
    case_id: str = r.json()["case_id"]
    return case_id


async def accept_window(stack: Stack, case_id: str) -> timedelta:
    async def task() -> Task | None:
        async with stack.factory() as s:
            rows = await s.execute(select(Task).where(Task.case_id == case_id))
            return rows.scalars().first()

    t = await poll(task, lambda t: t is not None, 20)
    assert t is not None and t.due_at is not None
    return t.due_at - t.opened_at


async def test_preview_then_save_gives_the_next_case_the_new_deadlines(stack: Stack) -> None:
    h: PortalHarness = stack.portal
    before = await report(stack, "hh-lp-1")  # green: 1440 minutes to accept (the file)
    admin = await h.login("admin")
    page = await admin.get(PAGE)
    assert page.status_code == 200
    assert "现行：第 0 版" in page.text
    data = form_of(page.text)
    assert (data["accept_minutes.green"], data["follow_up_every_days.red"]) == ("1440", "1")
    # every visit a day sooner: the case just reported is due for nothing yet either way
    bad = data | {"follow_up_every_days.red": "5", "closure_approval_hours": "soon"}
    r = await h.post_form(admin, PAGE, {**bad, "action": "save", "reason": "红色五天一访"})
    assert r.status_code == 422
    assert "红色的时限不得长于黄色（3）" in r.text
    assert "须为大于 0、不超过 720 的小时数" in r.text
    assert 'name="closure_approval_hours" value="soon"' in r.text, "the form comes back as typed"
    assert (await (await h.api("admin")).get(API)).json()["version"] == 0, "nothing stored"

    data |= {
        "accept_minutes.red": "15",
        "accept_minutes.yellow": "60",
        "accept_minutes.green": "120",
        "follow_up_every_days.yellow": "2",
        "follow_up_every_days.green": "2",
    }

    preview = await h.post_form(admin, PAGE, {**data, "action": "preview"})
    assert preview.status_code == 200, preview.text
    assert "按这些时限，最近 30 天的 1 件案件将错过 0 个时限（现行时限下为 0 个）。" in (
        preview.text
    )
    # every effect the policy holds is counted, each under both (the case is minutes old)
    effects = re.findall(
        r'<tr data-effect="(\w+)"><td>([^<]+)</td><td>(\d+)</td><td>(\d+)</td>', preview.text
    )
    assert [(e, label) for e, label, *_ in effects] == [
        ("accept_late", "超时未接单（每次均升级）"),
        ("follow_up_due", "应跟踪走访次数"),
        ("follow_up_overdue", "跟踪走访逾期次数"),
        ("linkage_overdue", "联动单位逾期答复次数"),
        ("closure_approval_overdue", "结案审批逾期次数"),
        ("return_visit_due", "应回访次数"),
        ("return_visit_overdue", "回访逾期次数"),
    ]
    assert {(now, new) for *_, now, new in effects} == {("0", "0")}
    assert "各项数字均不变。" in preview.text
    assert (await (await h.api("admin")).get(API)).json()["version"] == 0, "nothing stored"

    why = "绿色案件两小时接单"
    saved = await h.post_form(admin, PAGE, {**data, "action": "save", "reason": why})
    assert (saved.status_code, saved.headers["location"]) == (303, f"{PAGE}?saved=1")
    after_page = await admin.get(saved.headers["location"])
    assert "第 1 版已保存" in after_page.text and "现行：第 1 版" in after_page.text
    assert "绿色案件两小时接单" in after_page.text

    after = await report(stack, "hh-lp-2")
    assert await accept_window(stack, after) == timedelta(minutes=120)
    assert await accept_window(stack, before) == timedelta(minutes=1440)
    async with h.runtime.factory() as s:
        rows = (
            await s.execute(
                select(AuditEntry.action, AuditEntry.actor_id, AuditEntry.detail).where(
                    AuditEntry.action.startswith("admin.")
                )
            )
        ).all()
    assert [(a, who, d["version"], d["reason"]) for a, who, d in rows] == [
        ("admin.rules.lifecycle.saved", ADMIN, 1, "绿色案件两小时接单")
    ]


async def test_the_json_api_for_administrators_only_and_the_english_page(stack: Stack) -> None:
    api = await stack.portal.api("admin")
    values = (await api.get(API)).json()["values"]
    bad = {**values, "follow_up_every_days": {"red": 4, "yellow": 3, "green": 7}}
    r = await api.post(f"{API}/preview", json={"values": bad})
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {
            "field": "values.follow_up_every_days.red",
            "reason": "red must not be longer than yellow, which is 3",
            "type": "value_error",
        }
    ]
    r = await api.post(f"{API}/preview", json={"values": {**values, "colour": "red"}})
    assert (r.status_code, r.json()["detail"][0]["field"]) == (422, "values.colour")
    r = await api.post(f"{API}/preview", json={"values": values, "days": 7})
    assert (r.status_code, r.json()["cases"], r.json()["changed_total"]) == (200, 0, 0)
    r = await api.post(API, json={"values": values, "reason": "同上，仅换版本号"})
    assert r.status_code == 201, r.text
    assert (r.json()["version"], r.json()["author_id"]) == (1, ADMIN)
    assert [v["version"] for v in (await api.get(f"{API}/versions")).json()] == [1, 0]
    assert (await api.get(f"{API}/versions/1")).json()["values"] == values
    assert (await api.get(f"{API}/versions/9")).status_code == 404

    h = stack.portal
    for who in ("officer", "station_chief", "resident"):
        assert (await (await h.login(who)).get(PAGE)).status_code == 403
        api = await h.api(who)
        assert (await api.get(API)).status_code == 403
        assert (await api.post(API, json={})).status_code == 403
    anonymous = h.client()
    assert (await anonymous.get(API)).status_code == 401
    r = await anonymous.get(PAGE)
    assert (r.status_code, r.headers["location"]) == (303, f"/login?next={PAGE}")
    admin = await h.login("admin")
    assert (await admin.post(PAGE, data={"action": "preview"})).status_code == 403  # no CSRF
    await h.post_form(admin, "/lang", {"language": "en", "next": PAGE})
    page = await admin.get(PAGE)
    assert "In force: version 1" in page.text
    assert "A follow-up visit every ... days" in page.text
    assert 'href="/admin/rules/lifecycle"' in (await admin.get("/admin")).text
