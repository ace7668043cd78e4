"""`python -m services.appointments`: API, event consumer and outbox relay."""

from __future__ import annotations

from services.appointments.api import create_app
from shared.config import AppointmentsSettings
from shared.runtime import serve


def main() -> None:
    settings = AppointmentsSettings()
    serve(create_app(settings), settings, "appointments")
