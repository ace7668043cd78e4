"""Applying consumed messages in batches: one transaction for many deliveries, acked after it.

A consumer with a batch handler hands each parsed delivery to `Batcher.submit`, which waits
until the batch holding it has been applied. One runner takes what has arrived (up to
`max_size`, after a short `linger` so a prefetched burst lands together) and calls the batch
handler once; every message of the batch is acked only after that call returned, i.e. after
its transaction committed. If the batch handler raises, each message's own `submit` raises
too and the consumer applies that message alone with the ordinary handler (its retry and
dead-letter rules unchanged), so one bad message costs its batch a retry, never an effect.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from shared.messaging.events import Event

if TYPE_CHECKING:
    from shared.messaging.broker import Delivery

BatchHandler = Callable[[Sequence[tuple[Event, "Delivery"]]], Awaitable[None]]


class Batcher:
    def __init__(self, handler: BatchHandler, *, max_size: int = 100, linger: float = 0.002):
        self.handler = handler
        self.max_size = max_size
        self.linger = linger
        self._pending: list[tuple[Event, Delivery, asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self.batches = 0

    async def submit(self, event: Event, delivery: Delivery) -> None:
        """Returns once the batch holding this delivery committed; raises what it raised."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((event, delivery, future))
        self._wake.set()
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run(), name="consumer-batches")
        await future

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            if self.linger:
                await asyncio.sleep(self.linger)
            while self._pending:
                batch = self._pending[: self.max_size]
                del self._pending[: self.max_size]
                await self._apply(batch)
            self._wake.clear()

    async def _apply(self, batch: list[tuple[Event, Delivery, asyncio.Future[None]]]) -> None:
        live = [(e, d, f) for e, d, f in batch if not f.done()]  # a cancelled waiter is gone
        if not live:
            return
        try:
            await self.handler([(e, d) for e, d, _ in live])
        except asyncio.CancelledError:
            for _, _, f in live:
                if not f.done():
                    f.cancel()
            raise
        except Exception as exc:
            for _, _, f in live:
                if not f.done():
                    f.set_exception(exc)
            return
        self.batches += 1
        for _, _, f in live:
            if not f.done():
                f.set_result(None)

    async def stop(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._runner
        for _, _, f in self._pending:
            if not f.done():
                f.cancel()
        self._pending.clear()
