"""The notifications service's internal routes (portal only), mounted by api.create_app."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.notifications import queries
from services.notifications.deps import NotificationsDep, SessionDep
from shared.contracts.notifications import (
    Channel,
    DeliveryPage,
    DeliveryRead,
    InboxPage,
    PreferenceRead,
    PreferenceUpdate,
    RetryResult,
    Status,
    UnreadCount,
)
from shared.errors import Conflict

# ids and offsets past 64 bits cannot reach the database (OverflowError = 500): refuse them
MAX_ROW = 2**63 - 1
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=MAX_ROW)]
RowId = Annotated[int, Path(ge=1, le=MAX_ROW)]

router = APIRouter(prefix="/internal/v1", tags=["notifications"])


@router.get("/users/{user_id}/inbox", response_model=InboxPage)
async def inbox(
    user_id: str,
    session: SessionDep,
    unread_only: bool = False,
    limit: Limit = 20,
    offset: Offset = 0,
) -> InboxPage:
    return await queries.inbox_page(
        session, user_id, unread_only=unread_only, limit=limit, offset=offset
    )


@router.get("/users/{user_id}/unread", response_model=UnreadCount)
async def unread(user_id: str, session: SessionDep) -> UnreadCount:
    return UnreadCount(unread=await queries.unread_count(session, user_id))


@router.post("/users/{user_id}/inbox/{message_id}/read", response_model=UnreadCount)
async def read_one(user_id: str, message_id: RowId, session: SessionDep) -> UnreadCount:
    await queries.mark_read(session, user_id, message_id)
    await session.commit()
    return UnreadCount(unread=await queries.unread_count(session, user_id))


@router.post("/users/{user_id}/inbox/read-all", response_model=UnreadCount)
async def read_all(user_id: str, session: SessionDep) -> UnreadCount:
    await queries.mark_read(session, user_id, None)
    await session.commit()
    return UnreadCount(unread=await queries.unread_count(session, user_id))


@router.get("/users/{user_id}/preferences", response_model=PreferenceRead)
async def get_preferences(
    user_id: str, session: SessionDep, rt: NotificationsDep
) -> PreferenceRead:
    return await queries.get_preferences(session, user_id, rt.rules.switchable, rt.config)


@router.put("/users/{user_id}/preferences", response_model=PreferenceRead)
async def put_preferences(
    user_id: str, data: PreferenceUpdate, session: SessionDep, rt: NotificationsDep
) -> PreferenceRead:
    result = await queries.set_preferences(session, user_id, rt.rules.switchable, data)
    await session.commit()
    return result


@router.get("/deliveries", response_model=DeliveryPage)
async def deliveries(
    session: SessionDep,
    status: Status | None = None,
    channel: Channel | None = None,
    recipient_id: str | None = None,
    station_code: str | None = None,
    reference: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> DeliveryPage:
    return await queries.deliveries(
        session,
        status=status,
        channel=channel,
        recipient_id=recipient_id,
        station_code=station_code,
        reference=reference,
        limit=limit,
        offset=offset,
    )


@router.get("/deliveries/{delivery_id}", response_model=DeliveryRead)
async def delivery(delivery_id: RowId, session: SessionDep) -> DeliveryRead:
    return await queries.delivery(session, delivery_id)


@router.post("/deliveries/{delivery_id}/retry", response_model=RetryResult)
async def retry(delivery_id: RowId, session: SessionDep, rt: NotificationsDep) -> RetryResult:
    n = await queries.retry_failed(session, delivery_id)
    if n == 0:
        raise Conflict("only a failed delivery can be retried")
    await session.commit()
    rt.worker.wake()
    return RetryResult(requeued=n)
