"""A best-effort Redis cache of JSON documents: a cache that is down, slow or holding junk
is a miss, logged, never a failed query. Keys live under `eco2:recycling:v1:`."""

from __future__ import annotations

import asyncio
import logging

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

PREFIX = "eco2:recycling:v1:"
_FAILURES = (RedisError, OSError, TimeoutError)


def rules_key(major: str, middle: str) -> str:
    return f"{PREFIX}rules:{major}:{middle}"


class Cache:
    """`get`/`put`/`drop` over Redis with a TTL and a per-call time limit."""

    def __init__(self, redis: aioredis.Redis, ttl: int, timeout: float = 0.5) -> None:
        self._redis = redis
        self._ttl = ttl
        self._timeout = timeout

    async def get(self, key: str) -> bytes | str | None:
        """The cached value, or None on a miss or when Redis fails."""
        try:
            async with asyncio.timeout(self._timeout):
                value: bytes | str | None = await self._redis.get(key)
                return value
        except _FAILURES as exc:
            log.warning("recycling cache: reading %s failed, using PostgreSQL: %r", key, exc)
            return None

    async def put(self, key: str, value: str) -> None:
        """Store `value` for the TTL; a failure only means the next read misses."""
        try:
            async with asyncio.timeout(self._timeout):
                await self._redis.set(key, value, ex=self._ttl)
        except _FAILURES as exc:
            log.warning("recycling cache: writing %s failed: %r", key, exc)

    async def drop(self, keys: list[str]) -> None:
        """Forget `keys` (after the stored rules changed); failures are logged."""
        if not keys:
            return
        try:
            async with asyncio.timeout(self._timeout):
                await self._redis.delete(*keys)
        except _FAILURES as exc:
            log.warning("recycling cache: dropping %d keys failed: %r", len(keys), exc)
