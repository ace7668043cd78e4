"""Domain logic of the portal service (no FastAPI, no aio-pika here)."""

from __future__ import annotations
