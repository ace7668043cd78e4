"""The delivery worker: sends due SMS, e-mail and bot rows through apprise.

Each round claims due rows (a lease: `next_attempt_at` moves forward, so a crashed worker's
rows come back later), sends them outside any transaction (SQLite has one writer), and then
records the outcome: sent, or another attempt after the configured backoff, or failed once
the backoff list is used up. Several queued SMS/e-mails to one person go out as one digest.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol
from urllib.parse import quote

import apprise
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notifications.models import FAILED, QUEUED, SENT, Delivery
from services.notifications.render import Renderer
from shared.config import NotificationsSettings
from shared.pii import mask_text

log = logging.getLogger("fengqiao.notifications.delivery")

LEASE = timedelta(minutes=5)


class SendFailed(Exception):
    pass


class Sender(Protocol):
    async def send(self, channel: str, address: str, subject: str, body: str) -> None: ...


class AppriseSender:
    """Outbound channels through apprise; the URLs come from settings (`{to}` = address)."""

    def __init__(self, settings: NotificationsSettings) -> None:
        self.urls = {"sms": settings.sms_url, "email": settings.smtp_url, "bot": settings.bot_url}
        self.bot_urls = dict(settings.bot_urls)
        self.timeout = settings.send_timeout_seconds

    def _send_blocking(self, url: str, subject: str, body: str) -> bool:
        notifier = apprise.Apprise()
        if not notifier.add(url):
            raise SendFailed("channel URL not understood by apprise")
        return bool(notifier.notify(body=body, title=subject))

    async def send(self, channel: str, address: str, subject: str, body: str) -> None:
        template = self.urls[channel]
        if channel == "bot":
            template = self.bot_urls.get(address, template)
        url = template.replace("{to}", quote(address, safe="@"))
        # apprise uses blocking HTTP/SMTP clients: keep them off the event loop
        ok = await asyncio.wait_for(
            asyncio.to_thread(self._send_blocking, url, subject, body), timeout=self.timeout
        )
        if not ok:
            raise SendFailed(f"{channel} provider refused or unreachable")


@dataclass(frozen=True)
class Due:
    id: int
    recipient_id: str
    channel: str
    address: str
    urgent: bool
    subject: str
    body: str
    language: str
    attempts: int


async def claim_due(
    factory: async_sessionmaker[AsyncSession], now: datetime, limit: int
) -> list[Due]:
    stmt = (
        select(Delivery)
        .where(
            Delivery.status == QUEUED,
            Delivery.channel != "inbox",
            Delivery.next_attempt_at <= now,
        )
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    )
    async with factory() as session, session.begin():
        if session.bind is not None and session.bind.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        rows = list(await session.scalars(stmt))
        for row in rows:
            row.next_attempt_at = now + LEASE
        return [
            Due(
                r.id,
                r.recipient_id,
                r.channel,
                r.address,
                r.urgent,
                r.subject,
                r.body,
                r.language,
                r.attempts,
            )
            for r in rows
        ]


def batches(rows: list[Due]) -> list[list[Due]]:
    """Group non-urgent SMS/e-mail to the same address into digests; the rest go alone."""
    groups: dict[tuple[str, str], list[Due]] = defaultdict(list)
    out: list[list[Due]] = []
    for row in rows:
        if row.urgent or row.channel not in ("sms", "email"):
            out.append([row])
        else:
            groups[(row.channel, row.address)].append(row)
    out.extend(groups.values())
    return out


class DeliveryWorker:
    def __init__(
        self,
        factory: async_sessionmaker[AsyncSession],
        sender: Sender,
        renderer: Renderer,
        settings: NotificationsSettings,
    ) -> None:
        self.factory = factory
        self.sender = sender
        self.renderer = renderer
        self.settings = settings
        self.sent = 0
        self.failed = 0
        self._limit = asyncio.Semaphore(8)
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Called after new deliveries commit, so immediate ones go out without waiting."""
        self._wake.set()

    async def _send_batch(self, batch: list[Due], now: datetime) -> None:
        first = batch[0]
        if len(batch) == 1:
            subject, body = first.subject, first.body
        else:
            digest = self.renderer.render_digest(
                first.language, [(d.subject, d.body) for d in batch]
            )
            subject, body = digest.subject, digest.body
        error = ""
        async with self._limit:
            try:
                await self.sender.send(first.channel, first.address, subject, body)
            except Exception as exc:  # any provider error is a failed attempt, never a crash
                error = mask_text(f"{type(exc).__name__}: {exc}")[:500] or type(exc).__name__
        await self._record(batch, now, error)

    async def _record(self, batch: list[Due], now: datetime, error: str) -> None:
        ids = [d.id for d in batch]
        async with self.factory() as session, session.begin():
            if not error:
                await session.execute(
                    update(Delivery)
                    .where(Delivery.id.in_(ids))
                    .values(
                        status=SENT,
                        sent_at=now,
                        attempts=Delivery.attempts + 1,
                        last_error="",
                        digested=len(batch) > 1,
                    )
                )
                self.sent += len(batch)
                return
            backoff = self.settings.retry_backoff_seconds
            for d in batch:
                attempt = d.attempts + 1
                values: dict[str, object] = {"attempts": attempt, "last_error": error}
                if attempt > len(backoff):
                    values["status"] = FAILED
                    self.failed += 1
                else:
                    values["next_attempt_at"] = now + timedelta(seconds=backoff[attempt - 1])
                await session.execute(update(Delivery).where(Delivery.id == d.id).values(values))
        log.warning("delivery %s over %s failed: %s", ids, batch[0].channel, error)

    async def run_once(self, now: datetime | None = None) -> int:
        now = now or datetime.now(UTC)
        rows = await claim_due(self.factory, now, self.settings.worker_batch)
        if rows:
            await asyncio.gather(*(self._send_batch(b, now) for b in batches(rows)))
        return len(rows)

    async def run(self) -> None:
        while True:
            try:
                n = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivery round failed; trying again")
                n = 0
            if n < self.settings.worker_batch:
                self._wake.clear()
                try:
                    await asyncio.wait_for(
                        self._wake.wait(), timeout=self.settings.worker_interval_seconds
                    )
                except TimeoutError:
                    pass
