"""The S3 adapter of the object store (AWS S3, MinIO, moto: anything that speaks its API).

Configured by `s3://bucket/prefix` and the standard AWS environment: credentials
(`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, profiles, instance
roles), region (`AWS_REGION`, `AWS_DEFAULT_REGION`) and endpoint (`AWS_ENDPOINT_URL`,
`AWS_ENDPOINT_URL_S3`), unless an explicit `endpoint_url` is given. One client is opened
by `open()` (or `async with`) in the process's lifespan and closed by `close()`.

Presigned uploads are plain `PUT`s signed with their Content-Type and Content-Length.
A presigned PUT cannot carry a `content-length-range` policy as a presigned POST does;
signing the exact length makes S3 refuse a body of another size, but other S3-compatible
stores may not check it, so the storage worker still bounds what it reads
(`get(max_bytes=...)`) and checks the size again.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Any, NoReturn
from urllib.parse import urlsplit

import aioboto3
import aiohttp
from aiobotocore.config import AioConfig
from botocore.exceptions import BotoCoreError, ClientError

from objects.ports import (
    ObjectNotFound,
    ObjectStoreError,
    ObjectTooLarge,
    PresignedUpload,
    check_key,
)

_NOT_FOUND = {"NoSuchKey", "404", "NotFound"}
_FAILURES = (BotoCoreError, ClientError, aiohttp.ClientError, OSError, asyncio.TimeoutError)


def parse_s3_url(url: str) -> tuple[str, str]:
    """(bucket, prefix) of `s3://bucket/prefix`; ValueError when it is not one."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"{url!r} is not s3://bucket[/prefix]")
    prefix = parts.path.strip("/")
    if prefix:
        check_key(prefix)
    return parts.netloc, prefix


class S3ObjectStore:
    """Objects under `prefix/` in `bucket`, through one aioboto3 client per process."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        session: aioboto3.Session | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._endpoint_url = endpoint_url
        self._session = session
        self._stack: AsyncExitStack | None = None
        self._client: Any = None

    @classmethod
    def from_url(cls, url: str, *, endpoint_url: str | None = None) -> S3ObjectStore:
        bucket, prefix = parse_s3_url(url)
        return cls(bucket, prefix, endpoint_url=endpoint_url)

    async def open(self) -> None:
        """Open the client (no network I/O yet; the first request connects)."""
        if self._client is not None:
            return
        session = self._session or aioboto3.Session()
        # Path-style addressing: MinIO and moto endpoints have no per-bucket host names.
        style = "path" if self._endpoint_url else "auto"
        config = AioConfig(
            signature_version="s3v4",
            s3={"addressing_style": style},
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=30,
        )
        stack = AsyncExitStack()
        self._client = await stack.enter_async_context(
            session.client("s3", endpoint_url=self._endpoint_url, config=config)
        )
        self._stack = stack

    async def close(self) -> None:
        """Close the client and its connections; the store can be opened again."""
        stack, self._stack, self._client = self._stack, None, None
        if stack is not None:
            await stack.aclose()

    async def __aenter__(self) -> S3ObjectStore:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def _s3(self) -> Any:
        if self._client is None:
            raise RuntimeError("S3ObjectStore is not open: call open() or use `async with`")
        return self._client

    def _key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        full = self._key(key)
        try:
            await self._s3.put_object(
                Bucket=self.bucket, Key=full, Body=data, ContentType=content_type
            )
        except _FAILURES as exc:
            _translate(key, exc)

    async def get(self, key: str, *, max_bytes: int | None = None) -> bytes:
        full = self._key(key)
        try:
            response = await self._s3.get_object(Bucket=self.bucket, Key=full)
            async with response["Body"] as body:
                size = int(response.get("ContentLength", 0))
                if max_bytes is not None and size > max_bytes:
                    raise ObjectTooLarge(key, size, max_bytes)
                data: bytes = await body.read()
                return data
        except _FAILURES as exc:
            _translate(key, exc)

    async def delete(self, key: str) -> None:
        full = self._key(key)
        try:
            await self._s3.delete_object(Bucket=self.bucket, Key=full)
        except _FAILURES as exc:
            _translate(key, exc)

    async def presign_put(
        self, key: str, content_type: str, size: int, expires_in: int
    ) -> PresignedUpload | None:
        full = self._key(key)
        params = {
            "Bucket": self.bucket,
            "Key": full,
            "ContentType": content_type,
            "ContentLength": size,
        }
        try:
            url: str = await self._s3.generate_presigned_url(
                "put_object", Params=params, ExpiresIn=expires_in, HttpMethod="PUT"
            )
        except _FAILURES as exc:
            _translate(key, exc)
        headers = {"Content-Type": content_type, "Content-Length": str(size)}
        return PresignedUpload(url, "PUT", headers, expires_in)


def _translate(key: str, exc: BaseException) -> NoReturn:
    """Raise the port's error for a driver failure on `key`."""
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in _NOT_FOUND:
            raise ObjectNotFound(key) from None
        raise ObjectStoreError(f"{key}: S3 {code or 'error'}: {exc}") from exc
    raise ObjectStoreError(f"{key}: {type(exc).__name__}: {exc}") from exc
