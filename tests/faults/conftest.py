"""Fixtures of the fault-injection runs: the portal harness with every backend in-process."""

from __future__ import annotations

from tests.portal.conftest import portal_factory

__all__ = ["portal_factory"]
