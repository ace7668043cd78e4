"""The desk context every domain function of the appointments service takes beside its session:
the rules' settings; and the audit row each change writes beside its event.

The unit of work belongs to the caller (a route, the consumer, a job's loop): domain functions
take the session it opened and never open one, so one request is one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.appointments.models import Audit
from shared.config import AppointmentsSettings
from shared.localtime import local_zone


@dataclass
class Desk:
    """What the domain functions need besides their session: the rules' settings."""

    settings: AppointmentsSettings

    @property
    def tz(self) -> ZoneInfo:
        return local_zone()


def audit(
    s: AsyncSession, entity: str, entity_id: str, action: str, actor: str, **detail: Any
) -> None:
    s.add(Audit(entity=entity, entity_id=entity_id, action=action, actor_id=actor, detail=detail))


async def audit_trail(s: AsyncSession, entity: str, entity_id: str) -> list[Audit]:
    q = select(Audit).where(Audit.entity == entity, Audit.entity_id == entity_id)
    return list((await s.scalars(q.order_by(Audit.id))).all())
