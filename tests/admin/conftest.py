"""Fixtures of the administration tests: the disputes service as it runs (tests/disputes), the
portal with the disputes service and a worker behind it (tests/portal/disputes), and the
notifications service with the message sink (tests/notifications)."""

from tests.disputes.conftest import svc, wire
from tests.notifications.conftest import sink, start_service
from tests.portal.conftest import portal, portal_factory
from tests.portal.disputes.conftest import stack

__all__ = ["portal", "portal_factory", "sink", "stack", "start_service", "svc", "wire"]
