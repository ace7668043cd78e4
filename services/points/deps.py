"""Typed FastAPI dependencies of the points API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.points import rule_versions
from services.points.rules import Rules
from shared.runtime import RuntimeDep, SessionDep


async def get_file_rules(request: Request) -> Rules:
    rules: Rules = request.app.state.rules
    return rules


FileRulesDep = Annotated[Rules, Depends(get_file_rules)]


async def get_rules_in_force(request: Request) -> rule_versions.RulesInForce:
    kept: rule_versions.RulesInForce = request.app.state.rules_in_force
    return kept


RulesInForceDep = Annotated[rule_versions.RulesInForce, Depends(get_rules_in_force)]


async def get_rules(runtime: RuntimeDep, kept: RulesInForceDep) -> Rules:
    """The rules in force now: the latest saved version's earning amounts over the file, as
    the process keeps them. When it reads them, in a session of its own, closed at once: on
    SQLite an open read would block the route's write transaction. Routes that award take
    `RulesInForceDep` and read (when they must) inside their own transaction."""
    async with runtime.factory() as session:
        return await kept.get(session)


RulesDep = Annotated[Rules, Depends(get_rules)]

__all__ = ["FileRulesDep", "RulesDep", "RulesInForceDep", "RuntimeDep", "SessionDep"]
