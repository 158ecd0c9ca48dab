"""The object-store contract: every adapter must pass these tests (subclassed per adapter).

A subclass provides the `store` fixture (an open, empty store) and says whether the
adapter hands out presigned uploads (`PRESIGNS`).
"""

from __future__ import annotations

import asyncio
import os
from typing import ClassVar

import httpx
import pytest

from objects import (
    ObjectNotFound,
    ObjectStore,
    ObjectStoreError,
    ObjectTooLarge,
    PresignedUpload,
)

INVALID_KEYS = [
    "",
    "/etc/passwd",
    "../outside",
    "uploads/../../outside",
    "with space.jpg",
    "ünïcode.jpg",
    ".hidden",
    "x" * 513,
]


class ObjectStoreContract:
    PRESIGNS: ClassVar[bool]

    async def test_put_then_get_returns_the_same_bytes(self, store: ObjectStore) -> None:
        await store.put("uploads/u1/s1.jpg", b"\xff\xd8 photo bytes", "image/jpeg")
        assert await store.get("uploads/u1/s1.jpg") == b"\xff\xd8 photo bytes"

    async def test_put_overwrites(self, store: ObjectStore) -> None:
        await store.put("prepared/a.jpg", b"first", "image/jpeg")
        await store.put("prepared/a.jpg", b"second, longer", "image/jpeg")
        assert await store.get("prepared/a.jpg") == b"second, longer"

    async def test_empty_objects_are_objects(self, store: ObjectStore) -> None:
        await store.put("empty", b"", "application/octet-stream")
        assert await store.get("empty") == b""

    async def test_a_missing_key_is_object_not_found(self, store: ObjectStore) -> None:
        with pytest.raises(ObjectNotFound):
            await store.get("uploads/never-written.jpg")
        assert issubclass(ObjectNotFound, ObjectStoreError)

    async def test_delete_removes_and_is_idempotent(self, store: ObjectStore) -> None:
        await store.put("uploads/gone.jpg", b"x", "image/jpeg")
        await store.delete("uploads/gone.jpg")
        with pytest.raises(ObjectNotFound):
            await store.get("uploads/gone.jpg")
        await store.delete("uploads/gone.jpg")
        await store.delete("uploads/never-written.jpg")

    @pytest.mark.parametrize("key", INVALID_KEYS)
    async def test_invalid_keys_are_rejected_before_any_io(
        self, store: ObjectStore, key: str
    ) -> None:
        with pytest.raises(ValueError, match="invalid object key"):
            await store.put(key, b"x", "image/jpeg")
        with pytest.raises(ValueError, match="invalid object key"):
            await store.get(key)
        with pytest.raises(ValueError, match="invalid object key"):
            await store.delete(key)
        with pytest.raises(ValueError, match="invalid object key"):
            await store.presign_put(key, "image/jpeg", 1, 60)

    async def test_a_large_object_roundtrips(self, store: ObjectStore) -> None:
        data = os.urandom(5 * 1024 * 1024)
        await store.put("uploads/large.bin", data, "application/octet-stream")
        assert await store.get("uploads/large.bin") == data

    async def test_get_with_a_bound_refuses_bigger_objects(self, store: ObjectStore) -> None:
        await store.put("uploads/big.jpg", b"x" * 2000, "image/jpeg")
        assert await store.get("uploads/big.jpg", max_bytes=2000) == b"x" * 2000
        with pytest.raises(ObjectTooLarge) as refused:
            await store.get("uploads/big.jpg", max_bytes=1999)
        assert (refused.value.size, refused.value.limit) == (2000, 1999)

    async def test_concurrent_puts_of_different_keys(self, store: ObjectStore) -> None:
        keys = [f"uploads/c{i}.jpg" for i in range(20)]
        await asyncio.gather(*(store.put(k, k.encode() * 100, "image/jpeg") for k in keys))
        stored = await asyncio.gather(*(store.get(k) for k in keys))
        assert stored == [k.encode() * 100 for k in keys]

    async def test_concurrent_puts_of_one_key_leave_one_whole_value(
        self, store: ObjectStore
    ) -> None:
        values = [bytes([i]) * 100_000 for i in range(8)]
        await asyncio.gather(*(store.put("prepared/race.jpg", v, "image/jpeg") for v in values))
        assert await store.get("prepared/race.jpg") in values

    async def test_presigned_upload(self, store: ObjectStore) -> None:
        data = b"\xff\xd8 uploaded by the client itself"
        upload = await store.presign_put("uploads/direct.jpg", "image/jpeg", len(data), 300)
        if not self.PRESIGNS:
            assert upload is None, "no presigned URLs: the gateway takes the bytes and puts them"
            return
        assert isinstance(upload, PresignedUpload)
        assert (upload.method, upload.expires_in) == ("PUT", 300)
        assert upload.headers["Content-Type"] == "image/jpeg"
        async with httpx.AsyncClient() as client:
            response = await client.request(
                upload.method, upload.url, content=data, headers=upload.headers
            )
        assert response.status_code == 200, response.text
        assert await store.get("uploads/direct.jpg") == data
