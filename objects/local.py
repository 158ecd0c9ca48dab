"""The local-directory adapter of the object store: one file per key under a root.

For `eco2 up` and tests, or several processes on one machine sharing the directory.
Writes go through a temporary file and a rename, so a reader never sees half an object.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from types import TracebackType

from objects.ports import (
    ObjectNotFound,
    ObjectStoreError,
    ObjectTooLarge,
    PresignedUpload,
    check_key,
)


class LocalObjectStore:
    """Objects as files under `root`; no presigned uploads (the gateway takes the bytes)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    async def __aenter__(self) -> LocalObjectStore:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        try:
            await asyncio.to_thread(self._write, self._path(key), data)
        except OSError as exc:
            raise ObjectStoreError(f"{key}: {exc}") from exc

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def get(self, key: str, *, max_bytes: int | None = None) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(self._read, key, path, max_bytes)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(key) from None
        except OSError as exc:
            raise ObjectStoreError(f"{key}: {exc}") from exc

    @staticmethod
    def _read(key: str, path: Path, max_bytes: int | None) -> bytes:
        with path.open("rb") as source:
            size = os.fstat(source.fileno()).st_size
            if max_bytes is not None and size > max_bytes:
                raise ObjectTooLarge(key, size, max_bytes)
            return source.read()

    async def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            await asyncio.to_thread(path.unlink, missing_ok=True)
        except OSError as exc:
            raise ObjectStoreError(f"{key}: {exc}") from exc

    async def presign_put(
        self, key: str, content_type: str, size: int, expires_in: int
    ) -> PresignedUpload | None:
        check_key(key)
        return None
