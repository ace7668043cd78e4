"""The linkage notice's activity: POST a request to the partner organisation's outbound
channel (`partner_orgs.notify_url`, read at every attempt, so a channel fixed by an
administrator is used by the next retry). A channel that is down fails the attempt: the
workflow retries it and the stuck board shows the case until the notice gets through.

A failed attempt names the organisation in its details (`partner_code`): the stuck board
links the case to the organisation's page, where its channel is fixed.

The request id goes as the Idempotency-Key header: an attempt that reached the partner but
failed on the way back is sent again with the same key, and the partner keeps it once."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from workflows.disputes.tables import PartnerOrg
from workflows.disputes.types import NoticeSent, PartnerNotice

# well inside the activity's start-to-close timeout (calling.ACTIVITY_TIMEOUT, 10 s)
POST_TIMEOUT = timedelta(seconds=5)


class PartnerChannel:
    def __init__(self, factory: async_sessionmaker[AsyncSession]) -> None:
        self.factory = factory

    @activity.defn(name="dispute_notify_partner")
    async def notify_partner(self, n: PartnerNotice) -> NoticeSent:
        async with self.factory() as s:
            url = await s.scalar(
                select(PartnerOrg.notify_url).where(PartnerOrg.code == n.partner_code)
            )
        if not url:
            return NoticeSent(channel=None)  # the organisation reads its task list only
        code = n.partner_code
        try:
            async with httpx.AsyncClient(timeout=POST_TIMEOUT.total_seconds()) as http:
                r = await http.post(
                    url,
                    json=n.model_dump(mode="json"),
                    headers={"Idempotency-Key": n.request_id},
                )
        except httpx.HTTPError as exc:
            activity.logger.warning("partner channel %s of %s: %r", url, code, exc)
            raise ApplicationError(
                f"the channel of partner organisation {code} does not answer",
                {"partner_code": code},
                type="PartnerChannelDown",
            ) from None
        if not r.is_success:
            raise ApplicationError(
                f"the channel of partner organisation {code} answered {r.status_code}",
                {"partner_code": code},
                type="PartnerChannelRefused",
            )
        return NoticeSent(channel=url)
