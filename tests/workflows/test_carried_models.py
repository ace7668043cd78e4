"""What a workflow history carries must decode in every later release: its models ignore unknown
fields, and a field added after the first recorded release has a default. The HTTP edge stays
strict. Ruff keeps wall clocks, randomness and I/O out of workflow code."""

from __future__ import annotations

import dataclasses
import inspect
import subprocess
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

import workflows.disputes.types as dt
import workflows.home_visits.types as ht
from workflows.disputes.forms import ACTION_FORMS, PartyForm
from workflows.disputes.rollout import LifecycleRollout
from workflows.disputes.transitions import Applied
from workflows.disputes.types import CaseState, FollowUpInput, StartInput

REPO = Path(__file__).resolve().parents[2]

# Required fields as of the first recorded release (histories/*/v1). Never add to this list:
# a new field gets a default, or old histories fail to decode.
REQUIRED_AT_V1: dict[str, list[str]] = {
    "Party": ["name"],
    "Household": ["household_id"],
    "RiskFacts": [],
    "DisputeIntake": ["category", "description", "parties", "village_code"],
    "Actor": ["role", "user_id"],
    "AcceptInput": [],
    "DeclineInput": ["reason"],
    "FollowUpInput": ["done", "outcome"],
    "RegradeInput": ["colour", "reason"],
    "LinkPartnerInput": ["partner", "request"],
    "PartnerReplyInput": ["answer", "request_id"],
    "ProposeClosureInput": ["settlement_kind", "summary"],
    "ApproveClosureInput": [],
    "RejectClosureInput": ["reason"],
    "ReturnVisitInput": ["holds"],
    "ReassignInput": ["officer_id", "reason"],
    "EscalateInput": ["reason"],
    "CancelInput": ["reason"],
    "ActionRequest": ["action", "actor", "idempotency_key", "payload"],
    "ColourChange": ["at", "by", "colour", "previous", "reason", "rules_fired"],
    "PartnerRequest": ["deadline", "partner", "request", "request_id"],
    "CaseView": [
        "allowed_actions",
        "assignee_id",
        "case_id",
        "case_no",
        "colour",
        "colour_history",
        "helper_ids",
        "next_follow_up_at",
        "open_tasks",
        "partner_requests",
        "rules_fired",
        "settlement",
        "stage",
        "stage_deadline",
        "station_code",
        "village_code",
    ],
    "LifecycleConfig": [],
    "OpenTask": ["assignee_id", "due_at", "kind", "opened_at", "task_id"],
    "CaseState": [
        "case_id",
        "case_no",
        "chief_id",
        "config",
        "household_ids",
        "reporter_id",
        "resident_ids",
        "risk",
        "station_code",
        "village_code",
    ],
    "StartInput": ["intake"],
    "RegisterInput": ["intake"],
    "Registered": [
        "case_no",
        "chief_id",
        "colour",
        "household_cases",
        "rules_fired",
        "station_code",
    ],
    "ScreenInput": ["at", "case_id", "household_ids", "risk"],
    "Screened": ["colour", "household_cases", "rules_fired"],
    "PickInput": ["case_id", "exclude", "village_code"],
    "Picked": ["officer_id"],
    "ConfigRequest": ["case_id"],
    "TaskSpec": ["assignee_id", "due_at", "kind", "task_id", "title"],
    "Transition": [
        "actor_id",
        "assignee_id",
        "at",
        "case_id",
        "case_no",
        "colour",
        "kind",
        "resident_ids",
        "rules_fired",
        "seq",
        "stage",
        "stage_deadline",
        "station_code",
        "village_code",
    ],
    # home visits (dataclasses)
    "VisitInput": ["visit_id", "resident_id", "service_code", "village_code"],
    "AssignInput": ["village_code"],
    "Assignment": ["officer_id", "station_code", "chief_id"],
    "ScheduleInput": ["scheduled_at", "actor_id"],
    "DoneInput": ["actor_id"],
    "VisitCancelInput": ["actor_id", "reason"],
    "VisitChange": [
        "visit_id",
        "seq",
        "event",
        "stage",
        "officer_id",
        "station_code",
        "scheduled_at",
        "due_at",
        "escalated",
        "actor_id",
        "reason",
        "at",
    ],
    "LifecycleRollout": ["config", "version"],
    "VisitState": [
        "visit_id",
        "stage",
        "officer_id",
        "station_code",
        "scheduled_at",
        "deadline",
        "escalated",
    ],
}


# the modules whose models types.py holds or re-exports (the intake's vocabulary is apart)
OURS = {dt.__name__, "workflows.disputes.intake"}


def carried_models() -> dict[str, list[str]]:
    """Every history-carried model of both workflows, with its required fields."""
    found: dict[str, list[str]] = {}
    for name, obj in vars(dt).items():
        ours = inspect.isclass(obj) and issubclass(obj, BaseModel) and obj.__module__ in OURS
        if ours and not name.startswith("_"):
            found[name] = sorted(k for k, f in obj.model_fields.items() if f.is_required())
    found["LifecycleRollout"] = sorted(
        k for k, f in LifecycleRollout.model_fields.items() if f.is_required()
    )
    assert LifecycleRollout.model_config.get("extra") == "ignore"
    # the apply activity's receipt, in histories since LOCAL_PATCH (read there as plain JSON)
    found["Applied"] = sorted(k for k, f in Applied.model_fields.items() if f.is_required())
    assert Applied.model_config.get("extra") == "ignore"
    for name, obj in vars(ht).items():
        if dataclasses.is_dataclass(obj) and isinstance(obj, type):
            key = "VisitCancelInput" if name == "CancelInput" else name
            found[key] = [
                f.name
                for f in dataclasses.fields(obj)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            ]
    return found


def test_no_field_added_without_a_default() -> None:
    found = carried_models()
    for name, required in found.items():
        if name not in REQUIRED_AT_V1:
            continue  # a model added later (a new update's argument) is carried by no old history
        before = set(REQUIRED_AT_V1[name])
        added = sorted(set(required) - before)
        assert not added, f"{name}: new required field(s) {added}: give them a default"


@pytest.mark.parametrize(
    "name",
    [n for n, o in vars(dt).items() if inspect.isclass(o) and issubclass(o, BaseModel)],
)
def test_history_models_ignore_unknown_fields(name: str) -> None:
    model = getattr(dt, name)
    if model.__module__ in OURS:
        assert model.model_config.get("extra") == "ignore", f"{name} must ignore unknown fields"


def test_a_dropped_field_in_an_old_state_is_ignored() -> None:
    """An old history's state holds a field this release no longer knows: it still decodes."""
    state: dict[str, object] = {
        "config": {"accept_minutes": {"green": 5}, "retired_knob": 3},
        "case_id": "c1",
        "case_no": "FQ2026-000001",
        "village_code": "V1",
        "station_code": "S1",
        "chief_id": "chief-S1",
        "household_ids": [],
        "resident_ids": [],
        "reporter_id": None,
        "risk": {"threats": True, "old_fact": "x"},
        "retired_counter": 7,
    }
    s = CaseState.model_validate(state)
    assert (s.config.accept_minutes, s.risk.threats, s.stage) == ({"green": 5}, True, "screening")
    start = StartInput.model_validate(
        {"intake": {"category": "land", "description": "d", "village_code": "V1",
                    "parties": [{"name": "马", "nickname": "老马"}], "gone": 1}}
    )  # fmt: skip
    assert start.intake.parties[0].name == "马"
    assert FollowUpInput.model_validate({"done": "x", "outcome": "progress", "mood": 2}).done == "x"


def test_the_http_edge_refuses_unknown_fields() -> None:
    with pytest.raises(ValidationError, match="bogus\n  Extra inputs are not permitted"):
        ACTION_FORMS["decline"].model_validate({"reason": "休假", "bogus": 1})
    with pytest.raises(ValidationError, match=r"risk\.guns\n  Extra inputs are not permitted"):
        ACTION_FORMS["follow-up"].model_validate(
            {"done": "x", "outcome": "worse", "risk": {"guns": True}}
        )
    with pytest.raises(ValidationError, match="alias\n  Extra inputs are not permitted"):
        PartyForm.model_validate({"name": "马", "alias": "x"})
    # the strict form (shared.contracts.disputes) carries the same fields as the history model
    form = ACTION_FORMS["decline"].model_validate({"reason": " 休假 "})
    assert dt.DeclineInput.model_validate(form.model_dump()) == dt.DeclineInput(reason="休假")


@pytest.mark.parametrize(
    ("path", "code", "banned"),
    [
        (
            "workflows/disputes/steps.py",
            "from datetime import datetime\nx = datetime.now()\n",
            True,
        ),
        ("workflows/disputes/actions.py", "import time\nx = time.time()\n", True),
        ("workflows/disputes/rules_of_action.py", "import random\n", True),
        ("workflows/disputes/types.py", "import uuid\nx = uuid.uuid4()\n", True),
        ("workflows/disputes/workflow.py", "import httpx\n", True),
        ("workflows/home_visits/workflow.py", "from sqlalchemy import select\n", True),
        ("workflows/disputes/steps.py", "import aio_pika\n", True),
        ("workflows/disputes/activities.py", "import uuid\nx = uuid.uuid4()\n", False),
        ("services/disputes/service.py", "import random\n", False),
    ],
)
def test_ruff_bans_clocks_randomness_and_io_in_workflow_code(
    path: str, code: str, banned: bool
) -> None:
    out = subprocess.run(
        [str(REPO / ".venv/bin/ruff"), "check", "--select", "TID251", "--stdin-filename", path],
        input=code,
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert ("TID251" in out.stdout) is banned, out.stdout
