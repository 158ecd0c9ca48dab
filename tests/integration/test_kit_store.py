"""The kit's PostgreSQL store against a real server: a transaction commits or leaves
nothing, its outbox and inbox statements run in it, and a lock key makes them take turns;
connections the server ends are replaced, and an outage is `Unavailable`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from bus.ports import Unavailable
from contracts import new_envelope
from contracts.system.v1 import Ping
from services.kit.store import PostgresStore, Statements
from services.runtime.migrate import discover, migrate
from support.databases import fresh_database

pytestmark = pytest.mark.postgres

MIGRATION = """CREATE TABLE notes (text text NOT NULL);

-- eco2:include outbox

-- eco2:include inbox
"""


class Tx(Statements):
    schema = "notes"

    async def add(self, text: str) -> None:
        await self._conn.execute("INSERT INTO notes.notes (text) VALUES ($1)", text)

    async def pid(self) -> int:
        return self._conn.get_server_pid()


class Store(PostgresStore[Tx]):
    async def texts(self) -> list[str]:
        return [r["text"] for r in await self._pool.fetch("SELECT text FROM notes.notes")]


class Boom(Exception):
    pass


@pytest.fixture
async def database(postgres_url: str, tmp_path: Path) -> AsyncIterator[str]:
    (tmp_path / "0001_notes.sql").write_text(MIGRATION)
    async with fresh_database(postgres_url, "eco2_kit") as url:
        await migrate(url, discover("notes", tmp_path))
        yield url


@pytest.fixture
async def pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    async with asyncpg.create_pool(database, min_size=1, max_size=4) as pool:
        yield pool


async def counts(pool: asyncpg.Pool) -> tuple[int, int, int]:
    row = await pool.fetchrow(
        "SELECT (SELECT count(*) FROM notes.notes) AS n, (SELECT count(*) FROM notes.outbox)"
        " AS o, (SELECT count(*) FROM notes.inbox) AS i"
    )
    assert row is not None
    return row["n"], row["o"], row["i"]


async def test_a_transaction_commits_its_change_event_and_claim_together(
    pool: asyncpg.Pool,
) -> None:
    store = PostgresStore(pool, Tx)
    event = new_envelope(Ping(note="hi"))
    async with store.transaction() as tx:
        assert await tx.claim(event.message_id)
        await tx.add("hi")
        await tx.enqueue([event])
    assert await counts(pool) == (1, 1, 1)
    async with store.transaction() as tx:
        assert not await tx.claim(event.message_id)  # the inbox remembers it
    consumer = await pool.fetchval("SELECT consumer FROM notes.inbox")
    assert consumer == "notes"


async def test_a_failed_transaction_leaves_nothing(pool: asyncpg.Pool) -> None:
    store = PostgresStore(pool, Tx)
    event = new_envelope(Ping(note="lost"))

    async def change_then_fail() -> None:
        async with store.transaction() as tx:
            await tx.claim(event.message_id)
            await tx.add("lost")
            await tx.enqueue([event])
            raise Boom

    with pytest.raises(Boom):
        await change_then_fail()
    assert await counts(pool) == (0, 0, 0)


async def waiting_on_a_lock(pool: asyncpg.Pool) -> bool:
    found = await pool.fetchval(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    return bool(found)


async def test_transactions_of_one_lock_key_take_turns(pool: asyncpg.Pool) -> None:
    store = PostgresStore(pool, Tx)
    order: list[str] = []
    held, release = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with store.transaction(lock="user-1") as tx:
            held.set()
            await release.wait()
            await tx.add("first")
            order.append("first")

    async def second(key: str, name: str) -> None:
        async with store.transaction(lock=key) as tx:
            await tx.add(name)
            order.append(name)

    holding = asyncio.create_task(first())
    await held.wait()
    await second("user-2", "other key")  # another key does not wait
    waiting = asyncio.create_task(second("user-1", "second"))
    async with asyncio.timeout(10):
        while not await waiting_on_a_lock(pool):
            await asyncio.sleep(0.01)
    assert order == ["other key"]
    release.set()
    await asyncio.gather(holding, waiting)
    assert order == ["other key", "first", "second"]


async def _kill(pool: asyncpg.Pool, pids: set[int]) -> None:
    """End server backends as pg_terminate_backend does in an outage or a failover."""
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_terminate_backend(p) FROM unnest($1::int[]) AS p", list(pids))


async def _pooled_pids(pool: asyncpg.Pool) -> set[int]:
    conns = [await pool.acquire() for _ in range(pool.get_max_size())]
    try:
        return {conn.get_server_pid() for conn in conns}
    finally:
        for conn in conns:
            await pool.release(conn)


@pytest.fixture
async def store_pool(database: str) -> AsyncIterator[asyncpg.Pool]:
    """A second pool for the store, so killing its backends spares the test's own."""
    async with asyncpg.create_pool(database, min_size=2, max_size=2) as own:
        yield own


async def test_pooled_connections_the_server_dropped_are_replaced_and_the_work_done(
    pool: asyncpg.Pool, store_pool: asyncpg.Pool
) -> None:
    store = Store(store_pool, Tx)
    await _kill(pool, await _pooled_pids(store_pool))
    async with store.transaction() as tx:  # BEGIN meets a dead connection, then a live one
        await tx.add("after")
    await _kill(pool, await _pooled_pids(store_pool))
    assert await store.texts() == ["after"]  # the read is tried once more, too
    assert await counts(pool) == (1, 0, 0)


async def test_a_transaction_the_server_drops_midway_is_unavailable_and_leaves_nothing(
    pool: asyncpg.Pool, store_pool: asyncpg.Pool
) -> None:
    store = Store(store_pool, Tx)

    async def killed_midway() -> None:
        async with store.transaction() as tx:
            await tx.add("lost")
            await _kill(pool, {await tx.pid()})
            await tx.add("never")

    with pytest.raises(Unavailable, match="PostgreSQL"):
        await killed_midway()
    assert await counts(pool) == (0, 0, 0)
    async with store.transaction() as tx:  # the pool has a working connection again
        await tx.add("next")
    assert await counts(pool) == (1, 0, 0)


async def test_a_server_that_stays_unreachable_is_unavailable() -> None:
    # A port nothing listens on: every connection attempt is refused.
    async with asyncpg.create_pool("postgresql://127.0.0.1:9/none", min_size=0, max_size=1) as dead:
        with pytest.raises(Unavailable):
            await Store(dead, Tx).transaction().__aenter__()
        with pytest.raises(Unavailable):
            await Store(dead, Tx).texts()


async def test_a_statements_own_error_passes_unchanged(pool: asyncpg.Pool) -> None:
    store = Store(pool, Tx)
    with pytest.raises(asyncpg.UndefinedTableError):
        await store._pool.fetch("SELECT * FROM notes.nowhere")
    with pytest.raises(asyncpg.UndefinedTableError):
        async with store.transaction() as tx:
            await tx._conn.execute("SELECT * FROM notes.nowhere")
    assert await store.texts() == []
