"""The administrator's roll-out page, over the whole stack (portal, disputes service, worker on
the dev server): admin only, CSRF, a confirmation; the chosen station's running case takes the
new deadline and shows the change on its timeline; the portal's audit log records the batch."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path

import yaml

from shared.contracts.disputes import LifecycleDeadlines
from tests.portal.disputes.conftest import STATION, Stack, audit_actions, intake_body

TEXTAREA = re.compile(r'<textarea name="lifecycle_yaml"[^>]*>(.*?)</textarea>', re.S)
FILE_TEXT = Path("workflows/disputes/lifecycle.yaml").read_text(encoding="utf-8")
LIFECYCLE = yaml.safe_load(FILE_TEXT)


async def test_admin_rolls_a_lifecycle_out_to_a_station(stack: Stack) -> None:
    officer = await stack.portal.api("officer")
    r = await officer.post("/api/v1/disputes", json=intake_body())
    assert r.status_code == 201, r.text
    case_id = r.json()["case_id"]
    before = (await stack.wait_for(case_id, lambda v: v.stage == "assignment")).stage_deadline
    assert before is not None

    chief = await stack.portal.login("station_chief")
    assert (await chief.get("/admin/lifecycle")).status_code == 403
    r = await chief.post("/admin/lifecycle", data={"version": "x"})
    assert r.status_code in (403, 400)

    admin = await stack.portal.login("admin")
    page = await admin.get("/admin/lifecycle")
    assert page.status_code == 200
    assert "accept_minutes" in page.text and "流程时限下发" in page.text
    text = yaml.safe_dump({**LIFECYCLE, "accept_minutes": {"red": 15, "yellow": 60, "green": 120}})
    form = {"lifecycle_yaml": text, "version": "2026-12-c", "reason": "缩短受理时限"}
    form["station"] = STATION
    r = await stack.portal.post_form(admin, "/admin/lifecycle", form)
    assert r.status_code == 422
    assert "请确认向在办案件下发" in r.text
    assert (await stack.wait_for(case_id, lambda v: True)).lifecycle_version == ""

    r = await stack.portal.post_form(admin, "/admin/lifecycle", {**form, "confirm": "yes"})
    assert r.status_code == 200, r.text
    assert "流程配置 2026-12-c 已下发到" in r.text
    v = await stack.wait_for(case_id, lambda v: v.lifecycle_version == "2026-12-c")
    assert v.stage_deadline is not None
    assert before - v.stage_deadline == timedelta(minutes=1440 - 120)
    assert "lifecycle_rolled_out" in await stack.timeline_kinds(case_id)
    assert ("dispute.lifecycle_rollout", "2026-12-c") in await audit_actions(stack)

    bad = {**form, "confirm": "yes", "lifecycle_yaml": "accept_minutes: {red: 0}"}
    r = await stack.portal.post_form(admin, "/admin/lifecycle", bad)
    assert r.status_code == 422
    assert "lifecycle_yaml" in r.text


async def test_the_roll_out_starts_from_the_newest_saved_policy_version(stack: Stack) -> None:
    admin = await stack.portal.login("admin")
    page = (await admin.get("/admin/lifecycle")).text
    assert "尚未保存流程时限版本" in page
    shown = html.unescape(TEXTAREA.findall(page)[0])
    assert shown == FILE_TEXT

    deadlines = {k: LIFECYCLE[k] for k in LifecycleDeadlines.model_fields}
    api = await stack.portal.api("admin")
    for hours, why in ((12, "审批提速一倍"), (8, "审批再提速")):
        body = {"values": {**deadlines, "closure_approval_hours": hours}, "reason": why}
        r = await api.post("/api/v1/admin/rules/lifecycle", json=body)
        assert r.status_code == 201, r.text
    page = (await admin.get("/admin/lifecycle")).text
    assert "以已保存的流程时限第 2 版为起点" in page
    assert 'name="version" value="policy-2"' in page and "审批再提速" in page
    start = yaml.safe_load(html.unescape(TEXTAREA.findall(page)[0]))
    # the saved version's deadlines over the file's other settings
    assert start == {**LIFECYCLE, "closure_approval_hours": 8}
