"""HTTP between Fengqiao's own processes: the servers keep an idle connection open longer than
the clients keep it in their pools, so a client never sends a request on a connection the
server is just closing (seen under load as httpx's "Server disconnected without sending a
response" / ReadError when both sides used 5 s)."""

from __future__ import annotations

import httpx

SERVER_KEEP_ALIVE_SECONDS = 30
CLIENT_KEEP_ALIVE_SECONDS = 15


def client_limits(max_connections: int = 100) -> httpx.Limits:
    return httpx.Limits(
        max_connections=max_connections,
        max_keepalive_connections=20,
        keepalive_expiry=CLIENT_KEEP_ALIVE_SECONDS,
    )
