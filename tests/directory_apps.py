"""The services on the directory's journey over the real broker, each on its own SQLite file
under the test's folder: the disputes service that owns and publishes the directory, and the
services that keep a replica of it (the appointment desk, points). Built as the cross-service
directory tests need them: one exchange, one internal token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from temporalio.client import Client

from services.appointments.api import create_app as create_appointments
from services.disputes.api import create_app as create_disputes
from services.points.api import create_app as create_points
from services.points.rules import Rules
from shared.auth import INTERNAL_TOKEN_HEADER
from shared.config import AppointmentsSettings, DisputesSettings, PointsSettings
from tests.conftest import AMQP_URL

TOKEN = "t"
H = {INTERNAL_TOKEN_HEADER: TOKEN}


def _common(tmp_path: Path, name: str, exchange: str) -> dict[str, Any]:
    return {
        "database_url": f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}",
        "exchange": exchange,
        "amqp_url": AMQP_URL,
        "internal_token": TOKEN,
    }


def directory_owner(tmp_path: Path, exchange: str, temporal: Client) -> FastAPI:
    settings = DisputesSettings(
        **_common(tmp_path, "disputes", exchange), relay_interval_seconds=0.1
    )
    return create_disputes(settings, temporal=temporal)


def desk_replica(tmp_path: Path, exchange: str) -> FastAPI:
    settings = AppointmentsSettings(**_common(tmp_path, "appointments", exchange), run_jobs=False)
    return create_appointments(settings, connect_temporal=False)


def points_replica(tmp_path: Path, exchange: str, rules: Rules) -> FastAPI:
    return create_points(PointsSettings(**_common(tmp_path, "points", exchange)), rules=rules)
