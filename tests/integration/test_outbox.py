"""The transactional outbox and the inbox against real PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import asyncpg
import pytest

from bus.ports import PublishFailed
from contracts import Envelope, new_envelope
from journal.postgres.inbox import INBOX_DDL, claim
from journal.postgres.outbox import OUTBOX_DDL, OutboxRelay, enqueue
from support.databases import fresh_database
from tests.contract.messages import Note

pytestmark = pytest.mark.postgres

SCHEMA = "relay_test"


@pytest.fixture
async def pool(postgres_url: str) -> AsyncIterator[asyncpg.Pool]:
    async with fresh_database(postgres_url, "eco2_outbox") as url:
        setup = await asyncpg.connect(url)
        await setup.execute(f"CREATE SCHEMA {SCHEMA}; SET search_path TO {SCHEMA};")
        await setup.execute(OUTBOX_DDL + INBOX_DDL)
        await setup.close()
        created = await asyncpg.create_pool(url, min_size=1, max_size=6)
        yield created
        await created.close()


class Recorder:
    """A publisher that remembers what it got and fails on the calls it is told to."""

    def __init__(self, fail_calls: frozenset[int] = frozenset()) -> None:
        self.seen: list[uuid.UUID] = []
        self.calls = 0
        self._fail = fail_calls

    async def publish(self, envelope: Envelope) -> None:
        self.calls += 1
        if self.calls in self._fail:
            raise PublishFailed("the broker did not confirm")
        self.seen.append(envelope.message_id)

    async def until(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.seen) < count:
            assert time.monotonic() < deadline, f"only {len(self.seen)} of {count} published"
            await asyncio.sleep(0.01)


async def add(pool: asyncpg.Pool, count: int) -> list[uuid.UUID]:
    envelopes = [new_envelope(Note(text=str(i))) for i in range(count)]
    async with pool.acquire() as conn, conn.transaction():
        await enqueue(conn, SCHEMA, envelopes)
    return [e.message_id for e in envelopes]


async def test_two_relays_publish_every_event_once_in_order(pool: asyncpg.Pool) -> None:
    recorder = Recorder()
    expected: list[uuid.UUID] = []
    async with AsyncExitStack() as stack:
        for _ in range(2):
            relay = OutboxRelay(pool, SCHEMA, recorder, batch_size=7, poll_interval=0.05)
            await stack.enter_async_context(relay)
        for _ in range(30):
            expected += await add(pool, 4)
        await recorder.until(len(expected))
        await asyncio.sleep(0.3)  # room for a duplicate to show up
    assert recorder.seen == expected
    left = await pool.fetchval(f"SELECT count(*) FROM {SCHEMA}.outbox WHERE published_at IS NULL")
    assert left == 0


async def test_a_redelivered_event_is_stored_once(pool: asyncpg.Pool) -> None:
    envelope = new_envelope(Note(text="once"))
    for _ in range(2):
        async with pool.acquire() as conn, conn.transaction():
            await enqueue(conn, SCHEMA, [envelope])
    assert await pool.fetchval(f"SELECT count(*) FROM {SCHEMA}.outbox") == 1


async def test_nothing_is_published_for_a_rolled_back_transaction(pool: asyncpg.Pool) -> None:
    recorder = Recorder()
    async with OutboxRelay(pool, SCHEMA, recorder, poll_interval=0.05):
        with contextlib.suppress(RuntimeError):
            async with pool.acquire() as conn, conn.transaction():
                await enqueue(conn, SCHEMA, [new_envelope(Note(text="never"))])
                raise RuntimeError("the change failed")
        marker = await add(pool, 1)
        await recorder.until(1)
        await asyncio.sleep(0.2)
    assert recorder.seen == marker


async def test_the_relay_resumes_after_the_bus_fails(pool: asyncpg.Pool) -> None:
    recorder = Recorder(fail_calls=frozenset({3, 4}))
    expected = await add(pool, 10)
    async with OutboxRelay(pool, SCHEMA, recorder, poll_interval=0.05, max_backoff=0.2):
        await recorder.until(10)
        await asyncio.sleep(0.2)
    assert recorder.seen == expected
    assert recorder.calls == 12


async def test_a_commit_wakes_the_relay_at_once(pool: asyncpg.Pool) -> None:
    recorder = Recorder()
    async with OutboxRelay(pool, SCHEMA, recorder, poll_interval=30):
        await asyncio.sleep(0.2)  # let it drain once and start listening
        started = time.monotonic()
        await add(pool, 1)
        await recorder.until(1, timeout=5)
        latency = time.monotonic() - started
    assert latency < 0.5


async def test_the_relay_waits_until_the_bus_is_ready(pool: asyncpg.Pool) -> None:
    recorder = Recorder()
    ready = asyncio.Event()

    async def bus_started() -> bool:
        return ready.is_set()

    expected = await add(pool, 3)
    async with OutboxRelay(pool, SCHEMA, recorder, poll_interval=0.05, ready=bus_started):
        await asyncio.sleep(0.2)
        assert recorder.seen == []
        ready.set()
        await recorder.until(3)
    assert recorder.seen == expected


async def test_inbox_claims_a_message_once_per_consumer(pool: asyncpg.Pool) -> None:
    message_id = uuid.uuid4()
    async with pool.acquire() as conn:
        with contextlib.suppress(RuntimeError):
            async with conn.transaction():
                assert await claim(conn, SCHEMA, message_id, "points")
                raise RuntimeError("effect failed, so the claim rolls back too")
        async with conn.transaction():
            assert await claim(conn, SCHEMA, message_id, "points")
        async with conn.transaction():
            assert not await claim(conn, SCHEMA, message_id, "points")
            assert await claim(conn, SCHEMA, message_id, "badges")


async def test_published_rows_are_pruned_after_the_retention(pool: asyncpg.Pool) -> None:
    recorder = Recorder()
    await add(pool, 3)
    async with OutboxRelay(pool, SCHEMA, recorder, poll_interval=0.05, retention=0):
        await recorder.until(3)
        await asyncio.sleep(0.2)
    assert await pool.fetchval(f"SELECT count(*) FROM {SCHEMA}.outbox") == 0


async def test_housekeeping_runs_with_the_prune(pool: asyncpg.Pool) -> None:
    ran = asyncio.Event()

    async def housekeeping() -> None:
        ran.set()

    async with OutboxRelay(pool, SCHEMA, Recorder(), poll_interval=0.05, housekeeping=housekeeping):
        await asyncio.wait_for(ran.wait(), 10)
