"""The screening rules on the admin pages and in /api/v1/admin, against the portal, the disputes
service and a worker on the real Temporal server: preview, refusal with the field and the
reason, saving a version that grades the next case, the audit, the role checks."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from services.portal.models import AuditEntry
from tests.portal.conftest import ACCOUNTS, PortalHarness
from tests.portal.disputes.conftest import Stack, intake_body
from workflows.disputes import client as dc
from workflows.disputes.types import DisputeIntake

PAGE = "/admin/rules/screening"
API = "/api/v1/admin/rules/screening"
ADMIN = ACCOUNTS["admin"].user_id


async def start(stack: Stack, **risk: Any) -> str:
    intake = DisputeIntake.model_validate(
        {**intake_body(**risk), "reporter_kind": "officer", "reporter_id": "officer"}
    )
    case_id = await dc.start_case(stack.env.client, intake, task_queue=stack.task_queue)
    await stack.wait_for(case_id, lambda v: v.assignee_id is not None)
    return case_id


def form_of(html: str) -> dict[str, str]:
    """The rules form as the browser would send it (inputs, selected options, textareas)."""
    form = html[html.index('id="rules-form"') :]
    form = form[: form.index("</form>")]
    data: dict[str, str] = {}
    for m in re.finditer(
        r'<input (?=[^>]*name="([^"]+)")(?![^>]*type="checkbox")[^>]*?value="([^"]*)"', form
    ):
        data[m.group(1)] = m.group(2)
    for m in re.finditer(r'<select name="([^"]+)">(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]+)" selected', m.group(2))
        first = re.search(r'<option value="([^"]+)"', m.group(2))
        data[m.group(1)] = (chosen or first).group(1)  # type: ignore[union-attr]
    data.pop("csrf_token", None)
    return data


def set_colour(data: dict[str, str], rule_id: str, colour: str) -> dict[str, str]:
    [row] = [k[: -len(".id")] for k, v in data.items() if k.endswith(".id") and v == rule_id]
    return {**data, f"{row}.colour": colour}


async def test_preview_then_save_grades_the_next_case_red(stack: Stack) -> None:
    h: PortalHarness = stack.portal
    await start(stack, people_involved=6)  # yellow under the file's rules
    await start(stack, threats=True)  # red
    admin = await h.login("admin")
    page = await admin.get(PAGE)
    assert page.status_code == 200
    assert "现行：第 0 版" in page.text
    data = set_colour(form_of(page.text), "several_people", "red")

    preview = await h.post_form(admin, PAGE, {**data, "action": "preview"})
    assert preview.status_code == 200, preview.text
    assert (
        "按这些规则，最近 30 天的 2 件案件中将有 2 件为红色（现行规则下为 1 件）。" in preview.text
    )
    assert (await (await h.api("admin")).get(API)).json()["version"] == 0, (
        "a preview stores nothing"
    )

    saved = await h.post_form(
        admin, PAGE, {**data, "action": "save", "reason": "五人以上纠纷提前红色预警"}
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{PAGE}?saved=1"
    after = await admin.get(saved.headers["location"])
    assert "第 1 版已保存" in after.text and "现行：第 1 版" in after.text
    assert "五人以上纠纷提前红色预警" in after.text

    new = await start(stack, people_involved=6)
    assert (await dc.view(stack.env.client, new)).colour == "red"
    async with h.runtime.factory() as s:
        rows = (
            await s.execute(
                select(AuditEntry.action, AuditEntry.actor_id, AuditEntry.detail).where(
                    AuditEntry.action.startswith("admin.")
                )
            )
        ).all()
    assert [(a, who, d["version"], d["reason"]) for a, who, d in rows] == [
        ("admin.rules.screening.saved", ADMIN, 1, "五人以上纠纷提前红色预警")
    ]


async def test_a_bad_rule_is_shown_next_to_its_field_and_nothing_is_saved(stack: Stack) -> None:
    h = stack.portal
    admin = await h.login("admin")
    data = form_of((await admin.get(PAGE)).text)
    data["r0.id"] = "Bad Id"
    data["r3.fact"] = "people_involved"
    data["r3.op"] = "gte"
    data["r3.value"] = "-4"
    r = await h.post_form(admin, PAGE, {**data, "action": "save", "reason": "x"})
    assert r.status_code == 422
    assert "编号须为 2 至 48 个小写字母、数字或下划线，并以字母开头" in r.text
    assert "数值类事实须填写 0 至 10000 之间的整数" in r.text
    assert "请说明修改原因（5 至 500 个字符）" in r.text
    assert 'value="Bad Id"' in r.text, "the form comes back as typed"
    versions = (await (await h.api("admin")).get(f"{API}/versions")).json()
    assert [v["version"] for v in versions] == [0]


async def test_the_json_api_previews_refuses_and_saves(stack: Stack) -> None:
    h = stack.portal
    api = await h.api("admin")
    current = (await api.get(API)).json()
    rules = current["rules"]
    bad = {
        **rules,
        "rules": [*rules["rules"], {**rules["rules"][0], "when": {"fact": "moon", "gte": 1}}],
    }
    r = await api.post(f"{API}/preview", json={"rules": bad})
    assert r.status_code == 422
    n = len(rules["rules"])
    assert r.json()["detail"] == [
        {
            "field": f"rules.rules.{n}.id",
            "reason": f"the id {rules['rules'][0]['id']} is used by another rule",
            "type": "value_error",
        },
        {
            "field": f"rules.rules.{n}.when.fact",
            "reason": "unknown fact moon",
            "type": "value_error",
        },
    ]
    r = await api.post(f"{API}/preview", json={"rules": rules, "days": 7})
    assert r.status_code == 200
    assert (r.json()["cases"], r.json()["changed_total"]) == (0, 0)
    r = await api.post(API, json={"rules": rules, "reason": "同上，仅换版本号"})
    assert r.status_code == 201, r.text
    assert (r.json()["version"], r.json()["author_id"]) == (1, ADMIN)
    assert [v["version"] for v in (await api.get(f"{API}/versions")).json()] == [1, 0]
    assert (await api.get(f"{API}/versions/1")).json()["reason"] == "同上，仅换版本号"
    assert (await api.get(f"{API}/versions/9")).status_code == 404


async def test_only_administrators(stack: Stack) -> None:
    h = stack.portal
    for who in ("officer", "station_chief", "resident"):
        browser = await h.login(who)
        assert (await browser.get(PAGE)).status_code == 403
        api = await h.api(who)
        assert (await api.get(API)).status_code == 403
        assert (await api.post(API, json={})).status_code == 403
    anonymous = h.client()
    assert (await anonymous.get(API)).status_code == 401
    r = await anonymous.get(PAGE)
    assert (r.status_code, r.headers["location"]) == (303, f"/login?next={PAGE}")
    admin = await h.login("admin")
    no_csrf = await admin.post(PAGE, data={"action": "preview", "count": "0"})
    assert no_csrf.status_code == 403


async def test_the_openapi_documents_the_admin_rules_api(portal: PortalHarness) -> None:
    spec = (await portal.client().get("/openapi.json")).json()
    paths = spec["paths"]
    assert set(paths[API]) == {"get", "post"}
    assert {"201", "401", "403", "409", "422", "503"} <= set(paths[API]["post"]["responses"])
    assert {"200", "401", "403", "422", "503"} <= set(paths[f"{API}/preview"]["post"]["responses"])
    assert "404" in paths[f"{API}/versions/{{number}}"]["get"]["responses"]
    assert paths[f"{API}/versions"]["get"]["tags"] == ["admin_rules"]


async def test_english_page(stack: Stack) -> None:
    h = stack.portal
    admin = await h.login("admin")
    await h.post_form(admin, "/lang", {"language": "en", "next": PAGE})
    page = await admin.get(PAGE)
    assert "In force: version 0" in page.text
    assert "Save as a new version" in page.text
    hub = await admin.get("/admin")
    assert 'href="/admin/rules/screening"' in hub.text
