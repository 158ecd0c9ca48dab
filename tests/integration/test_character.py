"""The character service over a real MemoryBus and PostgreSQL: catalog, grants, user events.

The service is wired by the composition root (`components.character`), so the seed, the
handlers and their dependencies are the ones `eco2 run character` starts.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
import redis.asyncio as aioredis

from bus.memory import MemoryBus
from contracts import Envelope, new_envelope
from contracts.accounts.v1 import Register, UserDeleted, UserRegistered
from contracts.catalog import build_registry
from contracts.character.v1 import Catalog, GetCatalog, GetOwned, Grant, Granted, Owned
from objects import LocalObjectStore
from services.runtime import components
from services.runtime.resources import Resources
from services.runtime.settings import load_settings
from support.bus import CountingHarness
from support.databases import fresh_database

pytestmark = pytest.mark.postgres

SECRET = "test-secret-" + "x" * 40


@dataclass
class Harness(CountingHarness):
    db: asyncpg.Pool

    async def owned(self, user_id: str) -> list[tuple[str, str]]:
        owned: Owned = await self.ask(GetOwned(user_id=user_id))
        return [(item.code, item.source) for item in owned.items]

    async def grant(self, user_id: str, scan_id: str, middle: str = "무색페트병") -> Granted:
        granted: Granted = await self.ask(Grant(user_id=user_id, scan_id=scan_id, middle=middle))
        return granted


@asynccontextmanager
async def harness(
    postgres_url: str, tmp_path: Path, *, redis_url: str | None = None
) -> AsyncIterator[Harness]:
    """A fresh database with the character service; with `redis_url`, accounts too."""
    domains = [("accounts", "services.accounts"), ("character", "services.character")]
    async with fresh_database(postgres_url, "eco2_character", domains) as url:
        config = load_settings(
            database_url=url,
            redis_url=redis_url or "memory://",
            data_dir=tmp_path,
            jwt_secret=SECRET,
            password_hash_memory_kib=1024,
            password_hash_iterations=1,
        )
        registry = build_registry()
        bus = MemoryBus(registry, request_timeout=10)
        async with AsyncExitStack() as stack:
            db = await asyncpg.create_pool(url, min_size=1, max_size=8)
            stack.push_async_callback(db.close)
            # Only the accounts service uses Redis; unused, the client never connects.
            redis = aioredis.from_url(redis_url or "redis://127.0.0.1:6379/15")
            stack.push_async_callback(redis.aclose)
            objects = LocalObjectStore(tmp_path / "objects")
            resources = Resources(config, registry, bus, url, db, redis, objects)
            running = Harness(bus, db)
            for component in ("character", "accounts") if redis_url else ("character",):
                for sub in await components.CONSUMERS[component](resources, stack):
                    running.subscribe(sub)
            stack.push_async_callback(bus.close)
            await bus.start()
            yield running


@pytest.fixture
async def service(postgres_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(postgres_url, tmp_path) as running:
        yield running


def registered(user_id: str) -> Envelope:
    payload = UserRegistered(
        user_id=user_id, email="a@example.com", nickname="a", provider="password"
    )
    return new_envelope(payload, user_id=user_id)


def new_user() -> str:
    return str(uuid.uuid4())


async def test_the_catalog_lists_the_thirteen_characters_eco_first(service: Harness) -> None:
    catalog: Catalog = await service.ask(GetCatalog())
    assert len(catalog.items) == 13
    assert catalog.items[0].code == "eco"
    assert catalog.items[0].middle is None
    assert {c.middle for c in catalog.items[1:]} >= {"무색페트병", "전지", "의류및원단"}
    seeded = await service.db.fetch('SELECT code FROM "character".characters ORDER BY position')
    assert [r["code"] for r in seeded] == [c.code for c in catalog.items]


async def test_a_new_user_owns_eco_once_even_when_the_event_comes_twice(
    service: Harness,
) -> None:
    user = new_user()
    event = registered(user)
    await service.deliver(event, times=2)  # two copies at once
    await service.deliver(event)  # and a late redelivery
    owned: Owned = await service.ask(GetOwned(user_id=user))
    assert [(c.code, c.name, c.source) for c in owned.items] == [("eco", "이코", "default")]
    inbox = await service.db.fetchval('SELECT count(*) FROM "character".inbox')
    assert inbox == 1


async def test_a_new_user_owns_eco_before_the_registration_event_arrives(
    service: Harness,
) -> None:
    user = new_user()
    assert await service.owned(user) == [("eco", "default")]
    await service.deliver(registered(user))  # the event's grant finds it owned
    assert await service.owned(user) == [("eco", "default")]
    rows = await service.db.fetchval(
        'SELECT count(*) FROM "character".ownership WHERE user_id = $1', uuid.UUID(user)
    )
    assert rows == 1


async def test_grants_are_idempotent_per_scan(service: Harness) -> None:
    user = new_user()
    await service.deliver(registered(user))
    first = await service.grant(user, "scan-1")
    assert (first.character.code, first.character.name, first.status) == (
        "peti",
        "페티",
        "newly_acquired",
    )
    assert (first.scan_id, first.user_id) == ("scan-1", user)
    assert (await service.grant(user, "scan-2")).status == "already_owned"
    # The reward stage retrying after a crash hears the first answer again.
    assert (await service.grant(user, "scan-1")).status == "newly_acquired"
    assert (await service.grant(user, "scan-2")).status == "already_owned"
    assert await service.owned(user) == [("eco", "default"), ("peti", "scan")]
    scan = await service.db.fetchval(
        'SELECT scan_id FROM "character".ownership WHERE character_code = $1', "peti"
    )
    assert scan == "scan-1"


async def test_of_concurrent_scans_for_one_character_exactly_one_is_new(
    service: Harness,
) -> None:
    user = new_user()
    grants = await asyncio.gather(*(service.grant(user, f"scan-{i}", "전지") for i in range(8)))
    statuses = Counter(g.status for g in grants)
    assert statuses == {"newly_acquired": 1, "already_owned": 7}
    again = await asyncio.gather(*(service.grant(user, g.scan_id, "전지") for g in grants))
    assert [g.status for g in again] == [g.status for g in grants]
    assert await service.owned(user) == [("eco", "default"), ("barry", "scan")]


async def test_only_recyclable_middles_earn_a_character(service: Harness) -> None:
    user = new_user()
    for middle in ("음식물류폐기물", "미분류", "nonsense", ""):
        assert await service.fails(Grant(user_id=user, scan_id="s", middle=middle)) == (
            "no_character"
        )
    bad = Grant(user_id="not-a-user", scan_id="s", middle="종이")
    assert await service.fails(bad) == "invalid_user_id"
    assert await service.owned(user) == [("eco", "default")]


async def test_a_scan_id_cannot_be_granted_to_two_users(service: Harness) -> None:
    mina, jun = new_user(), new_user()
    assert (await service.grant(mina, "shared", "종이")).status == "newly_acquired"
    assert await service.fails(Grant(user_id=jun, scan_id="shared", middle="종이")) == (
        "grant_conflict"
    )
    assert await service.fails(Grant(user_id=mina, scan_id="shared", middle="유리병")) == (
        "grant_conflict"
    )
    assert await service.owned(jun) == [("eco", "default")]
    assert await service.owned(mina) == [("eco", "default"), ("paepy", "scan")]


async def test_user_deleted_erases_ownership_and_grants_for_good(service: Harness) -> None:
    user, other = new_user(), new_user()
    for someone in (user, other):
        await service.deliver(registered(someone))
        await service.grant(someone, f"{someone}-scan", "유리병")
    deleted = new_envelope(UserDeleted(user_id=user), user_id=user)
    await service.deliver(deleted, times=2)
    assert await service.owned(user) == []
    left = await service.db.fetchval(
        'SELECT count(*) FROM "character".grants WHERE user_id = $1', uuid.UUID(user)
    )
    assert left == 0
    assert await service.owned(other) == [("eco", "default"), ("glassy", "scan")]
    # A late grant or registration brings nothing back.
    assert await service.fails(Grant(user_id=user, scan_id="late", middle="유리병")) == (
        "user_deleted"
    )
    await service.deliver(registered(user))
    assert await service.owned(user) == []


async def test_the_owned_list_is_oldest_first(service: Harness) -> None:
    user = new_user()
    await service.deliver(registered(user))
    for i, middle in enumerate(("의류및원단", "금속류", "비닐류")):
        await service.grant(user, f"scan-{i}", middle)
    owned: Owned = await service.ask(GetOwned(user_id=user))
    assert [c.code for c in owned.items] == ["eco", "cotton", "metali", "vini"]
    times = [c.acquired_at for c in owned.items]
    assert times == sorted(times)
    assert owned.items[1].dialog
    assert owned.items[1].type


@pytest.mark.redis
async def test_signing_up_through_accounts_grants_eco(
    postgres_url: str, redis_url: str, tmp_path: Path
) -> None:
    async with harness(postgres_url, tmp_path, redis_url=redis_url) as running:
        register = Register(email="eco@example.com", password="recycle the cans", nickname="eco")
        session = await running.ask(register)
        user = session.user.id
        deadline = time.monotonic() + 5
        while not (owned := await running.owned(user)):
            assert time.monotonic() < deadline, "user.registered did not reach the service"
            await asyncio.sleep(0.02)
        assert owned == [("eco", "default")]
