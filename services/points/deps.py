"""Typed FastAPI dependencies of the points API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.points import rule_versions
from services.points.rules import Rules
from shared.runtime import RuntimeDep, SessionDep


def get_file_rules(request: Request) -> Rules:
    rules: Rules = request.app.state.rules
    return rules


FileRulesDep = Annotated[Rules, Depends(get_file_rules)]


async def get_rules(runtime: RuntimeDep, file_rules: FileRulesDep) -> Rules:
    """The rules in force now: the latest saved version's earning amounts over the file. Read
    in a session of its own, closed at once: on SQLite an open read would block the route's
    write transaction. Routes that award read the version inside their own transaction."""
    async with runtime.factory() as session:
        return await rule_versions.in_force(session, file_rules)


RulesDep = Annotated[Rules, Depends(get_rules)]

__all__ = ["FileRulesDep", "RulesDep", "RuntimeDep", "SessionDep"]
