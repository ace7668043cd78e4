"""Encryption of Temporal payloads: what Temporal stores (inputs, update arguments, results,
query answers, memos) is AES-256-GCM ciphertext, so its database and Web UI never hold a
party's phone or ID number in clear.

Keys come from FQ_TEMPORAL_KEYS as `id:base64key,id:base64key,...`: the first encrypts, all of
them decrypt (rotation: put the new key first, keep the old ones while histories use them).
A payload without this codec's encoding (everything recorded before the codec existed)
decodes unchanged, so old histories keep replaying.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12


class CodecError(ValueError):
    pass


@dataclass(frozen=True)
class Keyring:
    current: str
    keys: dict[str, bytes]


def parse_keys(spec: str) -> Keyring:
    """`id:base64,id:base64` → the keyring; the first key encrypts."""
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        key_id, sep, encoded = item.partition(":")
        if not sep or not key_id:
            raise CodecError(f"key {item[:12]!r}…: expected id:base64")
        try:
            key = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise CodecError(f"key {key_id!r}: not base64") from None
        if len(key) != 32:
            raise CodecError(f"key {key_id!r}: {len(key)} bytes, AES-256 needs 32")
        if key_id in keys:
            raise CodecError(f"key {key_id!r} listed twice")
        keys[key_id] = key
        order.append(key_id)
    if not order:
        raise CodecError("no Temporal payload key")
    return Keyring(current=order[0], keys=keys)


def new_key_spec(key_id: str) -> str:
    """A fresh `id:base64` entry (`python -c 'from shared.codec import new_key_spec; ...'`)."""
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


class EncryptionCodec(PayloadCodec):
    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keyring.keys.items()}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        key_id = self.keyring.current
        cipher = self._ciphers[key_id]
        out = []
        for payload in payloads:
            nonce = os.urandom(NONCE_BYTES)
            # the key id is authenticated data: a ciphertext cannot be relabelled
            sealed = cipher.encrypt(nonce, payload.SerializeToString(), key_id.encode())
            out.append(
                Payload(
                    metadata={"encoding": ENCODING, KEY_ID: key_id.encode()},
                    data=nonce + sealed,
                )
            )
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                out.append(payload)
                continue
            key_id = payload.metadata.get(KEY_ID, b"").decode()
            cipher = self._ciphers.get(key_id)
            if cipher is None:
                raise CodecError(f"payload encrypted with unknown key {key_id!r}")
            nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
            out.append(Payload.FromString(cipher.decrypt(nonce, sealed, key_id.encode())))
        return out
