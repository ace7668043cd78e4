"""Partner organisations answer their own linkage requests, through the disputes service, on the
real Temporal server and PostgreSQL: the answer is recorded as the partner's member (timeline,
workflow state), another organisation is refused, and a request names an organisation that
exists, is of the kind asked and serves the case's village. A request is POSTed to the
organisation's outbound channel (a real HTTP server here): while the channel is down the case
is on the stuck board; once the channel is fixed and retried, the notice arrives once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from services.disputes.models import TimelineEntry
from shared.demo_partners import partner_orgs
from tests.disputes.conftest import Service
from tests.helpers import free_port, poll, serving
from tests.workflows.disputes.conftest import ROOM, VILLAGE, intake, officer
from workflows.disputes.types import Actor

JUDICIAL = f"JO-{VILLAGE.station_code}"
COMMITTEE = f"VC-{VILLAGE.code}"
FAR_COMMITTEE = next(
    p.code
    for p in partner_orgs()
    if p.kind == "village_committee" and VILLAGE.code not in p.village_codes
)


def member(user_id: str, code: str, name: str) -> dict[str, Any]:
    actor = Actor(user_id=user_id, role="partner", partner_code=code, display_name=name)
    return actor.model_dump(mode="json")


async def act(
    svc: Service, case_id: str, action: str, actor: dict[str, Any], key: str, **payload: Any
) -> Any:
    return await svc.http.post(
        f"/internal/v1/cases/{case_id}/actions/{action}",
        json={"actor": actor, "idempotency_key": key, "payload": payload},
    )


async def test_a_partner_answers_as_itself_and_another_is_refused(svc: Service) -> None:
    r = await svc.http.post("/internal/v1/cases", json=intake().model_dump(mode="json"))
    assert r.status_code == 201, r.text
    case_id = r.json()["case_id"]

    async def live() -> Any:
        resp = await svc.http.get(f"/internal/v1/cases/{case_id}/live")
        return resp.json() if resp.status_code == 200 else None

    view = await poll(live, lambda v: v is not None and v["assignee_id"] is not None)
    me = officer(view["assignee_id"]).model_dump(mode="json")
    assert view["assignee_id"] in ROOM.officer_ids
    assert (await act(svc, case_id, "accept", me, "k-accept")).status_code == 200

    # the organisation must exist, be of the kind asked and serve the case's village
    for code, partner, why in [
        ("JO-NOPE", "judicial_office", "no such partner organisation"),
        (JUDICIAL, "womens_federation", "this organisation is a judicial_office"),
        (FAR_COMMITTEE, "village_committee", "does not serve the case's village"),
    ]:
        r = await act(
            svc,
            case_id,
            "link-partner",
            me,
            f"k-{code}-{partner}",
            partner=partner,
            request="请协助",
            partner_code=code,
        )
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["loc"] == ["body", "payload", "partner_code"]
        assert why in r.json()["detail"][0]["msg"]

    r = await act(
        svc,
        case_id,
        "link-partner",
        me,
        "k-link",
        partner="judicial_office",
        request="请司法所参与调解",
        partner_code=JUDICIAL,
        deadline_hours=48,
    )
    assert r.status_code == 200, r.text
    [asked] = r.json()["partner_requests"]
    assert asked["partner_code"] == JUDICIAL and asked["answer"] is None

    page = (await svc.http.get(f"/internal/v1/partners/{JUDICIAL}/tasks")).json()
    assert page["partner"]["name"] == f"{VILLAGE.township}司法所"
    [item] = page["items"]
    assert (item["request_id"], item["case_id"], item["request"]) == (
        asked["request_id"],
        case_id,
        "请司法所参与调解",
    )
    due = datetime.fromisoformat(item["deadline"])
    assert timedelta(hours=47) < due - datetime.now(UTC) <= timedelta(hours=48)
    assert item["village_name"] == VILLAGE.name and not item["overdue"]
    assert (await svc.http.get(f"/internal/v1/partners/{COMMITTEE}/tasks")).json()["items"] == []

    # the village committee was not asked: it cannot see the case nor answer for the office
    r = await svc.http.get(f"/internal/v1/partners/{COMMITTEE}/cases/{case_id}")
    assert r.status_code == 403
    other = member("ptn-vc-0001", COMMITTEE, "村委会主任 杨海")
    r = await act(
        svc,
        case_id,
        "partner-reply",
        other,
        "k-other",
        request_id=asked["request_id"],
        answer="我们来",
    )
    assert r.status_code == 409
    assert r.json()["detail"] == f"request {asked['request_id']} was not sent to your organisation"
    # nor may a partner do anything else to the case
    office = member("ptn-jo-0001", JUDICIAL, "调解员 马玉兰")
    r = await act(svc, case_id, "follow-up", office, "k-fu", done="去过了", outcome="progress")
    assert r.status_code == 409 and "may not follow-up" in r.json()["detail"]

    r = await act(
        svc,
        case_id,
        "partner-reply",
        office,
        "k-reply",
        request_id=asked["request_id"],
        answer="同意周三参与调解",
    )
    assert r.status_code == 200, r.text
    [answered] = r.json()["partner_requests"]
    assert answered["answer"] == "同意周三参与调解"
    assert (answered["answered_by"], answered["answered_by_name"]) == (
        "ptn-jo-0001",
        "调解员 马玉兰",
    )

    async with svc.runtime.factory() as s:
        row = (
            await s.execute(
                select(TimelineEntry).where(
                    TimelineEntry.case_id == case_id, TimelineEntry.kind == "partner_replied"
                )
            )
        ).scalar_one()
    assert row.actor_id == "ptn-jo-0001" and row.note == "同意周三参与调解"
    assert row.data["partner_code"] == JUDICIAL and row.data["by_name"] == "调解员 马玉兰"

    assert (await svc.http.get(f"/internal/v1/partners/{JUDICIAL}/tasks")).json()["items"] == []
    done = (
        await svc.http.get(
            f"/internal/v1/partners/{JUDICIAL}/tasks", params={"include_closed": "true"}
        )
    ).json()
    [closed] = done["items"]
    assert (closed["open"], closed["answer"], closed["answered_by_name"]) == (
        False,
        "同意周三参与调解",
        "调解员 马玉兰",
    )
    case = (await svc.http.get(f"/internal/v1/partners/{JUDICIAL}/cases/{case_id}")).json()
    assert "id_number" not in str(case)
    assert [p["phone"] for p in case["parties"]] == ["139****0001", "139****0002"]
    # answered once: the same request is not open for another answer
    r = await act(
        svc,
        case_id,
        "partner-reply",
        office,
        "k-again",
        request_id=asked["request_id"],
        answer="再答一次",
    )
    assert r.status_code == 409


async def test_a_notice_stuck_on_a_down_channel_goes_once_the_channel_is_fixed(
    svc: Service, temporal_env: WorkflowEnvironment
) -> None:
    got: list[tuple[str, dict[str, Any]]] = []
    receiver = FastAPI()

    @receiver.post("/fengqiao/linkage")
    async def notice(request: Request) -> dict[str, bool]:
        got.append((request.headers.get("idempotency-key", ""), await request.json()))
        return {"ok": True}

    channel = f"{DIRECTORY}/partners/{JUDICIAL}/channel"
    # bad input names the field; an unknown organisation is 404
    r = await svc.http.put(channel, json=channel_body("ftp://x/"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "notify_url"
    r = await svc.http.put(f"{DIRECTORY}/partners/JO-NOPE/channel", json=channel_body(None))
    assert r.status_code == 404
    down = f"http://127.0.0.1:{free_port()}/"  # nothing listens there
    r = await svc.http.put(channel, json=channel_body(down))
    assert (r.status_code, r.json()["notify_url"]) == (200, down)

    r = await svc.http.post("/internal/v1/cases", json=intake().model_dump(mode="json"))
    case_id = r.json()["case_id"]
    view = await poll(
        lambda: svc.http.get(f"/internal/v1/cases/{case_id}/live"),
        lambda resp: resp.status_code == 200 and resp.json()["assignee_id"] is not None,
    )
    me = officer(view.json()["assignee_id"]).model_dump(mode="json")
    assert (await act(svc, case_id, "accept", me, "n-accept")).status_code == 200
    # the officer's request answers at once: the notice goes afterwards
    r = await act(
        svc,
        case_id,
        "link-partner",
        me,
        "n-link",
        partner="judicial_office",
        request="请司法所参与调解",
        partner_code=JUDICIAL,
    )
    assert r.status_code == 200, r.text
    [asked] = r.json()["partner_requests"]

    async def board() -> list[dict[str, Any]]:
        r = await svc.http.get("/internal/v1/stuck", params={"station": VILLAGE.station_code})
        return [i for i in r.json()["items"] if i["case_id"] == case_id]

    try:
        [row] = await poll(board, lambda rows: "does not answer" in str(rows), timeout=30)
        assert (row["kind"], row["level"], row["partner_code"]) == ("technical", "red", JUDICIAL)
        assert row["activity"] == "dispute_notify_partner"
        assert row["why"].startswith("activity dispute_notify_partner at attempt ")
        assert row["why"].endswith(
            f"the channel of partner organisation {JUDICIAL} does not answer"
        )
        assert got == []

        async with serving(receiver) as base:
            r = await svc.http.put(channel, json=channel_body(f"{base}/fengqiao/linkage"))
            assert r.status_code == 200
            r = await svc.http.post(
                f"/internal/v1/supervision/retry/{case_id}",
                json={"actor_id": f"chief-{VILLAGE.station_code}", "reason": "通道已修复"},
            )
            assert r.json() == {"case_id": case_id, "activities_reset": 1}
            await poll(board, lambda rows: rows == [], timeout=30)
            timeline = await poll(
                lambda: kinds(svc, case_id), lambda k: "partner_notified" in k, timeout=10
            )
            # the case moves on: the office answers, no second notice
            office = member("ptn-jo-0001", JUDICIAL, "调解员 马玉兰")
            r = await act(
                svc,
                case_id,
                "partner-reply",
                office,
                "n-reply",
                request_id=asked["request_id"],
                answer="周三到场",
            )
            assert r.status_code == 200, r.text
        assert timeline.count("partner_notified") == 1
        [(key, body)] = got
        assert key == asked["request_id"]
        assert (body["case_id"], body["partner_code"], body["request"]) == (
            case_id,
            JUDICIAL,
            "请司法所参与调解",
        )
        assert "phone" not in str(body) and "parties" not in body
    finally:
        await temporal_env.client.get_workflow_handle(f"dispute-{case_id}").terminate()


DIRECTORY = "/internal/v1/admin/directory"


def channel_body(url: str | None) -> dict[str, Any]:
    return {"notify_url": url, "actor_id": "admin-1", "reason": "演示通道"}


async def kinds(svc: Service, case_id: str) -> list[str]:
    async with svc.runtime.factory() as s:
        rows = await s.scalars(
            select(TimelineEntry.kind)
            .where(TimelineEntry.case_id == case_id)
            .order_by(TimelineEntry.seq)
        )
        return list(rows)
