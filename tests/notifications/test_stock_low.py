"""A love supermarket running low, over the real broker: the village's group leader is told
by inbox and SMS, the shop's clerk of that village and the administrators (who keep the items
and prices) in the inbox; a clerk elsewhere hears nothing."""

from __future__ import annotations

from collections.abc import Callable

from shared.messaging.contracts.points import SupermarketStockLow
from shared.messaging.contracts.users import UserUpserted
from tests.notifications.conftest import ServiceFactory, Sink
from tests.notifications.people import EVERYONE, LEADER
from tests.notifications.test_broker_delivery import settled

CLERK = UserUpserted(
    user_id="clerk-1",
    role="clerk",
    display_name="店员 苏丽娟",
    phone="13800000007",
    village_code="V1",
)
ADMIN = UserUpserted(user_id="admin-1", role="admin", display_name="管理员", phone="13800000009")
OTHER_CLERK = UserUpserted(
    user_id="clerk-2",
    role="clerk",
    display_name="店员 白玉梅",
    phone="13800000008",
    village_code="V2",
)


async def test_stock_low_tells_the_leader_and_the_clerk_of_the_village(
    start_service: ServiceFactory, sink: Sink, sqlite_url: Callable[[str], str]
) -> None:
    service = await start_service(sqlite_url("n"))
    await service.add_users(*EVERYONE, CLERK, OTHER_CLERK, ADMIN)
    event = SupermarketStockLow(
        item_id="item-1",
        item_name="洗衣粉",
        shop="蒋河村爱心超市",
        village_code="V1",
        stock=2,
        alert_level=3,
    )
    await service.publish(event)
    found = await settled(service, event.event_id, expected=4)
    assert set(found) == {
        (LEADER.user_id, "inbox"),
        (LEADER.user_id, "sms"),
        (CLERK.user_id, "inbox"),
        (ADMIN.user_id, "inbox"),
    }
    for user in (CLERK, ADMIN):
        inbox = (await service.api.get(f"/internal/v1/users/{user.user_id}/inbox")).json()
        assert [m["body"] for m in inbox["items"]] == [
            "蒋河村爱心超市的“洗衣粉”只剩 2 件（提醒线 3 件），请安排补货。"
        ]
    other = (await service.api.get(f"/internal/v1/users/{OTHER_CLERK.user_id}/inbox")).json()
    assert other["items"] == []
    assert sink.received("sms", CLERK.phone) == []
