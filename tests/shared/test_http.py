"""Connections between our processes: the server keeps an idle connection longer than the
client pools it, so a pooled connection is never one the server is closing."""

from __future__ import annotations

import asyncio

import httpx
import uvicorn
from fastapi import FastAPI, Request

from shared.http import CLIENT_KEEP_ALIVE_SECONDS, SERVER_KEEP_ALIVE_SECONDS, client_limits
from shared.runtime import server_config
from tests.helpers import free_port


def test_clients_drop_idle_connections_before_the_server_does() -> None:
    assert client_limits().keepalive_expiry == CLIENT_KEEP_ALIVE_SECONDS
    assert CLIENT_KEEP_ALIVE_SECONDS < SERVER_KEEP_ALIVE_SECONDS


async def test_an_idle_connection_is_still_open_after_uvicorns_default_five_seconds() -> None:
    app = FastAPI()

    @app.get("/port")
    async def port(request: Request) -> int:
        assert request.client is not None
        return request.client.port  # the client's side of the TCP connection

    server = uvicorn.Server(server_config(app, "127.0.0.1", free_port()))
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:  # noqa: ASYNC110 (uvicorn has no started event)
            await asyncio.sleep(0.05)
    try:
        base = f"http://127.0.0.1:{server.config.port}"
        async with httpx.AsyncClient(base_url=base, limits=client_limits()) as client:
            first = (await client.get("/port")).json()
            await asyncio.sleep(6)  # past uvicorn's default keep-alive of 5 s
            second = (await client.get("/port")).json()
        assert second == first  # the same connection, reused: the server kept it open
    finally:
        server.should_exit = True
        await task
