"""The places service over a MemoryBus, real PostgreSQL and Redis: nearby against a
brute-force haversine over 10,000 random places, paging with filters (open now included)
returning every match exactly once, get and search, the nearby cache and its drop when an
import changes places (NOTIFY from the importing connection).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
import redis.asyncio as aioredis

from bus.memory import MemoryBus
from contracts.catalog import build_registry
from contracts.places.v1 import (
    ForScan,
    GetPlace,
    Nearby,
    PlaceFound,
    PlacePage,
    PlaceSummary,
    SearchPlaces,
)
from objects import LocalObjectStore
from services.places.cache import PREFIX
from services.places.hours import SEOUL
from services.places.importers import Imported
from services.places.importing import write
from services.runtime import components
from services.runtime.resources import Resources
from services.runtime.settings import load_settings
from support.bus import BusHarness
from support.databases import fresh_database
from support.places import WEEKLY_KEYS, Synthetic, brute_force, synthetic_places

# One database of 10,000 places for the module: loading it is the slow part.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.asyncio(loop_scope="module"),
]

AT = datetime(2026, 12, 2, 14, 0, tzinfo=SEOUL)  # a Wednesday afternoon


@dataclass
class Harness(BusHarness):
    url: str
    db: asyncpg.Pool
    places: list[tuple[int, Synthetic]]

    async def page(self, query: Nearby | ForScan) -> PlacePage:
        page: PlacePage = await self.ask(query)
        return page

    async def all_pages(self, **fields: object) -> list[PlaceSummary]:
        """Every page of a nearby query, following `next_cursor`."""
        seen: list[PlaceSummary] = []
        cursor = None
        while True:
            page = await self.page(Nearby.model_validate({**fields, "cursor": cursor, "at": AT}))
            seen += page.items
            if page.next_cursor is None:
                return seen
            assert len(page.items) == fields.get("limit", 20), "a page is short only at the end"
            cursor = page.next_cursor


async def _forget_cache(redis: aioredis.Redis) -> None:
    keys = [key async for key in redis.scan_iter(match=PREFIX + "*")]
    if keys:
        await redis.delete(*keys)


@asynccontextmanager
async def harness(
    postgres_url: str, redis_url: str, tmp_path: Path, count: int
) -> AsyncIterator[Harness]:
    async with fresh_database(postgres_url, "eco2_places", [("places", "services.places")]) as url:
        synthetic = synthetic_places(count)
        results = [Imported(line=n + 2, place=s.place) for n, s in enumerate(synthetic)]
        report = await write(url, "keco", results)
        assert (report.read, report.imported, report.refused) == (count, count, [])
        config = load_settings(database_url=url, redis_url=redis_url, data_dir=tmp_path)
        registry = build_registry()
        bus = MemoryBus(registry, request_timeout=30)
        async with AsyncExitStack() as stack:
            db = await asyncpg.create_pool(url, min_size=1, max_size=4)
            stack.push_async_callback(db.close)
            redis = aioredis.from_url(redis_url)
            stack.push_async_callback(redis.aclose)
            await _forget_cache(redis)
            objects = LocalObjectStore(tmp_path / "objects")
            resources = Resources(config, registry, bus, url, db, redis, objects)
            for subscription in await components.places(resources, stack):
                bus.subscribe(subscription)
            stack.push_async_callback(bus.close)
            await bus.start()
            ids = {
                r["source_id"]: r["id"]
                for r in await db.fetch("SELECT source_id, id FROM places.places")
            }
            places = [(ids[s.place.source_id], s) for s in synthetic]
            yield Harness(bus, url, db, places)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def service(
    postgres_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Harness]:
    tmp_path = tmp_path_factory.mktemp("places")
    async with harness(postgres_url, redis_url, tmp_path, 10_000) as running:
        yield running


def _same(found: list[PlaceSummary], expected: list[tuple[float, int]]) -> None:
    assert [p.id for p in found] == [place_id for _, place_id in expected]
    worst = max(
        (
            abs(p.distance_m - d)
            for p, (d, _) in zip(found, expected, strict=True)
            if p.distance_m is not None
        ),
        default=0.0,
    )
    assert worst <= 1.0


async def test_nearby_agrees_with_a_brute_force_haversine(service: Harness) -> None:
    rng = random.Random(7)
    for n in range(12):
        point = (round(rng.uniform(37.2, 37.8), 5), round(rng.uniform(126.6, 127.4), 5))
        radius = 50_000 if n == 0 else rng.choice([100, 500, 1000, 2000, 5000, 10_000])
        expected = brute_force(service.places, point, radius)
        found = await service.all_pages(lat=point[0], lon=point[1], radius=radius, limit=100)
        _same(found, expected)
    assert len(brute_force(service.places, (37.5, 127.0), 50_000)) > 5_000


async def test_paging_with_filters_returns_every_match_exactly_once(service: Harness) -> None:
    point = (37.51234, 126.98765)
    filters = {"category": ["cafe_bakery", "public_dropbox"], "accepts": ["can", "glass"]}
    for open_now in (False, True):
        expected = brute_force(
            service.places, point, 20_000, filters["category"], filters["accepts"], open_now
        )
        assert len(expected) > 30
        found = await service.all_pages(
            lat=point[0], lon=point[1], radius=20_000, limit=7, open_now=open_now, **filters
        )
        assert len({p.id for p in found}) == len(found)
        _same(found, expected)
        if open_now:
            assert {p.open_now for p in found} == {True}
        else:
            assert {p.open_now for p in found} == {True, False, None}


async def test_a_scan_category_finds_the_places_taking_its_items(service: Harness) -> None:
    point = (37.5, 127.0)
    query = ForScan(
        lat=point[0],
        lon=point[1],
        radius=3000,
        major="재활용폐기물",
        middle="금속류",
        limit=100,
        at=AT,
    )
    page = await service.page(query)
    expected = brute_force(service.places, point, 3000, accepts=["can"])
    _same(list(page.items), expected[:100])
    food = ForScan(lat=point[0], lon=point[1], major="음식물류폐기물")
    assert (await service.page(food)).items == ()


async def test_get_and_search(service: Harness) -> None:
    place_id, synthetic = service.places[42]
    found: PlaceFound = await service.ask(GetPlace(place_id=place_id, at=AT))
    assert found.place.name == synthetic.place.name
    assert (found.place.source, found.place.source_id) == ("keco", "synthetic-42")
    assert set(found.place.weekly_hours) == WEEKLY_KEYS
    assert await service.fails(GetPlace(place_id=10**9)) == "not_found"
    hits: PlacePage = await service.ask(SearchPlaces(q="어딘가로 4242"))
    assert [p.id for p in hits.items][:1] == [service.places[4242][0]]
    near: PlacePage = await service.ask(
        SearchPlaces(q="테스트 거점 12", lat=37.5, lon=127.0, limit=50)
    )
    distances = [p.distance_m or 0.0 for p in near.items]
    assert len(distances) == 50
    assert distances == sorted(distances)


async def test_pages_are_cached_and_an_import_drops_them(service: Harness) -> None:
    place_id, synthetic = service.places[0]
    query = Nearby(
        lat=round(synthetic.place.lat, 5),
        lon=round(synthetic.place.lon, 5),
        radius=100,
        limit=5,
        at=AT,
    )
    first = await service.page(query)
    assert first.items[0].id == place_id
    # Behind the cache's back: the cached page still shows the old name.
    await service.db.execute("UPDATE places.places SET name = 'changed' WHERE id = $1", place_id)
    assert (await service.page(query)).items[0].name == synthetic.place.name
    # An import that changes a place notifies; the service drops its pages.
    renamed = synthetic.place.model_copy(update={"name": "새 이름"})
    report = await write(service.url, "keco", [Imported(line=2, place=renamed)])
    assert (report.imported, report.updated) == (0, 1)
    for _ in range(100):
        if (await service.page(query)).items[0].name == "새 이름":
            break
        await asyncio.sleep(0.05)
    assert (await service.page(query)).items[0].name == "새 이름"
