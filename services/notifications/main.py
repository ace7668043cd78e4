"""`python -m services.notifications`: API, event consumer and outbox relay."""

from __future__ import annotations

from services.notifications.api import create_app
from shared.config import NotificationsSettings
from shared.runtime import serve


def main() -> None:
    settings = NotificationsSettings()
    serve(create_app(settings), settings, "notifications")
