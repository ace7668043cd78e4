"""Typed FastAPI dependencies of the points API."""

from __future__ import annotations

from shared.runtime import RuntimeDep, SessionDep

__all__ = ["RuntimeDep", "SessionDep"]
