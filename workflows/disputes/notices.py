"""Linkage notices (since NOTICE_PATCH): a request naming a partner organisation is told to the
organisation's outbound channel by an activity. The update that made the request answers
first; the workflow's loop sends the notice afterwards, so an officer never waits on a
partner's channel. While the channel is down the activity retries (the stuck board shows the
case, FqTrouble) and the case's next steps wait behind it; once sent, the timeline says so.
Histories recorded before the patch have no request marked pending, so they run no notice."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.disputes.outbound import PartnerChannel

from workflows.disputes.calling import call
from workflows.disputes.steps import apply
from workflows.disputes.types import CaseState, PartnerNotice, PartnerRequest

NOTICE_PATCH = "partner-outbound-notice"


def mark(asked: PartnerRequest) -> None:
    """A new request naming an organisation: its notice is to go out."""
    if asked.partner_code and workflow.patched(NOTICE_PATCH):
        asked.notice_pending = True


async def send_pending(s: CaseState) -> None:
    """Send every pending notice, oldest first (a request answered meanwhile still is told:
    the organisation's own records hold what it was asked)."""
    for asked in s.partner_requests:
        if not asked.notice_pending or asked.partner_code is None:
            continue
        sent = await call(
            PartnerChannel.notify_partner,
            PartnerNotice(
                case_id=s.case_id,
                case_no=s.case_no,
                request_id=asked.request_id,
                partner=asked.partner,
                partner_code=asked.partner_code,
                request=asked.request,
                deadline=asked.deadline,
                village_code=s.village_code,
            ),
        )
        asked.notice_pending = False
        if sent.channel is not None:
            await apply(
                s,
                "partner_notified",
                note=asked.partner_code,
                timeline_data={"partner_code": asked.partner_code, "request_id": asked.request_id},
            )
