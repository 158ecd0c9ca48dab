"""The scan service over a real MemoryBus and PostgreSQL: create, idempotency, events, list.

The service is wired by the composition root (`components.scan`, with its outbox relay),
so the handlers and dependencies are the ones `eco2 run scan` starts.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bus.memory import MemoryBus
from bus.ports import Message, Subscription
from contracts import Envelope, new_envelope
from contracts.accounts.v1 import UserDeleted
from contracts.catalog import build_registry
from contracts.scan.v1 import (
    Classification,
    CreateScan,
    Disposal,
    GetScan,
    ListScans,
    ScanCompleted,
    ScanFailed,
    ScanPage,
    ScanProgress,
    ScanRecord,
    ScanRequested,
    ScanResult,
    ScanView,
    Stage,
)
from objects import LocalObjectStore
from services.runtime import components
from services.runtime.resources import Resources
from services.runtime.settings import load_settings
from services.scan.store import Store as ScanStore
from support.bus import CountingHarness
from support.databases import fresh_database

pytestmark = pytest.mark.postgres


@dataclass
class Harness(CountingHarness):
    db: asyncpg.Pool
    requested: list[Envelope] = field(default_factory=list)

    async def create(self, user: str, key: str | None = None) -> ScanRecord:
        query = CreateScan(user_id=user, image_key=f"uploads/{user}/a.jpg", idempotency_key=key)
        record: ScanRecord = await self.ask(query)
        return record

    async def get(self, user: str, scan_id: str) -> ScanView:
        record: ScanRecord = await self.ask(GetScan(user_id=user, scan_id=scan_id))
        return record.scan

    async def requests_for(self, scan_id: str, count: int = 1) -> list[Envelope]:
        """The `scan.requested` events relayed for `scan_id`, once `count` arrived."""
        deadline = time.monotonic() + 5
        while True:
            found = [e for e in self.requested if e.payload.get("scan_id") == scan_id]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            await asyncio.sleep(0.02)


@pytest.fixture
async def service(postgres_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with fresh_database(postgres_url, "eco2_scan", [("scan", "services.scan")]) as url:
        config = load_settings(database_url=url, data_dir=tmp_path)
        registry = build_registry()
        bus = MemoryBus(registry, request_timeout=10)
        async with AsyncExitStack() as stack:
            db = await asyncpg.create_pool(url, min_size=1, max_size=8)
            stack.push_async_callback(db.close)
            objects = LocalObjectStore(tmp_path / "objects")
            resources = Resources(config, registry, bus, url, db, None, objects)  # type: ignore[arg-type]
            running = Harness(bus, db)

            async def capture(message: Message[Any]) -> None:
                running.requested.append(message.envelope)

            bus.subscribe(Subscription("test.requested", ["scan.requested"], capture))
            for sub in await components.CONSUMERS["scan"](resources, stack):
                running.subscribe(sub)
            stack.push_async_callback(bus.close)
            await bus.start()
            yield running


def new_user() -> str:
    return str(uuid.uuid4())


def result() -> ScanResult:
    return ScanResult(
        classification=Classification(major="재활용폐기물", middle="무색페트병", minor="생수병"),
        disposal=Disposal(steps=("라벨을 떼요",)),
        insufficiencies=(),
        answer="라벨을 떼고 버려 주세요.",
        model="offline-1",
    )


def progress(user: str, scan_id: str, stage: Stage, value: int) -> Envelope:
    payload = ScanProgress(scan_id=scan_id, user_id=user, stage=stage, progress=value)
    return new_envelope(payload, user_id=user)


def completed(user: str, scan_id: str) -> Envelope:
    return new_envelope(ScanCompleted(scan_id=scan_id, user_id=user, result=result()))


def failed(user: str, scan_id: str, code: str = "invalid_image") -> Envelope:
    payload = ScanFailed(scan_id=scan_id, user_id=user, stage="storage", code=code, message="x")
    return new_envelope(payload, user_id=user)


async def test_create_records_a_queued_scan_and_requests_the_pipeline_once(
    service: Harness,
) -> None:
    user = new_user()
    record = await service.create(user)
    scan = record.scan
    assert record.created
    assert (scan.status, scan.stage, scan.progress) == ("queued", "queued", 0)
    assert (scan.result, scan.error, scan.completed_at) == (None, None, None)
    assert await service.get(user, scan.id) == scan
    [event] = await service.requests_for(scan.id)
    requested = ScanRequested.model_validate(event.payload)
    assert (requested.user_id, requested.image_key) == (user, f"uploads/{user}/a.jpg")
    assert event.user_id == user


async def test_a_redelivered_create_answers_its_scan_without_a_second_one(
    service: Harness,
) -> None:
    user = new_user()
    query = CreateScan(user_id=user, image_key=f"uploads/{user}/a.jpg")
    envelope = new_envelope(query, user_id=user)
    await service.deliver(envelope, times=3)  # three copies at once, nobody waiting
    first: ScanRecord = await service.ask(query, envelope)  # and a late one
    assert first.created
    rows = await service.db.fetchval("SELECT count(*) FROM scan.scans WHERE user_id = $1", user)
    assert rows == 1
    outbox = await service.db.fetchval("SELECT count(*) FROM scan.outbox")
    assert outbox == 1
    await asyncio.sleep(0.2)
    assert len(await service.requests_for(first.scan.id)) == 1


async def test_an_idempotency_key_answers_the_first_scan_for_24_hours(service: Harness) -> None:
    user, other = new_user(), new_user()
    first = await service.create(user, key="k-1")
    concurrent = await asyncio.gather(*(service.create(user, key="k-1") for _ in range(4)))
    assert {r.scan.id for r in concurrent} == {first.scan.id}
    assert not any(r.created for r in concurrent)
    assert (await service.create(other, key="k-1")).scan.id != first.scan.id
    assert (await service.create(user, key="k-2")).scan.id != first.scan.id
    await asyncio.sleep(0.2)
    assert len(await service.requests_for(first.scan.id)) == 1

    await service.db.execute(
        "UPDATE scan.idempotency_keys SET created_at = now() - interval '25 hours'"
        " WHERE user_id = $1 AND key = 'k-1'",
        user,
    )
    late = await service.create(user, key="k-1")
    assert late.created
    assert late.scan.id != first.scan.id
    assert (await service.create(user, key="k-1")).scan.id == late.scan.id


async def test_expired_idempotency_keys_are_deleted_and_live_ones_kept(service: Harness) -> None:
    user = new_user()
    for key in ("old-1", "old-2", "fresh"):
        await service.create(user, key=key)
    await service.db.execute(
        "UPDATE scan.idempotency_keys SET created_at = now() - interval '25 hours'"
        " WHERE key LIKE 'old-%'"
    )
    assert await ScanStore(service.db).forget_expired_keys() == 2
    left = await service.db.fetch("SELECT key FROM scan.idempotency_keys WHERE user_id = $1", user)
    assert [row["key"] for row in left] == ["fresh"]


async def test_events_only_move_a_scan_forward(service: Harness) -> None:
    user = new_user()
    scan_id = (await service.create(user)).scan.id

    await service.deliver(progress(user, scan_id, "storage", 0))
    assert (await service.get(user, scan_id)).status == "queued"
    await service.deliver(progress(user, scan_id, "vision", 25), times=2)
    view = await service.get(user, scan_id)
    assert (view.status, view.stage, view.progress) == ("processing", "vision", 25)

    await service.deliver(progress(user, scan_id, "answer", 75))
    await service.deliver(progress(user, scan_id, "rules", 50))  # late
    view = await service.get(user, scan_id)
    assert (view.stage, view.progress) == ("answer", 75)

    done = completed(user, scan_id)
    await service.deliver(done, times=2)
    await service.deliver(progress(user, scan_id, "reward", 90))
    await service.deliver(failed(user, scan_id))
    await service.deliver(done)
    view = await service.get(user, scan_id)
    assert (view.status, view.stage, view.progress) == ("completed", "done", 100)
    assert view.result == result()
    assert view.error is None
    assert view.completed_at == done.occurred_at
    model = await service.db.fetchval("SELECT model FROM scan.scans WHERE id = $1::uuid", scan_id)
    assert model == "offline-1"
    claimed = await service.db.fetchval("SELECT count(*) FROM scan.inbox")
    assert claimed == 7


async def test_a_failure_is_terminal_too(service: Harness) -> None:
    user = new_user()
    scan_id = (await service.create(user)).scan.id
    await service.deliver(progress(user, scan_id, "vision", 25))
    await service.deliver(failed(user, scan_id, "invalid_image"))
    await service.deliver(completed(user, scan_id))
    await service.deliver(progress(user, scan_id, "answer", 75))
    view = await service.get(user, scan_id)
    assert (view.status, view.stage, view.progress) == ("failed", "storage", 25)
    assert view.error is not None
    assert view.error.code == "invalid_image"
    assert view.result is None


async def test_events_naming_another_user_or_no_scan_change_nothing(service: Harness) -> None:
    user = new_user()
    scan_id = (await service.create(user)).scan.id
    await service.deliver(completed(new_user(), scan_id))
    await service.deliver(completed(user, str(uuid.uuid4())))
    await service.deliver(completed(user, "not-a-uuid"))
    assert (await service.get(user, scan_id)).status == "queued"


async def test_list_pages_newest_first_with_an_opaque_cursor(service: Harness) -> None:
    user = new_user()
    created = [(await service.create(user)).scan.id for _ in range(5)]
    await service.create(new_user())
    seen: list[str] = []
    cursor: str | None = None
    sizes = []
    while True:
        page: ScanPage = await service.ask(ListScans(user_id=user, limit=2, cursor=cursor))
        sizes.append(len(page.items))
        seen += [s.id for s in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sizes == [2, 2, 1]
    assert seen == created[::-1]
    whole: ScanPage = await service.ask(ListScans(user_id=user, limit=5))
    assert whole.next_cursor is None
    assert len(whole.items) == 5
    assert await service.fails(ListScans(user_id=user, cursor="bm90IGEgY3Vyc29y")) == (
        "invalid_cursor"
    )


async def test_another_users_scan_is_not_found(service: Harness) -> None:
    user = new_user()
    scan_id = (await service.create(user)).scan.id
    assert await service.fails(GetScan(user_id=new_user(), scan_id=scan_id)) == "not_found"
    assert await service.fails(GetScan(user_id=user, scan_id=str(uuid.uuid4()))) == "not_found"
    assert await service.fails(GetScan(user_id=user, scan_id="nope")) == "not_found"


async def test_user_deleted_erases_that_users_scans(service: Harness) -> None:
    user, other = new_user(), new_user()
    mine = (await service.create(user, key="k")).scan.id
    theirs = (await service.create(other)).scan.id
    unpublished = "SELECT count(*) FROM scan.outbox WHERE published_at IS NULL"
    while await service.db.fetchval(unpublished):
        await asyncio.sleep(0.02)
    await service.deliver(new_envelope(UserDeleted(user_id=user), user_id=user), times=2)
    assert await service.fails(GetScan(user_id=user, scan_id=mine)) == "not_found"
    page: ScanPage = await service.ask(ListScans(user_id=user))
    assert page.items == ()
    assert (await service.get(other, theirs)).id == theirs
    keys = await service.db.fetchval(
        "SELECT count(*) FROM scan.idempotency_keys WHERE user_id = $1", user
    )
    assert keys == 0
    about = "SELECT count(*) FROM scan.outbox WHERE envelope->'payload'->>'user_id' = $1"
    assert await service.db.fetchval(about, user) == 0  # image keys and hints gone
    assert await service.db.fetchval(about, other) > 0
