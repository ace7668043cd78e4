"""Temporal: one client factory, task-queue names, workflow ids, search attributes."""

from __future__ import annotations

import dataclasses
import hashlib
from functools import lru_cache
from pathlib import Path

import temporalio
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter

from shared.codec import EncryptionCodec, parse_keys
from shared.config import CommonSettings


@lru_cache
def build_id(package_dir: Path) -> str:
    """A worker's build id: a digest of its workflow package's source and the SDK's version,
    so it changes when the workflow code does. (The SDK's default hashes the bytecode of every
    imported module: about 2.5 s of CPU at each worker start.)"""
    digest = hashlib.blake2b(temporalio.__version__.encode(), digest_size=12)
    for path in sorted(package_dir.rglob("*.py")):
        digest.update(path.relative_to(package_dir).as_posix().encode())
        digest.update(path.read_bytes())
    return f"{package_dir.name}-{digest.hexdigest()}"


DISPUTES_TASK_QUEUE = "fengqiao-disputes"
HOME_VISITS_TASK_QUEUE = "fengqiao-home-visits"

# Custom search attributes (registered by `temporal server start-dev --search-attribute`, see
# deploy/run.py, and by the test fixtures). Kept current on every transition.
SA_STAGE = SearchAttributeKey.for_keyword("FqStage")
SA_COLOUR = SearchAttributeKey.for_keyword("FqColour")
SA_ASSIGNEE = SearchAttributeKey.for_keyword("FqAssignee")
SA_STATION = SearchAttributeKey.for_keyword("FqStation")
SA_VILLAGE = SearchAttributeKey.for_keyword("FqVillage")
SA_STAGE_DEADLINE = SearchAttributeKey.for_datetime("FqStageDeadline")
SA_KIND = SearchAttributeKey.for_keyword("FqKind")
# set while an activity keeps failing (the activity's name), cleared once it succeeds: the
# supervisor's stuck board lists these without describing every running workflow
SA_TROUBLE = SearchAttributeKey.for_keyword("FqTrouble")
# failed attempts of one activity before its case counts as technically stuck
STUCK_AFTER_ATTEMPTS = 3

SEARCH_ATTRIBUTES: dict[str, str] = {
    "FqStage": "Keyword",
    "FqColour": "Keyword",
    "FqAssignee": "Keyword",
    "FqStation": "Keyword",
    "FqVillage": "Keyword",
    "FqStageDeadline": "Datetime",
    "FqKind": "Keyword",
    "FqTrouble": "Keyword",
}
# the server's own flag for workflows whose workflow task keeps failing (TemporalReportedProblems,
# server >= 1.29) is raised after this many consecutive failures
WORKFLOW_TASK_PROBLEMS_AFTER = 2


def dev_server_args() -> list[str]:
    """Arguments for `temporal server start-dev`: our search attributes and dynamic config."""
    args = [arg for k, v in SEARCH_ATTRIBUTES.items() for arg in ("--search-attribute", f"{k}={v}")]
    key = "system.numConsecutiveWorkflowTaskProblemsToTriggerSearchAttribute"
    return [*args, "--dynamic-config-value", f"{key}={WORKFLOW_TASK_PROBLEMS_AFTER}"]


def dispute_workflow_id(case_id: str) -> str:
    return f"dispute-{case_id}"


def home_visit_workflow_id(visit_id: str) -> str:
    return f"home-visit-{visit_id}"


def data_converter(keys: str | None = None) -> DataConverter:
    """The one converter of every client, worker, replayer and test: pydantic models as JSON,
    encrypted by the payload codec with FQ_TEMPORAL_KEYS (or the `keys` given)."""
    return _converter(CommonSettings().temporal_keys if keys is None else keys)


@lru_cache(maxsize=8)
def _converter(keys: str) -> DataConverter:
    codec = EncryptionCodec(parse_keys(keys))
    return dataclasses.replace(pydantic_data_converter, payload_codec=codec)


async def connect(address: str, namespace: str = "default") -> Client:
    return await Client.connect(address, namespace=namespace, data_converter=data_converter())
