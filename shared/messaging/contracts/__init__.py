"""Every contract module is imported here so the registry is complete in any process."""

from shared.messaging.contracts import appointments, disputes, points, users

__all__ = ["appointments", "disputes", "points", "users"]
