"""Passwords (argon2id) and the internal service token."""

from __future__ import annotations

import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY

_hasher = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)  # argon2id

INTERNAL_TOKEN_HEADER = "X-Fengqiao-Internal"
ACTOR_HEADER = "X-Fengqiao-Actor"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def token_ok(presented: str | None, expected: str) -> bool:
    return presented is not None and hmac.compare_digest(presented, expected)
