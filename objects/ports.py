"""The object-store port: where uploaded photos and prepared images live.

Workers and the runtime depend on this module only; the adapters sit beside it
(`local.py`, a directory; `s3.py`, S3 or anything that speaks its API). Every adapter
raises the errors below and checks keys with `check_key`, so the contract suite
(`tests/contract/object_store_suite.py`) means the same thing for each of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,511}$")


class ObjectStoreError(Exception):
    """The store failed (transient: worth a retry)."""


class ObjectNotFound(ObjectStoreError):
    """No object under that key (permanent)."""


class ObjectTooLarge(ObjectStoreError):
    """The object is bigger than the caller accepts (permanent); nothing was read."""

    def __init__(self, key: str, size: int, limit: int) -> None:
        super().__init__(f"{key} is {size} bytes; the limit is {limit}")
        self.key = key
        self.size = size
        self.limit = limit


def check_key(key: str) -> str:
    """`key` if it is a safe relative object name; ValueError otherwise.

    Letters, digits, `.`, `_`, `-` and `/`, at most 512 characters, starting with a
    letter or digit, and no `..` segment: the same key is a valid file path and S3 key.
    """
    if not _KEY.match(key) or ".." in key.split("/"):
        raise ValueError(f"invalid object key {key!r}")
    return key


@dataclass(frozen=True)
class PresignedUpload:
    """A client uploads its file itself: `method` `url` with `headers`, within `expires_in`."""

    url: str
    method: str
    headers: dict[str, str] = field(default_factory=dict)
    expires_in: int = 0


class ObjectStore(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key` atomically (readers see all of it or nothing); overwrite."""

    async def get(self, key: str, *, max_bytes: int | None = None) -> bytes:
        """The bytes under `key`; ObjectNotFound when there are none.

        With `max_bytes`, an object bigger than that raises ObjectTooLarge before its
        body is read, so a huge upload cannot exhaust the reader's memory.
        """

    async def delete(self, key: str) -> None:
        """Remove `key`; deleting a missing key is not an error (idempotent)."""

    async def presign_put(
        self, key: str, content_type: str, size: int, expires_in: int
    ) -> PresignedUpload | None:
        """A URL through which a client can upload `size` bytes to `key` directly.

        None means the store has no such URLs (the local directory): the caller takes
        the bytes itself and calls `put`. A presigned upload does not bound the size
        the client really sends on every store; whoever reads the object must check it.
        """
