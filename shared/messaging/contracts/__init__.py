"""Every contract module is imported here so the registry is complete in any process."""

from shared.messaging.contracts import accounts, appointments, directory, disputes, points, users

__all__ = ["accounts", "appointments", "directory", "disputes", "points", "users"]
