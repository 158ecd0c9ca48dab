"""The kit's PostgreSQL store against a real server: a transaction commits or leaves
nothing, its outbox and inbox statements run in it, and a lock key makes them take turns."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

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


class Boom(Exception):
    pass


@pytest.fixture
async def pool(postgres_url: str, tmp_path: Path) -> AsyncIterator[asyncpg.Pool]:
    (tmp_path / "0001_notes.sql").write_text(MIGRATION)
    async with fresh_database(postgres_url, "eco2_kit") as url:
        await migrate(url, discover("notes", tmp_path))
        async with asyncpg.create_pool(url, min_size=1, max_size=4) as pool:
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
