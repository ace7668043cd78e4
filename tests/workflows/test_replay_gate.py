"""The replay gate fails when it must: each test mutates a copy of the workflow code (or of a
recorded history) the way a careless release would, and expects replay to fail. The controls
show what must keep replaying: a tightened validation limit, a field the code no longer knows."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory

from tests.workflows.corpus.files import LEGACY
from tests.workflows.mutants import mutants
from tests.workflows.test_replay import replay
from workflows.disputes.workflow import DisputeWorkflow

GREEN = LEGACY / "test_green_case_accept_follow_up_close_return_visit-0.json"
DECLINE = LEGACY / "test_decline_reassigns_to_the_other_room_officer-0.json"

Mutant = Callable[[dict[str, tuple[str, str]]], type]


@pytest.fixture
def mutant(tmp_path: Path) -> Iterator[Mutant]:
    with mutants(tmp_path) as make:

        def one(edits: dict[str, tuple[str, str]]) -> type:
            return make({name: [edit] for name, edit in edits.items()})

        yield one


def history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))


async def test_an_unchanged_copy_replays(mutant: Mutant) -> None:
    await replay([mutant({})], history(DECLINE))


async def test_a_removed_state_field_fails_replay(mutant: Mutant) -> None:
    code = mutant({"types": ("    seq: int = 0\n", "")})
    with pytest.raises(Exception, match="seq"):
        await replay([code], history(GREEN))


async def test_a_changed_command_order_fails_replay(mutant: Mutant) -> None:
    """The search attributes upserted before the transition is written, not after."""
    old = "    await call(DisputeActivities.apply, t)\n    workflow.upsert_search_attributes("
    new = "    workflow.upsert_search_attributes("
    code = mutant({"steps": (old, new)})
    with pytest.raises(Exception, match=r"[Nn]ondetermin"):
        await replay([code], history(GREEN))


async def test_a_changed_state_recheck_in_the_handler_fails_replay(mutant: Mutant) -> None:
    """The handler's re-check replays: refusing a decline it once accepted breaks the case."""
    old = '    "decline": (Stage.ASSIGNMENT,),'
    code = mutant({"rules_of_action": (old, '    "decline": (Stage.FOLLOW_UP,),')})
    with pytest.raises(Exception, match=r"[Nn]ondetermin|decline is not allowed"):
        await replay([code], history(DECLINE))


async def test_a_tightened_validation_limit_still_replays(mutant: Mutant) -> None:
    """Validators run only for new updates: the decline history's reason (休假) is longer than
    one character, and the handler does not re-check the limit."""
    old = "class DeclineInput(_Model):\n    reason: str = Field(max_length=1000)"
    code = mutant(
        {"types": (old, "class DeclineInput(_Model):\n    reason: str = Field(max_length=1)")}
    )
    await replay([code], history(DECLINE))


def edited_start(path: Path, edit: Callable[[dict[str, object]], None], tmp: Path) -> Path:
    """A copy of a history whose start input was edited (a payload written by another release)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    payload = data["events"][0]["workflowExecutionStartedEventAttributes"]["input"]["payloads"][0]
    body = json.loads(base64.b64decode(payload["data"]))
    edit(body["intake"])
    payload["data"] = base64.b64encode(json.dumps(body).encode()).decode()
    out = tmp / path.name
    out.write_text(json.dumps(data), encoding="utf-8")
    return out


async def test_a_required_field_missing_from_the_history_fails_replay(tmp_path: Path) -> None:
    def drop(intake: dict[str, object]) -> None:
        del intake["category"]

    copy = edited_start(GREEN, drop, tmp_path)
    with pytest.raises(Exception, match="category"):
        await replay([DisputeWorkflow], history(copy))


async def test_a_field_this_release_does_not_know_still_replays(tmp_path: Path) -> None:
    def add(intake: dict[str, object]) -> None:
        intake["channel"] = "wechat"
        intake["risk"] = {**intake["risk"], "livestock_involved": True}  # type: ignore[dict-item]

    await replay([DisputeWorkflow], history(edited_start(GREEN, add, tmp_path)))
