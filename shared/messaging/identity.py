"""Who speaks on the bus. Every producer stamps the AMQP `user_id` property with its broker
user, which RabbitMQ checks against the connection's login (a publisher cannot claim another
user). A consumer accepts an event only from the broker user of the service that owns it
(topology.OWNERS); anything else is dead-lettered with the reason and counted on /metrics.

`FQ_BUS_USERS` maps services to broker users ({"disputes": "fq-disputes", ...}). Empty (the
embedded stack and the tests, where every process logs in as the one guest user), every
owner's user is the consumer's own connection user: a message must still carry that user_id,
but one process cannot be told from another — production mode refuses an empty mapping.

A consumer's retry re-publishes under its own user, keeping the original sender in
SENDER_HEADER; that header is believed only on messages the consumer's own user sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from prometheus_client import Counter

from shared.messaging.topology import owner_of

SENDER_HEADER = "x-fq-sender"
REASON_HEADER = "x-fq-rejected"
REJECTED = Counter(
    "fengqiao_bus_rejected_total",
    "events dead-lettered because the sender does not own them",
    ["service", "reason"],
)


def broker_user(url: str) -> str:
    """The user an AMQP URL logs in as (aio-pika's default: guest)."""
    return unquote(urlsplit(url).username or "guest")


@dataclass(frozen=True)
class Refusal:
    reason: str  # short label for the metric
    detail: str  # what the dead-letter header and the log say


@dataclass(frozen=True)
class SenderCheck:
    own_user: str
    bus_users: Mapping[str, str] = field(default_factory=dict)

    def expected(self, routing_key: str) -> str | None:
        owner = owner_of(routing_key)
        if owner is None:
            return None
        return self.bus_users.get(owner) if self.bus_users else self.own_user

    def sender(self, user_id: str | None, headers: Mapping[str, Any]) -> str | None:
        if user_id == self.own_user and SENDER_HEADER in headers:
            return str(headers[SENDER_HEADER])
        return user_id

    def refusal(
        self, routing_key: str, user_id: str | None, headers: Mapping[str, Any]
    ) -> Refusal | None:
        expected = self.expected(routing_key)
        if expected is None:
            return Refusal("no_owner", f"no service (or no broker user) owns {routing_key!r}")
        sender = self.sender(user_id, headers)
        if not sender:
            return Refusal("no_sender", f"{routing_key} carries no user_id")
        if sender != expected:
            return Refusal(
                "not_owner", f"{routing_key} sent by {sender!r}, only {expected!r} may send it"
            )
        return None
