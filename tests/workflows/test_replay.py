"""The replay gate: every recorded history of every release, of both workflows, replays
against today's code with the project's data converter. A change to the commands a workflow
issues that is not behind `workflow.patched` fails here. Recorded files are never edited or
re-recorded (SHA256SUMS); `make histories` adds a version folder."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from shared.temporal import data_converter
from tests.workflows.corpus import record
from tests.workflows.corpus.files import (
    LEGACY,
    REPO,
    ROOT,
    WORKFLOWS,
    history_files,
    read_sums,
    relative,
    sha256,
    versions,
)
from workflows.disputes.worker import workflow_runner
from workflows.disputes.workflow import DisputeWorkflow
from workflows.home_visits.workflow import HomeVisitWorkflow

CODE: dict[str, list[type]] = {"disputes": [DisputeWorkflow], "home_visits": [HomeVisitWorkflow]}
# the sandbox each workflow's worker runs it in (the disputes worker passes its types through)
RUNNER = {"disputes": workflow_runner, "home_visits": SandboxedWorkflowRunner}
FILES = [(w, p) for w in WORKFLOWS for p in history_files(w)]


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))


async def replay(workflows: list[type], history: WorkflowHistory) -> None:
    replayer = Replayer(workflows=workflows, data_converter=data_converter())
    await replayer.replay_workflow(history, raise_on_replay_failure=True)


async def each(histories: dict[str, WorkflowHistory]) -> AsyncIterator[WorkflowHistory]:
    for h in histories.values():
        yield h


@pytest.mark.parametrize("workflow", WORKFLOWS)
async def test_every_history_replays(workflow: str) -> None:
    """One replayer per workflow for all its files (a replayer per file costs a second each),
    in the sandbox its worker runs it in: the disputes worker passes the case's data types
    through (workflows/disputes/worker.py), so activity results and carried state decode into
    the one class of each name, and a case's workflow loads in a fraction of the time."""
    histories = {relative(p): load(p) for p in history_files(workflow)}
    assert len({h.run_id for h in histories.values()}) == len(histories)
    runner = RUNNER[workflow]()
    replayer = Replayer(
        workflows=CODE[workflow], data_converter=data_converter(), workflow_runner=runner
    )
    results = await replayer.replay_workflows(each(histories), raise_on_replay_failure=False)
    failed = {
        name: str(results.replay_failures[h.run_id])
        for name, h in histories.items()
        if h.run_id in results.replay_failures
    }
    assert failed == {}


def test_every_recorded_file_is_listed_and_unchanged() -> None:
    sums = read_sums()
    on_disk = {relative(p) for _, p in FILES}
    assert on_disk - set(sums) == set(), "a history file not in SHA256SUMS (record with make)"
    missing = sorted(n for n in sums if not (REPO / n).exists())
    assert missing == [], "recorded histories are never deleted or moved"
    changed = sorted(n for n, digest in sums.items() if sha256(REPO / n) != digest)
    assert changed == [], "recorded histories are never edited or re-recorded"
    assert sum(n.startswith(relative(LEGACY)) for n in sums) >= 10


async def test_recording_refuses_an_existing_version() -> None:
    [first, *_] = versions("disputes")
    assert await record.record(first, ["disputes"]) == 1
    assert read_sums() == read_sums()


# --- the corpus holds every path, in every version --------------------------------------------


def decoded(payloads: Sequence[Payload]) -> list[Any]:
    """The JSON of each payload, through the project's codec (files recorded since the
    codec landed are encrypted; older ones pass through it unchanged)."""
    codec = data_converter().payload_codec
    assert codec is not None
    plain = asyncio.run(codec.decode(list(payloads)))
    return [json.loads(p.data) for p in plain]


def payloads(path: Path) -> list[tuple[str, Any]]:
    """(what, decoded JSON) of each update request, activity input and local activity result in
    a history (a local activity's marker keeps its result, not its input: since LOCAL_PATCH
    `dispute_apply` returns a receipt naming the transition it wrote)."""
    found: list[tuple[str, Any]] = []
    for e in load(path).events:
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            req = e.workflow_execution_update_accepted_event_attributes.accepted_request.input
            found += [(f"update:{req.name}", body) for body in decoded(req.args.payloads)]
        elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            a = e.activity_task_scheduled_event_attributes
            found += [(f"activity:{a.activity_type.name}", b) for b in decoded(a.input.payloads)]
        elif e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            m = e.marker_recorded_event_attributes
            if m.marker_name == "core_local_activity" and "result" in m.details:
                [data] = decoded(m.details["data"].payloads)
                found += [
                    (f"activity:{data['activity_type']}", b)
                    for b in decoded(m.details["result"].payloads)
                ]
    return found


def events(path: Path) -> set[str]:
    names = set()
    for e in load(path).events:
        names.add(EventType.Name(e.event_type))
        if e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            fields = e.upsert_workflow_search_attributes_event_attributes.search_attributes
            for key, value in fields.indexed_fields.items():
                if key == "FqTrouble":
                    names.add(
                        "trouble:" + ("unset" if value.data in (b"null", b"", b"[]") else "set")
                    )
    return names


DISPUTE_ACTIONS = {
    "accept", "decline", "follow-up", "regrade", "link-partner", "partner-reply",
    "propose-closure", "approve-closure", "reject-closure", "return-visit", "reassign",
    "escalate", "cancel",
}  # fmt: skip
DISPUTE_STEPS = {
    "reported", "screened", "assigned", "accepted", "declined", "follow_up", "follow_up_due",
    "escalated", "partner_requested", "partner_replied", "closure_proposed", "closure_rejected",
    "closed", "return_visit_due", "return_visited", "reopened", "reassigned", "cancelled",
}  # fmt: skip
VISIT_STEPS = {"assigned", "scheduled", "rescheduled", "done", "escalated", "cancelled"}


@pytest.mark.parametrize("version", versions("disputes"))
def test_each_dispute_version_holds_every_path(version: str) -> None:
    files = sorted((ROOT / "disputes" / version).glob("*.json"))
    actions, steps, colours, seen = set(), set(), set(), set()
    for f in files:
        seen |= events(f)
        for what, body in payloads(f):
            if what == "update:act":
                actions.add(body["action"])
            if what == "activity:dispute_apply":
                steps.add(body["kind"])
                colours.add(body["colour"])
    assert DISPUTE_ACTIONS - actions == set()
    assert DISPUTE_STEPS - steps == set()
    assert colours == {"red", "yellow", "green"}
    assert {
        "EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW",  # the first side of the boundary
        "EVENT_TYPE_ACTIVITY_TASK_FAILED",  # three failed attempts, then the second leg
        "trouble:set",
        "trouble:unset",
    } - seen == set()
    started = [load(f).events[0].workflow_execution_started_event_attributes for f in files]
    assert any(a.continued_execution_run_id for a in started), "the other side of the boundary"


@pytest.mark.parametrize("version", versions("home_visits"))
def test_each_home_visit_version_holds_every_path(version: str) -> None:
    steps = set()
    for f in sorted((ROOT / "home_visits" / version).glob("*.json")):
        steps |= {
            body["event"] for what, body in payloads(f) if what == "activity:home_visit_record"
        }
    assert VISIT_STEPS - steps == set()
