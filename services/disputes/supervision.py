"""The technical side of the supervisor's stuck board, and retry-now, through Temporal.

Retry-now uses the workflow service's ResetActivity (server >= 1.27): the pending activity's
attempt count and back-off are reset and it is scheduled at once, with no history rewrite.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.failure.v1 import Failure
from temporalio.api.workflowservice.v1 import ResetActivityRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from shared.contracts.disputes_read import StuckRow
from shared.temporal import (
    SA_ASSIGNEE,
    SA_COLOUR,
    SA_STAGE,
    SA_STATION,
    SA_TROUBLE,
    STUCK_AFTER_ATTEMPTS,
    dispute_workflow_id,
)

RPC_TIMEOUT = timedelta(seconds=5)


class WorkflowMissing(Exception):
    pass


def _ts(value: object) -> datetime | None:
    seconds = getattr(value, "seconds", 0)
    return datetime.fromtimestamp(seconds, UTC) if seconds else None


async def partner_named(client: Client, failure: Failure) -> str | None:
    """The partner organisation a failed attempt names in its details (a linkage notice whose
    channel is down: outbound.py), for the board to link to the organisation's page."""
    payloads = failure.application_failure_info.details.payloads
    if not payloads:
        return None
    [first, *_] = await client.data_converter.decode(payloads)
    code = first.get("partner_code") if isinstance(first, dict) else None
    return code if isinstance(code, str) else None


FLAGGED = "(FqTrouble IS NOT NULL OR TemporalReportedProblems IS NOT NULL)"


async def technical_stuck(
    client: Client, *, station: str | None, limit: int = 500
) -> list[StuckRow]:
    """Cases whose workflow raised its FqTrouble flag (an activity failing again and again) or
    that the server flagged itself (TemporalReportedProblems: the workflow task keeps failing).
    One visibility query, then one describe per flagged case only."""
    query = "FqKind = 'dispute' AND ExecutionStatus = 'Running'"
    if station:
        # a case whose first activity never ran has no station yet: show it to everyone
        safe = station.replace("'", "")
        query += f" AND (FqStation = '{safe}' OR FqStation IS NULL)"
    try:
        found = [
            wf
            async for wf in client.list_workflows(
                f"{query} AND {FLAGGED}", limit=limit, rpc_timeout=RPC_TIMEOUT
            )
        ]
    except RPCError as exc:
        if exc.status != RPCStatusCode.INVALID_ARGUMENT:
            raise
        # a server older than 1.29 has no TemporalReportedProblems: our own flag only
        flagged = f"{query} AND FqTrouble IS NOT NULL"
        found = [
            wf async for wf in client.list_workflows(flagged, limit=limit, rpc_timeout=RPC_TIMEOUT)
        ]
    out: list[StuckRow] = []
    for wf in found:
        desc = await client.get_workflow_handle(wf.id, run_id=wf.run_id).describe(
            rpc_timeout=RPC_TIMEOUT
        )
        raw = desc.raw_description
        st = wf.typed_search_attributes
        base = dict(
            case_id=wf.id.removeprefix("dispute-"),
            case_no=None,
            station_code=st.get(SA_STATION),
            assignee_id=st.get(SA_ASSIGNEE),
            kind="technical",
            level="red",
            stage=st.get(SA_STAGE),
            colour=st.get(SA_COLOUR),
        )
        # the flag is raised after STUCK_AFTER_ATTEMPTS failures; the retries then count anew
        earlier = STUCK_AFTER_ATTEMPTS if st.get(SA_TROUBLE) else 0
        for pa in raw.pending_activities:
            if not earlier and pa.attempt < 2:
                continue  # flagged for its workflow task; this activity has not failed
            failure = pa.last_failure.message or "no failure recorded"
            attempt = earlier + pa.attempt
            why = f"activity {pa.activity_type.name} at attempt {attempt}: {failure}"
            since = _ts(pa.scheduled_time) or _ts(pa.last_started_time)
            out.append(
                StuckRow(
                    **base,
                    why=why,
                    since=since,
                    activity=pa.activity_type.name,
                    partner_code=await partner_named(client, pa.last_failure),
                )
            )
        wt = raw.pending_workflow_task
        if wt.attempt > 1:
            why = f"workflow task failing (attempt {wt.attempt})"
            out.append(StuckRow(**base, why=why, since=_ts(wt.scheduled_time)))
    return out


async def retry_now(client: Client, case_id: str, *, identity: str) -> int:
    """Make every backing-off activity of the case retry now; returns how many were pending."""
    handle = client.get_workflow_handle(dispute_workflow_id(case_id))
    try:
        desc = await handle.describe(rpc_timeout=RPC_TIMEOUT)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise WorkflowMissing(case_id) from exc
        raise
    pending = list(desc.raw_description.pending_activities)
    if pending:
        await client.workflow_service.reset_activity(
            ResetActivityRequest(
                namespace=client.namespace,
                execution=WorkflowExecution(workflow_id=handle.id),
                identity=identity,
                match_all=True,
                reset_heartbeat=True,
            ),
            timeout=RPC_TIMEOUT,
        )
    return len(pending)
