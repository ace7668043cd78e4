"""Domain logic of the notifications service (no FastAPI, no aio-pika here)."""

from __future__ import annotations
