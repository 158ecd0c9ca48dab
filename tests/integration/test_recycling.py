"""The recycling service over a real MemoryBus, PostgreSQL and Redis: taxonomy, rules, the
seeded item dictionary and its trigram search, hint matching, and the Redis cache-aside in
front of PostgreSQL (including Redis being down).

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
    Items,
    Match,
    RulesFound,
    Search,
)
from contracts.scan import taxonomy
from objects import LocalObjectStore
from services.recycling import domain, handlers
from services.recycling.cache import PREFIX, rules_key
from services.recycling.content import load_catalog
from services.recycling.dictionary import load_dictionary
from services.recycling.matcher import Matcher
from services.recycling.queries import Source
from services.recycling.store import Found
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

    async def search(self, key: str, limit: int) -> list[Found]:
        self.reads += 1
        return await self.source.search(key, limit)


@dataclass
class Harness(BusHarness):
    resources: Resources
    postgres: Counting

    async def rules(self, major: str, middle: str | None = None) -> DisposalRules:
        found: RulesFound = await self.ask(GetRules(major=major, middle=middle))
        return found.rules

    async def search(self, q: str, limit: int = 20) -> Items:
        found: Items = await self.ask(Search(q=q, limit=limit))
        return found


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
            matcher = Matcher(load_dictionary())
            served = handlers.subscriptions(replace(reader, source=postgres), matcher)
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


async def test_the_dictionary_is_seeded_with_every_name(service: Harness) -> None:
    dictionary = load_dictionary()
    db = service.resources.db
    assert await db.fetchval("SELECT count(*) FROM recycling.items") == len(dictionary.items)
    names = sum(len(item.names) for item in dictionary.items)
    assert await db.fetchval("SELECT count(*) FROM recycling.item_names") == names
    row = await db.fetchrow("SELECT * FROM recycling.items WHERE id = 'butane-can'")
    assert row is not None
    butane = dictionary.item("butane-can")
    assert (row["ko"], row["middle"], row["notes"]) == (butane.ko, butane.middle, butane.notes)


@pytest.mark.parametrize(
    ("q", "item_id"),
    [
        ("치킨", "fried-chicken"),  # the whole name first, then names that start with it
        ("치킨뼈", "chicken-bone"),
        ("닭 뼈", "chicken-bone"),  # spacing does not matter
        ("chicken bones", "chicken-bone"),  # plurals
        ("Butane", "butane-can"),  # case, the start of a name
        ("부탄가수", "butane-can"),  # a near miss (trigram similarity)
        ("eggshel", "egg-shell"),  # a misspelling
        ("영수증", "receipt"),
        ("mercury thermometr", "mercury-thermometer"),
    ],
)
async def test_search_finds_items_in_both_languages_best_first(
    service: Harness, q: str, item_id: str
) -> None:
    found = await service.search(q, limit=5)
    assert found.items, f"nothing found for {q!r}"
    assert found.items[0].id == item_id, [i.id for i in found.items]


async def test_search_answers_each_item_with_its_category_and_notes(service: Harness) -> None:
    found = await service.search("치킨")
    ids = [item.id for item in found.items]
    assert {"fried-chicken", "chicken-bone", "chicken-box"} <= set(ids)
    assert len(ids) == len(set(ids)), "one hit per item"
    bone = next(item for item in found.items if item.id == "chicken-bone")
    entry = load_dictionary().item("chicken-bone")
    assert (bone.ko, bone.en, bone.major, bone.middle) == (
        entry.ko,
        entry.en,
        entry.major,
        entry.middle,
    )
    assert bone.label == taxonomy.middles(entry.major)[entry.middle]
    assert bone.notes == entry.notes
    assert "치킨" in bone.matched
    assert len((await service.search("병", limit=3)).items) == 3
    assert (await service.search("zzzzqx")).items == ()
    assert (await service.search("?!")).items == ()  # no letters: nothing to look for


async def test_match_names_the_items_a_hint_is_about(service: Harness) -> None:
    found: Items = await service.ask(Match(text="치킨뼈는 어디에 버려?"))
    assert [item.id for item in found.items] == ["chicken-bone"]
    assert found.items[0].matched == "치킨뼈"
    assert found.items[0].notes
    hanger: Items = await service.ask(Match(text="철사 옷걸이"))
    assert (hanger.items[0].middle, hanger.items[0].major) == ("금속류", taxonomy.RECYCLABLES)
    nothing: Items = await service.ask(Match(text="이건 뭘까요"))
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

    await service.search("캔")
    await service.search("종이")
    assert service.postgres.reads == 3, "search always asks PostgreSQL"


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
                named = await bus.request(new_envelope(Match(text="건전지")), timeout=10)
                assert named.payload.items[0].middle == "전지"
        finally:
            await down.aclose()
    assert any("using PostgreSQL" in r.getMessage() for r in caplog.records)


async def test_the_seed_is_idempotent_and_follows_the_data(service: Harness) -> None:
    from services.recycling.queries import seed
    from services.recycling.store import Store

    store = Store(service.resources.db)
    reader = components.recycling_reader(service.resources)
    catalog, dictionary = load_catalog(), load_dictionary()
    assert await seed(store, reader.cache, catalog, dictionary) == []
    assert await store.seed_items(dictionary.items) == []

    cached = await service.rules("재활용폐기물", "종이팩")
    changed_rules = cached.model_copy(update={"steps": (*cached.steps, "새 안내")})
    categories = tuple(
        replace(c, rules=changed_rules) if c.key == ("재활용폐기물", "종이팩") else c
        for c in catalog.categories
    )
    edited = replace(catalog, categories=categories)
    assert await seed(store, reader.cache, edited, dictionary) == [("재활용폐기물", "종이팩")]
    redis = service.resources.redis
    assert not await redis.exists(rules_key("재활용폐기물", "종이팩"))
    assert (await service.rules("재활용폐기물", "종이팩")).steps[-1] == "새 안내"
    assert await seed(store, reader.cache, catalog, dictionary) == [("재활용폐기물", "종이팩")]
    assert await service.rules("재활용폐기물", "종이팩") == cached


async def test_the_item_seed_follows_the_data(service: Harness) -> None:
    from services.recycling.store import Store

    store = Store(service.resources.db)
    items = load_dictionary().items
    butane = next(item for item in items if item.id == "butane-can")
    renamed = butane.model_copy(update={"synonyms": ("가스통 부탄",), "notes": "새 안내입니다."})
    last = items[-1]  # removing the last one moves no other item's position
    edited = [renamed if item is butane else item for item in items[:-1]]
    assert sorted(await store.seed_items(edited)) == sorted(["butane-can", last.id])
    found = await service.search("가스통부탄")
    assert (found.items[0].id, found.items[0].notes) == ("butane-can", "새 안내입니다.")
    assert not [i for i in (await service.search("부탄캔")).items if i.matched == "부탄캔"]
    assert all(i.id != last.id for i in (await service.search(last.ko)).items)
    assert sorted(await store.seed_items(items)) == sorted(["butane-can", last.id])
    assert (await service.search(last.ko)).items[0].id == last.id


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
            await seed(Store(db), Cache(redis, 60), load_catalog(), load_dictionary())
        await redis.aclose()
