"""`python -m services.points`: the points API, its event consumer and its outbox relay."""

from __future__ import annotations

from services.points.api import create_app
from shared.config import PointsSettings
from shared.runtime import serve


def main() -> None:
    settings = PointsSettings()
    serve(create_app(settings), settings, "points")
