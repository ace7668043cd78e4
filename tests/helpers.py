"""What many tests need and each used to write for itself: waiting for a condition, free
ports, serving an app with uvicorn (in a thread of its own, or as a task of the test's loop),
throwaway tables on the test's database."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import make_engine, make_session_factory

T = TypeVar("T")


async def eventually(
    check: Callable[[], Awaitable[T | None]],
    timeout: float = 20.0,
    message: str = "",
    *,
    interval: float = 0.05,
) -> T:
    """Await `check()` until it returns something truthy and return that; fail after `timeout`
    seconds saying `message` and the last value seen."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await check()
        if value is not None and value:
            return value
        if loop.time() > deadline:
            raise AssertionError(
                f"{message or 'condition not met'} within {timeout}s (last value {value!r})"
            )
        await asyncio.sleep(interval)


async def poll(
    fetch: Callable[[], Awaitable[T]],
    accept: Callable[[T], object],
    timeout: float = 20.0,
    interval: float = 0.1,
) -> T:
    """Await `fetch()` until `accept(value)` holds; return that value."""
    last: list[T] = []

    async def check() -> bool:
        last[:] = [await fetch()]
        return bool(accept(last[0]))

    try:
        await eventually(check, timeout, interval=interval)
    except AssertionError:
        shown = last[0] if last else None
        raise AssertionError(f"not reached within {timeout}s: {shown!r}") from None
    return last[0]


def eventually_sync(
    check: Callable[[], T | None],
    timeout: float = 20.0,
    message: str = "",
    *,
    interval: float = 0.05,
) -> T:
    """`eventually` for code without an event loop (threads, processes)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value is not None and value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{message or 'condition not met'} within {timeout}s (last value {value!r})"
            )
        time.sleep(interval)


def free_ports(n: int) -> list[int]:
    """`n` distinct ports free right now on 127.0.0.1 (all bound at once, so never the same)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def free_port() -> int:
    return free_ports(1)[0]


def _server(app: FastAPI, port: int) -> uvicorn.Server:
    return uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )


@contextmanager
def serving_in_thread(
    app: FastAPI, port: int | None = None, name: str = "uvicorn"
) -> Iterator[str]:
    """Serve `app` (lifespan included) with uvicorn in a thread of its own; yield its base URL.
    For callers whose own loop is busy elsewhere (a browser driving the page)."""
    port = port or free_port()
    server = _server(app, port)
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start on :{port}")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@asynccontextmanager
async def serving(app: FastAPI, port: int | None = None) -> AsyncIterator[str]:
    """Serve `app` (lifespan included) with uvicorn as a task of the running loop; yield its
    base URL."""
    port = port or free_port()
    server = _server(app, port)
    task: asyncio.Task[Any] = asyncio.create_task(server.serve())

    async def started() -> bool:
        if task.done():
            task.result()  # raises what stopped the server
            raise RuntimeError(f"server on :{port} stopped before it started")
        return server.started

    await eventually(started, 30, message=f"server on :{port} did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def tables_on(
    db_url: str, metadata: MetaData
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """`metadata`'s tables made on the (fresh) test database at `db_url`: a session factory for
    them, its engine disposed afterwards."""
    engine = make_engine(db_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        yield make_session_factory(engine)
    finally:
        await engine.dispose()


AMQP_URL = os.environ.get("FQ_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
# every queue a test may declare for its private exchange X: X.<owner>, X.<owner>.retry/.dead
QUEUE_OWNERS = ("portal", "disputes", "appointments", "points", "notifications", "test", "probe")


async def delete_exchange(name: str, amqp_url: str = AMQP_URL) -> None:
    """Remove a test's private exchange, its dead-letter exchange and every queue made for it
    (by the services' own topology or by the test), so nothing is left on the shared broker."""
    import aio_pika

    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for owner in QUEUE_OWNERS:
            for suffix in ("", ".retry", ".dead"):
                await channel.queue_delete(f"{name}.{owner}{suffix}")
        await channel.exchange_delete(name)
        await channel.exchange_delete(f"{name}.dlx")


def delete_exchange_sync(name: str, amqp_url: str = AMQP_URL) -> None:
    asyncio.run(delete_exchange(name, amqp_url))
