"""Domain logic of the points service (no FastAPI, no aio-pika here)."""

from __future__ import annotations
