"""Screening rules as data: the versions an administrator saved, and which one grades a case.

A new case is graded by the newest stored version and remembers it; a running case keeps the
version it was first graded with (re-screening included), so a new version reaches running
cases only through a roll-out. Version 0 is the installation's rules.yaml. Versions are never
changed once stored, so the activities keep them in memory by number.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shared.messaging.outbox import insert_ignore
from workflows.disputes.screening import RuleSet
from workflows.disputes.tables import TS, Base

FILE_VERSION = 0


class ScreeningRulesVersion(Base):
    __tablename__ = "screening_rule_versions"
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    author_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(TS)


class CaseRulesVersion(Base):
    """The screening rules version a case was first graded with."""

    __tablename__ = "case_rule_versions"
    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    screening_version: Mapped[int] = mapped_column(Integer)


async def latest_version(session: AsyncSession) -> int:
    found = (await session.execute(select(func.max(ScreeningRulesVersion.version)))).scalar()
    return int(found) if found is not None else FILE_VERSION


class RulesSource:
    def __init__(self, file_rules: RuleSet) -> None:
        self._by_version: dict[int, RuleSet] = {FILE_VERSION: file_rules}

    async def version(self, session: AsyncSession, number: int) -> RuleSet:
        if number not in self._by_version:
            row = await session.get(ScreeningRulesVersion, number)
            if row is None:
                return self._by_version[FILE_VERSION]
            self._by_version[number] = RuleSet.model_validate(row.rules)
        return self._by_version[number]

    async def for_new_case(self, session: AsyncSession, case_id: str) -> RuleSet:
        """The newest version, recorded for the case (a retried registration keeps the first)."""
        await insert_ignore(
            session,
            CaseRulesVersion.__table__,  # type: ignore[arg-type]
            {"case_id": case_id, "screening_version": await latest_version(session)},
            ["case_id"],
        )
        return await self.for_case(session, case_id)

    async def for_case(self, session: AsyncSession, case_id: str) -> RuleSet:
        row = await session.get(CaseRulesVersion, case_id)
        return await self.version(session, row.screening_version if row else FILE_VERSION)
