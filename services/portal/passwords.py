"""Password policy and argon2 work off the event loop (a small thread pool of its own)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

from shared.auth import hash_password, needs_rehash, verify_password

MIN_PASSWORD = 8
COMMON_PASSWORDS = Path(__file__).resolve().parent / "common_passwords.txt"
# argon2-cffi releases the GIL while hashing: two threads keep two cores busy, and a burst of
# logins queues here instead of stalling every other request on the event loop.
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="argon2")


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(x.strip().lower() for x in lines if x.strip() and not x.startswith("#"))


def password_problem(password: str, *, login: str | None = None) -> str | None:
    """Why `password` is refused, or None: short, one repeated character, common, the login."""
    if len(password) < MIN_PASSWORD:
        return f"at least {MIN_PASSWORD} characters"
    if len(set(password)) == 1:
        return "not one repeated character"
    if password.strip().lower() in common_passwords():
        return "too common: choose a password that is not on lists of common passwords"
    if login and password.strip().lower() == login.strip().lower():
        return "must differ from your login"
    return None


async def hash_async(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_POOL, hash_password, password)


async def verify_async(stored_hash: str, password: str) -> bool:
    return await asyncio.get_running_loop().run_in_executor(
        _POOL, verify_password, stored_hash, password
    )


__all__ = [
    "MIN_PASSWORD",
    "common_passwords",
    "hash_async",
    "needs_rehash",
    "password_problem",
    "verify_async",
]
