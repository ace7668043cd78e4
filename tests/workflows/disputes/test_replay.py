"""Recorded histories of complete lifecycles replay against today's workflow code, so a
non-deterministic change fails the build. Re-record after an intended change with
`FQ_RECORD_HISTORIES=1 .venv/bin/python -m pytest tests/workflows/disputes -m record_history`."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from shared.temporal import data_converter
from tests.workflows.disputes.conftest import HISTORIES
from workflows.disputes.workflow import DisputeWorkflow

FILES = sorted(HISTORIES.glob("*.json"))
HISTORY_JSON = {f.stem: f.read_text(encoding="utf-8") for f in FILES}


def test_histories_are_recorded() -> None:
    assert len(FILES) >= 5


@pytest.mark.parametrize("name", sorted(HISTORY_JSON))
async def test_history_replays(name: str) -> None:
    history = WorkflowHistory.from_json(name, HISTORY_JSON[name])
    replayer = Replayer(workflows=[DisputeWorkflow], data_converter=data_converter())
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
