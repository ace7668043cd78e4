"""Who listens to what: the routing-key patterns of each consuming service's queue.

Every process that connects to the broker declares all of these queues (idempotent), so an
event published before its consumer ever started waits in the consumer's queue instead of
being dropped as unroutable.
"""

from __future__ import annotations

SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "appointments": ("directory.*",),
    "disputes": ("user.upserted",),
    "points": (
        "dispute.closed",
        "dispute.follow_up_recorded",
        "user.upserted",
        "directory.village_listed",
    ),
    "notifications": (
        "dispute.*",
        "appointment.*",
        "application.*",
        "home_visit.*",
        "points.*",
        "account.*",
        "user.upserted",
        "account.*",
    ),
}

# Who may publish what: the first part of a routing key names the service that owns the
# event, and a consumer accepts it only from that service's broker user (identity.py).
OWNERS: dict[str, str] = {
    "dispute": "disputes",
    "directory": "disputes",
    "appointment": "appointments",
    "application": "appointments",
    "home_visit": "appointments",
    "points": "points",
    "user": "portal",
    "account": "portal",
}


def owner_of(routing_key: str) -> str | None:
    return OWNERS.get(routing_key.split(".", 1)[0])
