"""`python -m services.disputes`: the disputes API, its event consumer and its outbox relay."""

from __future__ import annotations

from services.disputes.api import create_app
from shared.config import DisputesSettings
from shared.runtime import serve


def main() -> None:
    settings = DisputesSettings()
    serve(create_app(settings), settings, "disputes")
