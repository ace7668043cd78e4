"""Fixtures of the administration tests: the disputes service as it runs (tests/disputes)."""

from tests.disputes.conftest import svc, wire

__all__ = ["svc", "wire"]
