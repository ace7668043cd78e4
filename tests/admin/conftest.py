"""Fixtures of the administration tests: the disputes service as it runs (tests/disputes) and
the portal with the disputes service and a worker behind it (tests/portal/disputes)."""

from tests.disputes.conftest import svc, wire
from tests.portal.conftest import portal, portal_factory
from tests.portal.disputes.conftest import stack

__all__ = ["portal", "portal_factory", "stack", "svc", "wire"]
