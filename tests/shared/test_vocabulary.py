"""Stages and task kinds have one list each (shared/): the workflow, the services and the
portal's labels all speak exactly those words."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.portal.areas import _disputes_labels as labels
from services.portal.links import task_path
from shared.stages import LIVE_STAGES, OPEN_STAGES, Stage
from shared.tasks import TaskKind, TaskRead
from workflows.disputes import rules_of_action, steps

DISPUTE_KINDS = {
    "accept",
    "follow_up",
    "linkage",
    "closure_approval",
    "return_visit",
    "county_review",
}


def test_every_stage_and_task_kind_has_a_label_on_the_pages() -> None:
    assert set(labels.STAGES) == {s.value for s in Stage}
    assert set(labels.KINDS) == {k.value for k in TaskKind}


def test_the_workflow_opens_only_shared_task_kinds() -> None:
    assert set(steps.TITLES) == DISPUTE_KINDS
    assert {k.value for k in TaskKind} >= DISPUTE_KINDS


def test_open_stages_are_the_live_ones_before_settlement() -> None:
    assert rules_of_action.OPEN == OPEN_STAGES
    assert set(LIVE_STAGES) - set(OPEN_STAGES) == {Stage.RETURN_VISIT}
    # cancelling is for open cases only; a settled case waiting for its return visit is
    # reassigned, never cancelled
    assert rules_of_action.STAGES["cancel"] == OPEN_STAGES
    assert set(rules_of_action.STAGES["reassign"]) == set(LIVE_STAGES)


def test_an_unknown_task_kind_is_refused_at_the_boundary() -> None:
    body = {"task_id": "t", "kind": "tea_break", "title": "x", "ref_id": "r"}
    with pytest.raises(ValidationError) as refused:
        TaskRead.model_validate(body | {"assignee_id": None})
    assert refused.value.errors()[0]["loc"] == ("kind",)


def test_services_send_ids_and_the_portal_makes_the_links() -> None:
    assert not any("path" in name or "url" in name for name in TaskRead.model_fields)
    task = {"task_id": "t", "title": "x", "assignee_id": None}
    assert task_path(task | {"kind": "application", "ref_id": "A12"}) == (
        "/appointments/staff/applications/A12"
    )
    assert task_path(task | {"kind": "home_visit", "ref_id": "H7"}) == (
        "/appointments/staff/home-visits/H7"
    )
    dispute = TaskRead.model_validate(task | {"kind": "accept", "ref_id": "FQ/1?x"})
    assert task_path(dispute) == "/cases/FQ%2F1%3Fx"  # an id never adds a path or a query
