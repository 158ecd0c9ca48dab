"""The recycling service's Redis cache of JSON documents (`services.kit.cache`: a cache
that is down, slow or holding junk is a miss). Keys live under `eco2:recycling:v1:`."""

from __future__ import annotations

import redis.asyncio as aioredis

from services.kit.cache import Cache as KitCache

PREFIX = "eco2:recycling:v1:"


def rules_key(major: str, middle: str) -> str:
    return f"{PREFIX}rules:{major}:{middle}"


class Cache(KitCache):
    """`get`/`put`/`drop` over Redis with a TTL and a per-call time limit."""

    def __init__(self, redis: aioredis.Redis, ttl: int, timeout: float = 0.5) -> None:
        super().__init__(redis, ttl, timeout, name="recycling cache")
