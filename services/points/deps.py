"""Typed FastAPI dependencies of the points API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.points.rules import Rules
from shared.runtime import RuntimeDep, SessionDep


def get_rules(request: Request) -> Rules:
    rules: Rules = request.app.state.rules
    return rules


RulesDep = Annotated[Rules, Depends(get_rules)]

__all__ = ["RulesDep", "RuntimeDep", "SessionDep"]
