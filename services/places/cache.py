"""A best-effort Redis cache of nearby pages, dropped as a whole when places change.

Keys live under `eco2:places:v1:`. Every page key includes the current *generation*, a
counter in Redis: an import bumps it (`drop_all`), so every older page becomes
unreachable at once and expires by its TTL. A Redis that is down, slow or holding junk is
a miss, logged, never a failed query (`services.kit.cache`).
"""

from __future__ import annotations

import asyncio
import logging

import redis.asyncio as aioredis

from services.kit.cache import FAILURES
from services.kit.cache import Cache as KitCache

log = logging.getLogger(__name__)

PREFIX = "eco2:places:v1:"
GENERATION_KEY = PREFIX + "generation"


class Cache(KitCache):
    """Pages by key within the current generation, with a TTL and a per-call time limit."""

    def __init__(self, redis: aioredis.Redis, ttl: int, timeout: float = 0.5) -> None:
        super().__init__(redis, ttl, timeout, name="places cache")

    async def key(self, parts: str) -> str | None:
        """The key of `parts` in the current generation; None when Redis fails."""
        try:
            async with asyncio.timeout(self._timeout):
                generation = await self._redis.get(GENERATION_KEY)
            number = int(generation) if generation is not None else 0
        except (*FAILURES, ValueError) as exc:
            log.warning("places cache: reading the generation failed: %r", exc)
            return None
        return f"{PREFIX}nearby:{number}:{parts}"

    async def drop_all(self) -> None:
        """Make every cached page unreachable (after an import changed places)."""
        try:
            async with asyncio.timeout(self._timeout):
                await self._redis.incr(GENERATION_KEY)
        except FAILURES as exc:
            log.warning("places cache: bumping the generation failed: %r", exc)
