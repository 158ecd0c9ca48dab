"""A best-effort Redis cache: a cache that is down, slow or holding junk is a miss, logged,
never a failed query. A domain keeps its key names and subclasses `Cache` when it needs
more (the places cache adds a generation counter)."""

from __future__ import annotations

import asyncio
import logging

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

FAILURES = (RedisError, OSError, TimeoutError)
"""What a Redis call may raise that the cache turns into a miss."""


class Cache:
    """`get`/`put`/`drop` over Redis with a TTL and a per-call time limit; `name` says
    whose cache it is in the log."""

    def __init__(
        self, redis: aioredis.Redis, ttl: int, timeout: float = 0.5, name: str = "cache"
    ) -> None:
        self._redis = redis
        self._ttl = ttl
        self._timeout = timeout
        self._name = name

    async def get(self, key: str) -> bytes | str | None:
        """The cached value, or None on a miss or when Redis fails."""
        try:
            async with asyncio.timeout(self._timeout):
                value: bytes | str | None = await self._redis.get(key)
                return value
        except FAILURES as exc:
            log.warning("%s: reading %s failed, using PostgreSQL: %r", self._name, key, exc)
            return None

    async def put(self, key: str, value: str) -> None:
        """Store `value` for the TTL; a failure only means the next read misses."""
        try:
            async with asyncio.timeout(self._timeout):
                await self._redis.set(key, value, ex=self._ttl)
        except FAILURES as exc:
            log.warning("%s: writing %s failed: %r", self._name, key, exc)

    async def drop(self, keys: list[str]) -> None:
        """Forget `keys` (after what they cache changed); failures are logged."""
        if not keys:
            return
        try:
            async with asyncio.timeout(self._timeout):
                await self._redis.delete(*keys)
        except FAILURES as exc:
            log.warning("%s: dropping %d keys failed: %r", self._name, len(keys), exc)
