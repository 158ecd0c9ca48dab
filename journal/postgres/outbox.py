"""The transactional outbox: events written with the change that causes them, relayed later.

A service that changes PostgreSQL and must tell others calls `enqueue` inside its own
transaction; the rows become visible, and the relay is woken by `NOTIFY`, only when that
transaction commits, so an event is never published for a change that rolled back.
`OutboxRelay` publishes committed rows in id order and marks them published. Several
replicas may run: a transaction-scoped advisory lock lets one relay publish at a time (so
order holds) and `FOR UPDATE SKIP LOCKED` keeps the claim itself cheap. A crash between
publish and commit publishes a row again with the same message id, which consumers drop.

A domain's migration includes `OUTBOX_DDL` with the line `-- eco2:include outbox`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from bus.ports import Publisher
from contracts import Envelope

log = logging.getLogger(__name__)

# The one definition; `eco2 migrate` puts it where a migration says `-- eco2:include outbox`.
OUTBOX_DDL = """
CREATE TABLE outbox (
    id           bigserial PRIMARY KEY,
    message_id   uuid NOT NULL UNIQUE,
    type         text NOT NULL,
    envelope     jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
"""

_SCHEMA = re.compile(r"^[a-z][a-z0-9_]*$")

# A connection of its own or one lent by a pool; both run the caller's transaction.
Connection = asyncpg.Connection | PoolConnectionProxy


def _checked(schema: str) -> str:
    if not _SCHEMA.match(schema):
        raise ValueError(f"bad schema name {schema!r}")
    return schema


def channel(schema: str) -> str:
    """The `LISTEN` channel the relay of `schema` wakes on."""
    return f"eco2_outbox_{_checked(schema)}"


async def enqueue(conn: Connection, schema: str, envelopes: Sequence[Envelope]) -> None:
    """Add `envelopes` to `<schema>.outbox` in the caller's transaction.

    An envelope whose message id is already there is skipped, so a redelivered request
    that derives its event ids from its own id adds nothing twice.
    """
    if not envelopes:
        return
    await conn.executemany(
        f'INSERT INTO "{_checked(schema)}".outbox (message_id, type, envelope)'
        " VALUES ($1, $2, $3::jsonb) ON CONFLICT (message_id) DO NOTHING",
        [(e.message_id, e.type, e.model_dump_json()) for e in envelopes],
    )
    await conn.execute("SELECT pg_notify($1, '')", channel(schema))


async def erase_published(conn: Connection, schema: str, user_id: str) -> int:
    """Delete the published rows of `<schema>.outbox` about `user_id` (on their erasure).

    A published row is kept a while only for diagnosis; one naming a deleted user (as the
    envelope's user or its payload's) may hold their email or nickname, so it goes now.
    Unpublished rows stay: they still have to be published. How many were deleted.
    """
    status: str = await conn.execute(
        f'DELETE FROM "{_checked(schema)}".outbox WHERE published_at IS NOT NULL'
        " AND (envelope->>'user_id' = $1 OR envelope->'payload'->>'user_id' = $1)",
        user_id,
    )
    return int(status.rsplit(" ", 1)[-1])


class OutboxRelay:
    """Publishes committed outbox rows of one schema; run it as an async context manager."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        schema: str,
        publisher: Publisher,
        *,
        batch_size: int = 100,
        poll_interval: float = 0.5,
        max_backoff: float = 5.0,
        retention: float = 7 * 24 * 3600,
        ready: Callable[[], Awaitable[bool]] | None = None,
        housekeeping: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        """`ready`, if given, is polled before the first publish (a bus not started yet
        would route the events to no queue). Published rows are kept `retention` seconds,
        so a request redelivered within that time still finds its events' ids.
        `housekeeping`, if given, runs with each prune (about once a minute): the domain's
        own cleanup of rows past their use, such as expired idempotency keys."""
        self._pool = pool
        self._schema = _checked(schema)
        self._publisher = publisher
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._max_backoff = max_backoff
        self._ready = ready
        self._retention = retention
        self._housekeeping = housekeeping
        self._pruned = 0.0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._claim = f"""
            SELECT id, envelope FROM "{schema}".outbox
            WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED"""
        self._mark = f'UPDATE "{schema}".outbox SET published_at = now() WHERE id = ANY($1)'
        self._prune = f"""
            DELETE FROM "{schema}".outbox
            WHERE published_at < now() - make_interval(secs => $1)"""

    async def __aenter__(self) -> OutboxRelay:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name=f"outbox-relay-{self._schema}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run(self) -> None:
        """Relay until cancelled; failures of PostgreSQL or the bus back off and retry."""
        await self._until_ready()
        backoff = 0.1
        while True:
            try:
                async with self._pool.acquire() as listener:
                    await listener.add_listener(channel(self._schema), self._notified)
                    try:
                        while not listener.is_closed():
                            self._wake.clear()
                            await self.drain()
                            await self._prune_now_and_then()
                            backoff = 0.1
                            with contextlib.suppress(TimeoutError):
                                await asyncio.wait_for(self._wake.wait(), self._poll_interval)
                    finally:
                        with contextlib.suppress(Exception):
                            await listener.remove_listener(channel(self._schema), self._notified)
            except Exception:
                log.warning("outbox relay %s failed; retrying", self._schema, exc_info=True)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)

    async def _prune_now_and_then(self) -> None:
        now = time.monotonic()
        if now - self._pruned > 60:
            self._pruned = now
            await self._pool.execute(self._prune, self._retention)
            if self._housekeeping is not None:
                try:
                    await self._housekeeping()
                except Exception:  # its own failure; the relay goes on, and so will it
                    log.warning("housekeeping of %s failed", self._schema, exc_info=True)

    async def _until_ready(self) -> None:
        while self._ready is not None:
            try:
                if await self._ready():
                    return
            except Exception:
                log.debug("outbox relay %s: bus not ready", self._schema, exc_info=True)
            await asyncio.sleep(self._poll_interval / 5)

    async def drain(self) -> int:
        """Publish every committed row now; return how many were published."""
        total = 0
        while True:
            published, more = await self._batch()
            total += published
            if not more:
                return total

    async def _batch(self) -> tuple[int, bool]:
        async with self._pool.acquire() as conn, conn.transaction():
            lock = await conn.fetchval(
                "SELECT pg_try_advisory_xact_lock(hashtext($1))", channel(self._schema)
            )
            if not lock:
                return 0, False  # another replica is publishing; it takes these rows too
            rows = await conn.fetch(self._claim, self._batch_size)
            done: list[int] = []
            failure: Exception | None = None
            for row in rows:
                try:
                    await self._publisher.publish(Envelope.model_validate_json(row["envelope"]))
                except Exception as exc:
                    failure = exc
                    break
                done.append(row["id"])
            # Rows published before a bus failure are committed as published; the rest wait.
            if done:
                await conn.execute(self._mark, done)
        if failure is not None:
            raise failure
        return len(done), len(rows) == self._batch_size

    def _notified(self, *_: Any) -> None:
        self._wake.set()
