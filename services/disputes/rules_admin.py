"""Internal API of the screening rules as data (/internal/v1/admin/rules/screening): the rules
in force, their versions, a preview over recent cases, and saving a new version."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from services.disputes import screening_rules as sr
from services.disputes.deps import RuntimeDep, SessionDep
from shared.config import DisputesSettings
from shared.contracts.screening_rules import Preview, RulesVersion
from shared.db import transaction
from shared.web import internal_guard
from workflows.disputes.config import load_lifecycle
from workflows.disputes.screening import load_rules

Payload = Annotated[dict[str, Any], Body()]


def in_body(problems: list[sr.Problem]) -> list[sr.Problem]:
    """Problems of the rule set, located in the request body (its `rules` member)."""
    return [sr.Problem(field=f"rules.{p.field}", reason=p.reason) for p in problems]


def invalid(exc: sr.Invalid) -> JSONResponse:
    """FastAPI's own 422 shape, so clients read these like any validation error."""
    detail = [
        {"loc": ["body", *p.field.split(".")], "msg": p.reason, "type": "value_error"}
        for p in exc.problems
    ]
    return JSONResponse({"detail": detail}, status_code=422)


def router(settings: DisputesSettings) -> APIRouter:
    file_rules = load_rules(settings.rules_file)
    household_days = load_lifecycle(settings.lifecycle_file).household_history_days
    r = APIRouter(
        prefix="/internal/v1/admin/rules/screening",
        dependencies=[Depends(internal_guard(settings.internal_token))],
        tags=["admin"],
    )

    # answered as the shared contract (shared/contracts/screening_rules.py) the portal reads
    @r.get("", response_model=RulesVersion)
    async def in_force(session: SessionDep) -> sr.RulesVersionRead:
        return await sr.current(session, file_rules)

    @r.get("/versions", response_model=list[RulesVersion])
    async def all_versions(session: SessionDep) -> list[sr.RulesVersionRead]:
        return await sr.versions(session, file_rules)

    @r.get("/versions/{number}", response_model=RulesVersion)
    async def one_version(session: SessionDep, number: int) -> sr.RulesVersionRead:
        try:
            return await sr.version(session, number, file_rules)
        except LookupError:
            raise HTTPException(404, detail=f"no rules version {number}") from None

    @r.post("/preview", response_model=Preview)
    async def preview(
        session: SessionDep,
        body: Payload,
        days: Annotated[int, Query(ge=1, le=366)] = 30,
    ) -> Any:
        try:
            proposed = sr.check_rules(body.get("rules"))
        except sr.Invalid as exc:
            return invalid(sr.Invalid(in_body(exc.problems)))
        until = datetime.now(UTC)
        return await sr.preview(
            session,
            proposed=proposed,
            file_rules=file_rules,
            since=until - timedelta(days=days),
            until=until,
            household_days=household_days,
        )

    @r.post("", status_code=201, response_model=RulesVersion)
    async def save(runtime: RuntimeDep, body: Payload) -> Any:
        problems: list[sr.Problem] = []
        try:
            rules = sr.check_rules(body.get("rules"))
        except sr.Invalid as exc:
            problems += in_body(exc.problems)
        try:
            reason = sr.check_reason(body.get("reason"))
        except sr.Invalid as exc:
            problems += exc.problems
        author = body.get("author_id")
        if not isinstance(author, str) or not author:
            problems.append(sr.Problem(field="author_id", reason="say who changes the rules"))
        if problems:
            return invalid(sr.Invalid(problems))
        assert isinstance(author, str)
        try:
            async with transaction(runtime.factory) as session:
                return await sr.save(
                    session, rules=rules, author_id=author, reason=reason, now=datetime.now(UTC)
                )
        except IntegrityError:
            raise HTTPException(
                409, detail="another version was saved at the same time: reload and try again"
            ) from None

    return r
