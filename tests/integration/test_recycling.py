"""The recycling service over a real MemoryBus, PostgreSQL and Redis: taxonomy, rules,
search, and the Redis cache-aside in front of PostgreSQL (including Redis being down).

The seed and the reader come from the composition root (`components.recycling`); the
harness wraps the reader's PostgreSQL source to count how often queries reach it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import asyncpg
import pytest
import redis.asyncio as aioredis

from bus.memory import MemoryBus
from contracts import new_envelope
from contracts.catalog import build_registry
from contracts.recycling.v1 import (
    CategoryTree,
    DisposalRules,
    GetCategories,
    GetRules,
    Matches,
    RulesFound,
    Search,
)
from contracts.scan import taxonomy
from objects import LocalObjectStore
from services.recycling import domain, handlers
from services.recycling.cache import INDEX_KEY, PREFIX, rules_key
from services.recycling.content import load_catalog
from services.recycling.queries import Source
from services.runtime import components
from services.runtime.resources import Resources
from services.runtime.settings import load_settings
from support.bus import BusHarness
from support.databases import fresh_database

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

CLOSED_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


class Counting:
    """A source that counts the reads reaching PostgreSQL."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.reads = 0

    async def rules(self, major: str, middle: str) -> DisposalRules | None:
        self.reads += 1
        return await self.source.rules(major, middle)

    async def categories(self) -> list[tuple[int, DisposalRules, tuple[str, ...]]]:
        self.reads += 1
        return await self.source.categories()


@dataclass
class Harness(BusHarness):
    resources: Resources
    postgres: Counting

    async def rules(self, major: str, middle: str | None = None) -> DisposalRules:
        found: RulesFound = await self.ask(GetRules(major=major, middle=middle))
        return found.rules


@asynccontextmanager
async def harness(postgres_url: str, redis_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    """A fresh database with schema `recycling`, seeded and served on a MemoryBus."""
    domains = [("recycling", "services.recycling")]
    async with fresh_database(postgres_url, "eco2_recycling", domains) as url:
        config = load_settings(database_url=url, redis_url=redis_url, data_dir=tmp_path)
        registry = build_registry()
        bus = MemoryBus(registry, request_timeout=10)
        async with AsyncExitStack() as stack:
            db = await asyncpg.create_pool(url, min_size=1, max_size=4)
            stack.push_async_callback(db.close)
            redis = aioredis.from_url(redis_url)
            stack.push_async_callback(redis.aclose)
            await _forget_cache(redis)
            objects = LocalObjectStore(tmp_path / "objects")
            resources = Resources(config, registry, bus, url, db, redis, objects)
            wired = await components.recycling(resources, stack)
            reader = components.recycling_reader(resources)
            postgres = Counting(reader.source)
            served = handlers.subscriptions(replace(reader, source=postgres))
            assert [(s.group, s.bindings) for s in wired] == [(s.group, s.bindings) for s in served]
            for subscription in served:
                bus.subscribe(subscription)
            stack.push_async_callback(bus.close)
            await bus.start()
            yield Harness(bus, resources, postgres)


async def _forget_cache(redis: aioredis.Redis) -> None:
    keys = [key async for key in redis.scan_iter(match=PREFIX + "*")]
    if keys:
        await redis.delete(*keys)


@pytest.fixture
async def service(postgres_url: str, redis_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(postgres_url, redis_url, tmp_path) as running:
        yield running


async def test_the_category_tree_is_the_taxonomy_in_order(service: Harness) -> None:
    tree: CategoryTree = await service.ask(GetCategories())
    assert [m.code for m in tree.majors] == list(taxonomy.CATEGORIES)
    for major in tree.majors:
        label, middles = taxonomy.CATEGORIES[major.code]
        assert major.label == label
        assert [(m.code, m.label) for m in major.middles] == list(middles.items())
    assert len(tree.majors[0].middles) == 12


async def test_every_category_has_its_packaged_rules(service: Harness) -> None:
    catalog = load_catalog()
    for major, middle in domain.categories():
        rules = await service.rules(major, middle)
        assert rules == catalog.rules(major, middle)
        assert rules.label == taxonomy.middles(major)[middle]
        if not taxonomy.CATEGORIES[major][1]:
            assert await service.rules(major) == rules  # middle omitted: the major itself


@pytest.mark.parametrize(
    ("major", "middle", "named"),
    [
        ("음식쓰레기", None, "음식물류폐기물"),
        ("재활용폐기물", "페트", "무색페트병"),
        ("재활용폐기물", None, "무색페트병"),
        ("대형폐기물", "종이", "대형폐기물"),
    ],
)
async def test_an_unknown_category_is_not_found(
    service: Harness, major: str, middle: str | None, named: str
) -> None:
    error = await service.error(GetRules(major=major, middle=middle))
    assert error.code == "not_found"
    assert named in error.message


async def test_search_ranks_the_best_matches_first(service: Harness) -> None:
    pet: Matches = await service.ask(Search(q="페트", limit=5))
    assert pet.items[0].middle == "무색페트병"
    battery: Matches = await service.ask(Search(q="Battery"))
    assert battery.items[0].middle == "전지"
    assert battery.items[0].label == "batteries"
    receipt: Matches = await service.ask(Search(q="영수증"))
    assert receipt.items[0].middle == "일반종량제폐기물"
    assert len((await service.ask(Search(q="병", limit=3))).items) == 3
    nothing: Matches = await service.ask(Search(q="zzzz"))
    assert nothing.items == ()


async def test_a_second_read_is_served_from_redis(service: Harness) -> None:
    redis = service.resources.redis
    first = await service.rules("재활용폐기물", "전지")
    assert service.postgres.reads == 1
    key = rules_key("재활용폐기물", "전지")
    assert 0 < await redis.ttl(key) <= 3600
    cached = await redis.get(key)
    assert cached is not None
    assert DisposalRules.model_validate_json(cached) == first
    assert await service.rules("재활용폐기물", "전지") == first
    assert service.postgres.reads == 1

    await service.ask(Search(q="캔"))
    await service.ask(Search(q="종이"))
    assert service.postgres.reads == 2
    assert await redis.exists(INDEX_KEY)


async def test_an_unreadable_cached_value_is_replaced(service: Harness) -> None:
    key = rules_key("음식물류폐기물", "음식물류폐기물")
    await service.resources.redis.set(key, b"{not json")
    rules = await service.rules("음식물류폐기물")
    assert rules.middle == "음식물류폐기물"
    cached = await service.resources.redis.get(key)
    assert cached is not None
    assert DisposalRules.model_validate_json(cached) == rules


async def test_queries_answer_from_postgres_while_redis_is_down(
    postgres_url: str, redis_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with harness(postgres_url, redis_url, tmp_path) as running:
        down = aioredis.from_url(CLOSED_REDIS)
        try:
            resources = replace(running.resources, redis=down)
            bus = MemoryBus(build_registry(), request_timeout=10)
            async with AsyncExitStack() as stack:
                # The whole component on a dead Redis: the seed's cache drop fails quietly.
                for subscription in await components.recycling(resources, stack):
                    bus.subscribe(subscription)
                stack.push_async_callback(bus.close)
                await bus.start()
                caplog.set_level(logging.WARNING, logger="services.recycling.cache")
                for _ in range(2):
                    reply = await bus.request(
                        new_envelope(GetRules(major="대형폐기물")), timeout=10
                    )
                    assert reply.payload.rules.middle == "대형폐기물"
                found = await bus.request(new_envelope(Search(q="battery")), timeout=10)
                assert found.payload.items[0].middle == "전지"
        finally:
            await down.aclose()
    assert any("using PostgreSQL" in r.getMessage() for r in caplog.records)


async def test_the_seed_is_idempotent_and_follows_the_data(service: Harness) -> None:
    from services.recycling.queries import seed
    from services.recycling.store import Store

    store = Store(service.resources.db)
    reader = components.recycling_reader(service.resources)
    catalog = load_catalog()
    assert await seed(store, reader.cache, catalog) == []

    cached = await service.rules("재활용폐기물", "종이팩")
    await service.ask(Search(q="우유"))
    changed_rules = cached.model_copy(update={"steps": (*cached.steps, "새 안내")})
    categories = tuple(
        replace(c, rules=changed_rules) if c.key == ("재활용폐기물", "종이팩") else c
        for c in catalog.categories
    )
    edited = replace(catalog, categories=categories)
    assert await seed(store, reader.cache, edited) == [("재활용폐기물", "종이팩")]
    redis = service.resources.redis
    assert not await redis.exists(rules_key("재활용폐기물", "종이팩"), INDEX_KEY)
    assert (await service.rules("재활용폐기물", "종이팩")).steps[-1] == "새 안내"
    assert await seed(store, reader.cache, catalog) == [("재활용폐기물", "종이팩")]
    assert await service.rules("재활용폐기물", "종이팩") == cached


async def test_the_seed_asks_for_migrations_on_a_bare_database(postgres_url: str) -> None:
    from services.recycling.cache import Cache
    from services.recycling.errors import SchemaMissing
    from services.recycling.queries import seed
    from services.recycling.store import Store

    async with (
        fresh_database(postgres_url, "eco2_recycling") as url,
        asyncpg.create_pool(url, min_size=1, max_size=1) as db,
    ):
        redis = aioredis.from_url(CLOSED_REDIS)
        with pytest.raises(SchemaMissing, match="eco2 migrate"):
            await seed(Store(db), Cache(redis, 60), load_catalog())
        await redis.aclose()
