"""Rolling a new lifecycle configuration out to running cases: an administrator's batch.

`lifecycle.yaml` is read when a case starts and travels in its state; a changed file reaches
only new cases. This batch sends the chosen live cases (all, a station's, or a list) the
`roll-out-lifecycle` update: each case moves its open deadlines and writes the change to its
timeline and audit (actor, version, reason). A case that refuses (finished, already on the
version) is reported with its reason; cases not chosen keep their deadlines. The roll-out
starts from what new cases get now: the newest saved lifecycle policy version's deadlines over
the file (services/disputes/lifecycle_policy.py), the file itself while none is saved.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import yaml
from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from services.disputes import lifecycle_policy
from services.disputes.deps import SessionDep, TemporalDep
from services.disputes.models import Case
from shared.contracts.disputes_read import LifecycleRead, RolloutRead
from shared.stages import LIVE_STAGES
from shared.web import internal_guard
from workflows.disputes.client import ActionRefused, roll_out_lifecycle
from workflows.disputes.forms import LifecycleConfigForm
from workflows.disputes.rollout import LifecycleRollout
from workflows.disputes.rules_of_action import field_errors
from workflows.disputes.types import LifecycleConfig

log = logging.getLogger("fengqiao.disputes.rollout")
PARALLEL = 16


class RolloutCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lifecycle_yaml: str = Field(min_length=1, max_length=20_000)
    version: str = Field(min_length=1, max_length=64, pattern=r"^[\w.\-]+$")
    reason: str = Field(min_length=1, max_length=1000)
    actor_id: str = Field(min_length=1, max_length=64)
    station: str | None = Field(default=None, max_length=16)
    case_ids: list[str] | None = Field(default=None, max_length=10_000)


def parse_lifecycle(text: str) -> LifecycleConfigForm:
    """The configuration as YAML (the file's own format); 422 names the field and the reason."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise HTTPException(
            422, detail=[{"loc": ["body", "lifecycle_yaml"], "msg": f"not YAML: {exc}"}]
        ) from None
    try:
        return LifecycleConfigForm.model_validate(data)
    except ValidationError as exc:
        raise HTTPException(
            422, detail=[{"loc": ["body", "lifecycle_yaml"], "msg": field_errors(exc)}]
        ) from None


async def live_case_ids(
    session: AsyncSession, *, station: str | None, case_ids: list[str] | None
) -> list[str]:
    stmt = select(Case.case_id).where(Case.stage.in_(LIVE_STAGES)).order_by(Case.case_id)
    if station:
        stmt = stmt.where(Case.station_code == station)
    if case_ids is not None:
        stmt = stmt.where(Case.case_id.in_(case_ids))
    return list((await session.execute(stmt)).scalars())


async def roll_out(client: Client, case_ids: list[str], rollout: LifecycleRollout) -> RolloutRead:
    gate = asyncio.Semaphore(PARALLEL)

    async def one(case_id: str) -> str | None:
        async with gate:
            one_case = rollout.model_copy(
                update={"idempotency_key": f"lifecycle:{rollout.version}:{case_id}"}
            )
            try:
                await roll_out_lifecycle(client, case_id, one_case)
            except ActionRefused as exc:
                return exc.reason
            return None

    results = await asyncio.gather(*(one(c) for c in case_ids))
    refused = {c: r for c, r in zip(case_ids, results, strict=True) if r is not None}
    rolled = [c for c in case_ids if c not in refused]
    log.info(
        "lifecycle %s rolled out by %s to %d case(s), %d refused",
        rollout.version,
        rollout.actor_id,
        len(rolled),
        len(refused),
    )
    return RolloutRead(version=rollout.version, rolled=rolled, refused=refused)


async def starting_point(session: AsyncSession, lifecycle_file: Path) -> LifecycleRead:
    text = await asyncio.to_thread(lifecycle_file.read_text, encoding="utf-8")
    config = LifecycleConfig.model_validate(yaml.safe_load(text))
    saved = await lifecycle_policy.current(session, lifecycle_policy.file_deadlines(config))
    if saved.version == lifecycle_policy.FILE_VERSION:
        return LifecycleRead(lifecycle_yaml=text)  # the file as written, comments and all
    merged = {**config.model_dump(), **saved.values.model_dump()}
    return LifecycleRead(
        lifecycle_yaml=yaml.safe_dump(merged, sort_keys=False, allow_unicode=True),
        policy_version=saved.version,
        policy_reason=saved.reason,
        policy_author_id=saved.author_id,
    )


def make_router(internal_token: str, lifecycle_file: Path) -> APIRouter:
    router = APIRouter(
        prefix="/internal/v1", dependencies=[Depends(internal_guard(internal_token))]
    )

    @router.get("/lifecycle", response_model=LifecycleRead)
    async def current_lifecycle(session: SessionDep) -> LifecycleRead:
        """The configuration new cases start with (the starting point of a roll-out): the
        newest saved lifecycle policy version over the file, or the file while none is saved."""
        return await starting_point(session, lifecycle_file)

    @router.post("/lifecycle/rollouts", response_model=RolloutRead)
    async def create_rollout(
        body: RolloutCreate, session: SessionDep, temporal: TemporalDep
    ) -> RolloutRead:
        config = parse_lifecycle(body.lifecycle_yaml)
        ids = await live_case_ids(session, station=body.station, case_ids=body.case_ids)
        await session.commit()  # the worker writes each case's transition meanwhile (SQLite)
        rollout = LifecycleRollout(
            config=config, version=body.version, reason=body.reason, actor_id=body.actor_id
        )
        return await roll_out(temporal, ids, rollout)

    return router
