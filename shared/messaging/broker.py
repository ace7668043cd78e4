"""RabbitMQ topology, publishing with confirms, and consuming with retry and dead-lettering.

Topology (declared idempotently by whoever connects first), for the exchange name X
(`fengqiao.events` unless FQ_EXCHANGE says otherwise; tests use one of their own):
- `X`: durable topic exchange, every event is published here by routing key.
- per consuming service `svc`: quorum queue `X.svc`, bound to the routing-key patterns it
  wants; `X.svc.retry` (a delay queue whose expired messages return to `X.svc` through the
  default exchange); `X.svc.dead` (the dead-letter queue, fed by the direct exchange `X.dlx`
  under routing key `svc`).
A handler that raises is retried with growing delays, then dead-lettered; a message that
cannot be parsed, or whose sender does not own its event (identity.py), is dead-lettered at
once. The consumer keeps going in all cases.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustChannel,
    AbstractRobustConnection,
)
from aio_pika.connection import make_url
from pamqp.commands import Basic

from shared.messaging.batch import Batcher, BatchHandler
from shared.messaging.events import Event, UnknownEvent, parse_event
from shared.messaging.identity import (
    REASON_HEADER,
    REJECTED,
    SENDER_HEADER,
    Refusal,
    SenderCheck,
    broker_user,
)
from shared.messaging.topology import SUBSCRIPTIONS

log = logging.getLogger("fengqiao.broker")

RETRY_DELAYS_MS = (1_000, 5_000, 30_000)


def queue_name(exchange: str, service: str) -> str:
    return f"{exchange}.{service}"


def dlx_name(exchange: str) -> str:
    return f"{exchange}.dlx"


@dataclass(frozen=True)
class OutgoingMessage:
    """What an outbox row or a direct publisher sends."""

    message_id: str
    routing_key: str
    version: int
    body: bytes


def message_of(event: Event) -> OutgoingMessage:
    return OutgoingMessage(event.event_id, event.routing_key, event.version, event.body())


class PublishNotConfirmed(Exception):
    pass


class Broker:
    """One robust connection (reconnects by itself) with a confirming publisher channel."""

    def __init__(
        self, url: str, exchange: str = "fengqiao.events", *, declare_topology: bool = True
    ) -> None:
        self.url = url
        self.user = broker_user(url)
        self.declare_topology = declare_topology
        self.exchange_name = exchange
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractRobustChannel | None = None
        self._exchange: AbstractExchange | None = None

    async def connect(self, *, timeout: float = 10.0) -> None:
        # built here rather than by connect_robust so that a failed attempt is closed: left to
        # the garbage collector, aio-pika schedules its close() where nothing awaits it
        connection = aio_pika.RobustConnection(
            make_url(self.url),
            client_properties={"connection_name": "fengqiao"},
        )
        try:
            await connection.connect(timeout=timeout)
            channel = await connection.channel(publisher_confirms=True)
            exchange = await self.declare_exchanges(channel)
            if self.declare_topology:
                for service, patterns in SUBSCRIPTIONS.items():
                    await declare_service_queue(channel, exchange, service, patterns)
        except BaseException:
            await connection.close()
            raise
        self._connection, self._channel, self._exchange = connection, channel, exchange

    @property
    def connection(self) -> AbstractRobustConnection:
        if self._connection is None:
            raise RuntimeError("broker not connected")
        return self._connection

    @property
    def is_connected(self) -> bool:
        # a robust connection is not "closed" while it reconnects: ask whether it is up now
        return (
            self._connection is not None
            and not self._connection.is_closed
            and self._connection.connected.is_set()
        )

    async def declare_exchanges(self, channel: aio_pika.abc.AbstractChannel) -> AbstractExchange:
        await channel.declare_exchange(
            dlx_name(self.exchange_name), aio_pika.ExchangeType.DIRECT, durable=True
        )
        return await channel.declare_exchange(
            self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
        )

    async def publish(self, message: OutgoingMessage, *, timeout: float = 10.0) -> None:
        if self._exchange is None:
            raise RuntimeError("broker not connected")
        amqp = aio_pika.Message(
            body=message.body,
            message_id=message.message_id,
            type=message.routing_key,
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            headers={"x-version": message.version},
            user_id=self.user,  # RabbitMQ refuses it unless it is this connection's user
        )
        # not mandatory: an event nobody subscribes to is confirmed and dropped, by design
        confirmation = await self._exchange.publish(
            amqp, routing_key=message.routing_key, timeout=timeout, mandatory=False
        )
        if not isinstance(confirmation, Basic.Ack):
            raise PublishNotConfirmed(f"broker did not confirm {message.message_id}")

    async def publish_event(self, event: Event) -> None:
        await self.publish(message_of(event))

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None


Handler = Callable[[Event, "Delivery"], Awaitable[None]]


@dataclass(frozen=True)
class Delivery:
    message_id: str
    routing_key: str
    redelivered: bool
    retries: int


async def declare_service_queue(
    channel: aio_pika.abc.AbstractChannel,
    exchange: AbstractExchange,
    service: str,
    patterns: Sequence[str],
) -> AbstractQueue:
    name = queue_name(exchange.name, service)
    dlx = dlx_name(exchange.name)
    dead = await channel.declare_queue(
        f"{name}.dead", durable=True, arguments={"x-queue-type": "quorum"}
    )
    await dead.bind(dlx, routing_key=service)
    await channel.declare_queue(
        f"{name}.retry",
        durable=True,
        arguments={
            "x-queue-type": "quorum",
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": name,
        },
    )
    queue = await channel.declare_queue(
        name,
        durable=True,
        arguments={
            "x-queue-type": "quorum",
            "x-dead-letter-exchange": dlx,
            "x-dead-letter-routing-key": service,
            # a message that crashes the consumer process over and over is dead-lettered too
            "x-delivery-limit": 20,
        },
    )
    for pattern in patterns:
        await queue.bind(exchange, routing_key=pattern)
    return queue


class Consumer:
    """Consumes a service's queue on the broker's robust connection (resumes after reconnect)."""

    def __init__(
        self,
        broker: Broker,
        service: str,
        patterns: Sequence[str],
        handler: Handler,
        *,
        prefetch: int = 128,
        retry_delays_ms: Sequence[int] = RETRY_DELAYS_MS,
        bus_users: Mapping[str, str] | None = None,
        batch_handler: BatchHandler | None = None,
        batch_size: int = 100,
    ) -> None:
        self.broker = broker
        # with a batch handler, deliveries are applied many to a transaction (batch.py)
        self._batcher = Batcher(batch_handler, max_size=batch_size) if batch_handler else None
        self.senders = SenderCheck(broker.user, dict(bus_users or {}))
        self.service = service
        self.patterns = list(patterns)
        self.handler = handler
        self.prefetch = prefetch
        self.retry_delays_ms = list(retry_delays_ms)
        self._channel: aio_pika.abc.AbstractChannel | None = None
        self._queue: aio_pika.abc.AbstractQueue | None = None
        self._tag: str | None = None
        self._inflight: set[asyncio.Task[Any]] = set()
        self.handled = 0
        self.dead_lettered = 0
        self.rejected = 0

    async def start(self) -> None:
        channel = await self.broker.connection.channel()
        await channel.set_qos(prefetch_count=self.prefetch)
        exchange = await self.broker.declare_exchanges(channel)
        queue = await declare_service_queue(channel, exchange, self.service, self.patterns)
        self._channel, self._queue = channel, queue
        self._tag = await queue.consume(self._on_message)

    async def stop(self, grace: float = 10.0) -> None:
        """No new deliveries, the messages in hand finish (their database work with them, so no
        connection is left open behind a closing service), then the channel closes."""
        if self._queue is not None and self._tag is not None:
            with contextlib.suppress(Exception):
                await self._queue.cancel(self._tag)
        if self._inflight:
            await asyncio.wait(set(self._inflight), timeout=grace)
        if self._batcher is not None:
            await self._batcher.stop()
        if self._channel is not None and not self._channel.is_closed:
            await self._channel.close()

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            await self._handle_message(message)
        finally:
            if task is not None:
                self._inflight.discard(task)

    async def _handle_message(self, message: AbstractIncomingMessage) -> None:
        headers: dict[str, Any] = dict(message.headers or {})
        retries = int(str(headers.get("x-retries", 0)))
        routing_key = message.type or message.routing_key or ""
        refusal = self.senders.refusal(routing_key, message.user_id, headers)
        if refusal is not None:
            await self._refuse(message, headers, refusal)
            return
        try:
            version = int(str(headers.get("x-version", 1)))
            event = parse_event(routing_key, version, message.body)
        except (UnknownEvent, ValueError) as exc:
            log.error("poison message %s (%s): %s", message.message_id, routing_key, exc)
            self.dead_lettered += 1
            await message.reject(requeue=False)
            return
        delivery = Delivery(
            message_id=message.message_id or event.event_id,
            routing_key=routing_key,
            redelivered=bool(message.redelivered),
            retries=retries,
        )
        try:
            await self._apply(event, delivery)
        except asyncio.CancelledError:
            # shutting down mid-message: the broker redelivers it (the inbox makes that safe)
            with contextlib.suppress(Exception):
                await message.nack(requeue=True)
            raise
        except Exception:
            log.exception(
                "handler failed for %s (%s), retry %d", delivery.message_id, routing_key, retries
            )
            await self._retry_or_dead_letter(message, headers, retries)
            return
        self.handled += 1
        await message.ack()

    async def _apply(self, event: Event, delivery: Delivery) -> None:
        if self._batcher is None or delivery.retries:
            await self.handler(event, delivery)  # a message retried after a failure goes alone
            return
        try:
            await self._batcher.submit(event, delivery)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("batch with %s failed (%s); applying it alone", delivery.message_id, exc)
            await self.handler(event, delivery)

    async def _refuse(
        self, message: AbstractIncomingMessage, headers: dict[str, Any], refusal: Refusal
    ) -> None:
        """Dead-letter a message from the wrong sender, saying why (in a header and the log)."""
        log.error("refused %s: %s", message.message_id, refusal.detail)
        REJECTED.labels(self.service, refusal.reason).inc()
        self.rejected += 1
        self.dead_lettered += 1
        if self._channel is None:
            await message.reject(requeue=False)
            return
        headers[REASON_HEADER] = refusal.detail
        headers[SENDER_HEADER] = message.user_id or ""
        dlx = await self._channel.get_exchange(dlx_name(self.broker.exchange_name), ensure=False)
        await dlx.publish(
            aio_pika.Message(
                body=message.body,
                message_id=message.message_id,
                type=message.type,
                content_type=message.content_type,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                headers=headers,
                user_id=self.broker.user,
            ),
            routing_key=self.service,
        )
        await message.ack()

    async def _retry_or_dead_letter(
        self, message: AbstractIncomingMessage, headers: dict[str, Any], retries: int
    ) -> None:
        if retries >= len(self.retry_delays_ms) or self._channel is None:
            self.dead_lettered += 1
            await message.reject(requeue=False)
            return
        headers["x-retries"] = retries + 1
        headers.setdefault(SENDER_HEADER, message.user_id or "")
        delayed = aio_pika.Message(
            body=message.body,
            message_id=message.message_id,
            type=message.type,
            content_type=message.content_type,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            headers=headers,
            expiration=self.retry_delays_ms[retries] / 1000,
            user_id=self.broker.user,
        )
        await self._channel.default_exchange.publish(
            delayed,
            routing_key=f"{queue_name(self.broker.exchange_name, self.service)}.retry",
        )
        await message.ack()
