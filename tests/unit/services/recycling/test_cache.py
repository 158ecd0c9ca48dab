"""The cache is best effort: Redis failing or hanging is a miss, never a failed query."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import fakeredis
import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from contracts.recycling.v1 import DisposalRules
from services.recycling.cache import Cache, rules_key
from services.recycling.content import load_catalog
from services.recycling.errors import RecyclingError
from services.recycling.queries import Reader
from services.recycling.store import Found


class Broken:
    """A Redis client whose every call fails, or never answers."""

    def __init__(self, hang: bool = False) -> None:
        self.hang = hang
        self.calls = 0

    async def _fail(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        if self.hang:
            await asyncio.sleep(60)
        raise RedisConnectionError("Connection refused")

    get = set = delete = _fail


class Postgres:
    """The packaged rules as a source, counting reads."""

    def __init__(self) -> None:
        self.catalog = load_catalog()
        self.reads = 0

    async def rules(self, major: str, middle: str) -> DisposalRules | None:
        self.reads += 1
        found = [c.rules for c in self.catalog.categories if c.key == (major, middle)]
        return found[0] if found else None

    async def search(self, key: str, limit: int) -> list[Found]:
        raise AssertionError("search is never cached")


def redis(client: object) -> aioredis.Redis:
    return cast(aioredis.Redis, client)


@pytest.mark.parametrize("hang", [False, True])
async def test_a_failing_redis_is_a_miss(hang: bool) -> None:
    broken = Broken(hang)
    cache = Cache(redis(broken), ttl=60, timeout=0.05)
    assert await cache.get("k") is None
    await cache.put("k", "v")
    await cache.drop(["k"])
    await cache.drop([])
    assert broken.calls == 3


async def test_the_reader_falls_back_to_the_source() -> None:
    source = Postgres()
    reader = Reader(source, Cache(redis(Broken()), ttl=60))
    for _ in range(2):
        assert (await reader.rules("재활용폐기물", "전지")).middle == "전지"
    assert source.reads == 2


async def test_the_reader_fills_and_then_uses_the_cache() -> None:
    fake = fakeredis.FakeAsyncRedis()
    source = Postgres()
    reader = Reader(source, Cache(fake, ttl=120))
    first = await reader.rules("재활용폐기물", "유리병")
    assert await reader.rules("재활용폐기물", "유리병") == first
    assert source.reads == 1
    assert 0 < await fake.ttl(rules_key("재활용폐기물", "유리병")) <= 120
    await fake.aclose()


async def test_a_category_without_stored_rules_is_not_found() -> None:
    source = Postgres()
    source.catalog = type(source.catalog)((), source.catalog.situations)
    reader = Reader(source, Cache(redis(Broken()), ttl=60))
    with pytest.raises(RecyclingError) as info:
        await reader.rules("재활용폐기물", "전지")
    assert info.value.code == "not_found"
