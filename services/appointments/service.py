"""Domain logic of the appointments service (no FastAPI, no aio-pika here)."""

from __future__ import annotations
