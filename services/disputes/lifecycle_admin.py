"""Internal API of the lifecycle's deadlines and cadences as data
(/internal/v1/admin/rules/lifecycle): the version in force, all versions, a preview over recent
cases, and saving a new version (the cases reported from then on start with it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query
from sqlalchemy.exc import IntegrityError

from services.disputes import lifecycle_policy as lp
from services.disputes import lifecycle_preview
from services.disputes.deps import RuntimeDep, SessionDep
from services.disputes.rules_admin import invalid
from shared.config import DisputesSettings
from shared.contracts.disputes import LifecyclePolicyRead, LifecyclePreviewRead
from shared.db import transaction
from shared.web import internal_guard
from workflows.disputes.config import load_lifecycle
from workflows.disputes.types import LifecycleDeadlines

Payload = Annotated[dict[str, Any], Body()]


def in_values(problems: list[lp.Problem]) -> list[lp.Problem]:
    """Problems of the deadlines, located in the request body (its `values` member)."""
    return [
        p if p.field == "values" else lp.Problem(field=f"values.{p.field}", reason=p.reason)
        for p in problems
    ]


def router(settings: DisputesSettings) -> APIRouter:
    file = lp.file_deadlines(load_lifecycle(settings.lifecycle_file))
    r = APIRouter(
        prefix="/internal/v1/admin/rules/lifecycle",
        dependencies=[Depends(internal_guard(settings.internal_token))],
        tags=["admin"],
    )

    @r.get("", response_model=LifecyclePolicyRead)
    async def in_force(session: SessionDep) -> Any:
        return await lp.current(session, file)

    @r.get("/versions", response_model=list[LifecyclePolicyRead])
    async def all_versions(session: SessionDep) -> Any:
        return await lp.versions(session, file)

    @r.get("/versions/{number}", response_model=LifecyclePolicyRead)
    async def one_version(session: SessionDep, number: int) -> Any:
        try:
            return await lp.version(session, number, file)
        except LookupError:
            raise HTTPException(404, detail=f"no lifecycle version {number}") from None

    @r.post("/preview", response_model=LifecyclePreviewRead)
    async def preview(
        session: SessionDep, body: Payload, days: Annotated[int, Query(ge=1, le=366)] = 30
    ) -> Any:
        try:
            proposed = lp.check_deadlines(body.get("values"))
        except lp.Invalid as exc:
            return invalid(lp.Invalid(in_values(exc.problems)))
        until = datetime.now(UTC)
        known = await lp.versions(session, file)
        in_force = known[0]
        return await lifecycle_preview.preview(
            session,
            in_force=LifecycleDeadlines.model_validate(in_force.values.model_dump()),
            in_force_version=in_force.version,
            proposed=proposed,
            linkage_defaults=[v.values.linkage_default_hours for v in known],
            since=until - timedelta(days=days),
            until=until,
        )

    @r.post("", status_code=201, response_model=LifecyclePolicyRead)
    async def save(runtime: RuntimeDep, body: Payload) -> Any:
        problems: list[lp.Problem] = []
        try:
            values = lp.check_deadlines(body.get("values"))
        except lp.Invalid as exc:
            problems += in_values(exc.problems)
        try:
            reason = lp.check_reason(body.get("reason"))
        except lp.Invalid as exc:
            problems += exc.problems
        author = body.get("author_id")
        if not isinstance(author, str) or not author:
            problems.append(lp.Problem(field="author_id", reason="say who changes the deadlines"))
        if problems:
            return invalid(lp.Invalid(problems))
        assert isinstance(author, str)
        try:
            async with transaction(runtime.factory) as session:
                return await lp.save(
                    session, values=values, author_id=author, reason=reason, now=datetime.now(UTC)
                )
        except IntegrityError:
            raise HTTPException(
                409, detail="another version was saved at the same time: reload and try again"
            ) from None

    return r
