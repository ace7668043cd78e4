"""`python -m services.portal`: the portal API, its event consumer and its outbox relay."""

from __future__ import annotations

from services.portal.api import create_app
from shared.config import PortalSettings
from shared.runtime import serve


def main() -> None:
    settings = PortalSettings()
    serve(create_app(settings), settings, "portal")
