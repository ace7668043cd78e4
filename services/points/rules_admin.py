"""Internal API of the earning rules as data (/internal/v1/admin/rules/points): the rules in
force, their versions, a preview over the ledger of recent weeks, and saving a new version."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from services.points import rule_versions as rv
from services.points import rules_preview
from services.points.deps import FileRulesDep, RulesInForceDep, RuntimeDep, SessionDep
from shared.contracts.points_rules import PointsPreviewRead, PointsRulesVersionRead
from shared.db import transaction

Payload = Annotated[dict[str, Any], Body()]
router = APIRouter(prefix="/admin/rules/points", tags=["admin"])


def in_body(problems: list[rv.Problem]) -> list[rv.Problem]:
    """Problems of the rule set, located in the request body (its `rules` member)."""
    return [rv.Problem(field=f"rules.{p.field}", reason=p.reason) for p in problems]


def invalid(problems: list[rv.Problem]) -> JSONResponse:
    """FastAPI's own 422 shape, so clients read these like any validation error."""
    detail = [
        {"loc": ["body", *p.field.split(".")], "msg": p.reason, "type": "value_error"}
        for p in problems
    ]
    return JSONResponse({"detail": detail}, status_code=422)


@router.get("")
async def in_force(session: SessionDep, file_rules: FileRulesDep) -> PointsRulesVersionRead:
    return await rv.current(session, file_rules)


@router.get("/versions")
async def all_versions(
    session: SessionDep, file_rules: FileRulesDep
) -> list[PointsRulesVersionRead]:
    return await rv.versions(session, file_rules)


@router.get("/versions/{number}")
async def one_version(
    session: SessionDep, file_rules: FileRulesDep, number: int
) -> PointsRulesVersionRead:
    try:
        return await rv.version(session, number, file_rules)
    except LookupError:
        raise HTTPException(404, detail=f"no points rules version {number}") from None


@router.post("/preview", response_model=PointsPreviewRead)
async def preview(
    session: SessionDep,
    file_rules: FileRulesDep,
    body: Payload,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> Any:
    in_force = (await rv.current(session, file_rules)).rules
    try:
        proposed = rv.check_rules(body.get("rules"), in_force)
    except rv.Invalid as exc:
        return invalid(in_body(exc.problems))
    until = datetime.now(UTC)
    return await rules_preview.preview(
        session,
        proposed=proposed,
        current=in_force,
        since=until - timedelta(days=days),
        until=until,
    )


@router.post("", status_code=201, response_model=PointsRulesVersionRead)
async def save(
    runtime: RuntimeDep, file_rules: FileRulesDep, kept: RulesInForceDep, body: Payload
) -> Any:
    """A version: the earning amounts, the redemption hold and the expiry period (these two
    left out: as in force) for what is awarded, held and earned from now on."""
    async with runtime.factory() as session:  # closed at once (SQLite: before the write)
        in_force = (await rv.current(session, file_rules)).rules
    problems: list[rv.Problem] = []
    try:
        rules = rv.check_rules(body.get("rules"), in_force)
    except rv.Invalid as exc:
        problems += in_body(exc.problems)
    try:
        reason = rv.check_reason(body.get("reason"))
    except rv.Invalid as exc:
        problems += exc.problems
    author = body.get("author_id")
    if not isinstance(author, str) or not author:
        problems.append(rv.Problem(field="author_id", reason="say who changes the rules"))
    if problems:
        return invalid(problems)
    assert isinstance(author, str)
    try:
        async with transaction(runtime.factory) as session:
            saved = await rv.save(
                session,
                rules=rules,
                author_id=author,
                reason=reason,
                now=datetime.now(UTC),
                file_rules=file_rules,
            )
    except IntegrityError:
        raise HTTPException(
            409, detail="another version was saved at the same time: reload and try again"
        ) from None
    kept.forget()  # after the commit: the next award reads the new version
    return saved
