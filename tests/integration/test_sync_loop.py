"""The sync loop against real PostgreSQL: batches, idempotence, and riding out an outage."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from contracts import new_envelope
from journal.postgres.outcomes import PostgresTarget
from journal.sqlite.store import Journal
from journal.sqlite.sync import BACKLOG, SyncLoop
from support.databases import fresh_database
from tests.chaos.proxy import Proxy
from tests.contract.messages import Note

pytestmark = pytest.mark.postgres


@pytest.fixture
async def database(postgres_url: str) -> AsyncIterator[str]:
    async with fresh_database(postgres_url, "eco2_sync", [("journal", "journal.postgres")]) as url:
        yield url


async def _finish(journal: Journal, count: int) -> list[str]:
    ids = []
    for i in range(count):
        envelope = new_envelope(Note(text=str(i)))
        await journal.begin(envelope)
        await journal.complete(str(envelope.message_id), [{"i": i}])
        ids.append(str(envelope.message_id))
    return ids


async def test_batches_ship_once_even_when_shipped_twice(database: str, tmp_path: Path) -> None:
    journal = await Journal.open(tmp_path / "w.journal", worker="ai")
    pool = await asyncpg.create_pool(database, min_size=1, max_size=2)
    try:
        ids = await _finish(journal, 25)
        target = PostgresTarget(pool)
        loop = SyncLoop(journal, target, worker="ai", batch_size=10)
        first_batch = await journal.unsynced(10)
        assert await loop.drain() == 25
        assert (await journal.stats()).backlog == 0
        await target.ship("ai", first_batch)  # as after a crash before marking it synced
        rows = await pool.fetch("SELECT message_id::text, worker, state FROM journal.outcomes")
        assert sorted(r["message_id"] for r in rows) == sorted(ids)
        assert {(r["worker"], r["state"]) for r in rows} == {("ai", "completed")}
    finally:
        await pool.close()
        await journal.close()


async def test_an_outage_grows_the_backlog_and_the_loop_catches_up(
    database: str, tmp_path: Path
) -> None:
    db = urlsplit(database)
    proxy = Proxy(db.hostname or "127.0.0.1", db.port or 5432)
    await proxy.start()
    through_proxy = db._replace(netloc=f"{db.username}@127.0.0.1:{proxy.port}").geturl()
    journal = await Journal.open(tmp_path / "w.journal", worker="storage")
    pool = await asyncpg.create_pool(through_proxy, min_size=1, max_size=2)
    loop = SyncLoop(
        journal,
        PostgresTarget(pool, timeout=2),
        worker="storage",
        batch_size=50,
        max_delay=0.05,
        max_backoff=0.5,
    )
    running = asyncio.create_task(loop.run())
    try:
        await _finish(journal, 10)
        async with asyncio.timeout(10):
            while (await journal.stats()).backlog:
                await asyncio.sleep(0.05)
        outage = asyncio.create_task(proxy.cut(2.0))
        await asyncio.sleep(0.1)
        await _finish(journal, 40)  # the worker keeps working while PostgreSQL is away
        assert (await journal.stats()).backlog == 40
        await asyncio.sleep(0.8)
        assert BACKLOG.labels("storage")._value.get() == 40
        await outage
        async with asyncio.timeout(20):
            while (await journal.stats()).backlog:
                await asyncio.sleep(0.1)
        direct = await asyncpg.connect(database)
        assert await direct.fetchval("SELECT count(*) FROM journal.outcomes") == 50
        await direct.close()
    finally:
        await loop.stop()
        await running
        await pool.close()
        await journal.close()
        await proxy.close()
