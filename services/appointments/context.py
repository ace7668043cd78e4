"""The desk context every domain function of the appointments service takes: its database and
the rules' settings; and the audit row each change writes beside its event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.appointments.models import Audit
from shared.config import AppointmentsSettings
from shared.localtime import local_zone


@dataclass
class Desk:
    """What the domain functions need: the database and the rules' settings."""

    factory: async_sessionmaker[AsyncSession]
    settings: AppointmentsSettings

    @property
    def tz(self) -> ZoneInfo:
        return local_zone()


def audit(
    s: AsyncSession, entity: str, entity_id: str, action: str, actor: str, **detail: Any
) -> None:
    s.add(Audit(entity=entity, entity_id=entity_id, action=action, actor_id=actor, detail=detail))
