"""Domain logic of the disputes service (no FastAPI, no aio-pika here)."""

from __future__ import annotations
