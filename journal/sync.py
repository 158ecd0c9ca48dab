"""The sync loop: ships finished, unsynced journal entries to PostgreSQL in batches.

One round trip per batch (an `INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING`
keyed on the message id, so a batch shipped twice is a no-op), then one SQLite
transaction marks the batch synced. PostgreSQL being down or slow never blocks the
worker: the loop backs off, the backlog grows and is visible, and it catches up later.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

import asyncpg
from prometheus_client import Counter, Gauge

from journal.faults import NO_FAULTS, Faults
from journal.store import Entry, Journal

log = logging.getLogger(__name__)

BACKLOG = Gauge(
    "eco2_journal_backlog", "Finished journal entries not yet in PostgreSQL", ["worker"]
)
SHIPPED = Counter("eco2_journal_synced", "Journal entries shipped to PostgreSQL", ["worker"])
FAILURES = Counter("eco2_journal_sync_failures", "Failed sync batches", ["worker"])


class SyncTarget(Protocol):
    async def ship(self, worker: str, entries: Sequence[Entry]) -> None:
        """Store every entry idempotently (keyed on message id) in one round trip."""


class PostgresTarget:
    """Ships into `journal.outcomes` (created by the `journal` migrations)."""

    _SQL = """
        INSERT INTO journal.outcomes
            (message_id, worker, type, version, state, attempts, envelope, outcome, error,
             received_at, completed_at)
        SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[],
                             $6::int[], $7::jsonb[], $8::jsonb[], $9::text[],
                             $10::timestamptz[], $11::timestamptz[])
        ON CONFLICT (message_id) DO NOTHING
    """

    def __init__(self, pool: asyncpg.Pool, timeout: float = 30.0) -> None:
        self._pool = pool
        self._timeout = timeout

    async def ship(self, worker: str, entries: Sequence[Entry]) -> None:
        columns: tuple[list[object], ...] = tuple([] for _ in range(11))
        for e in entries:
            row = (
                e.message_id,
                worker,
                e.type,
                e.version,
                e.state.value,
                e.attempts,
                json.dumps(e.envelope),
                json.dumps(e.outcome),
                e.error,
                _ts(e.created_at),
                _ts(e.completed_at or e.updated_at),
            )
            for column, value in zip(columns, row, strict=True):
                column.append(value)
        await self._pool.execute(self._SQL, *columns, timeout=self._timeout)


def _ts(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class SyncLoop:
    def __init__(
        self,
        journal: Journal,
        target: SyncTarget,
        *,
        worker: str,
        batch_size: int = 500,
        max_delay: float = 0.2,
        max_backoff: float = 5.0,
        faults: Faults = NO_FAULTS,
    ) -> None:
        self._journal = journal
        self._target = target
        self._worker = worker
        self._batch_size = batch_size
        self._max_delay = max_delay
        self._max_backoff = max_backoff
        self._faults = faults
        self._wake = asyncio.Event()
        self._stopping = False

    def poke(self) -> None:
        """Work was finished: ship soon (the loop also ships every `max_delay`)."""
        self._wake.set()

    async def sync_once(self) -> int:
        """Ship one batch; return how many entries it held (0 when nothing is pending)."""
        entries = await self._journal.unsynced(self._batch_size)
        if not entries:
            BACKLOG.labels(self._worker).set(0)
            return 0
        await self._target.ship(self._worker, entries)
        self._faults.hit("after_sync_commit")
        await self._journal.mark_synced([e.message_id for e in entries])
        SHIPPED.labels(self._worker).inc(len(entries))
        return len(entries)

    async def drain(self) -> int:
        """Ship until nothing is pending; return how many."""
        total = 0
        while shipped := await self.sync_once():
            total += shipped
        return total

    async def run(self) -> None:
        """Ship forever: full batches at once, partial ones within `max_delay`."""
        backoff = 0.1
        while not self._stopping:
            try:
                shipped = await self.sync_once()
                backoff = 0.1
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                FAILURES.labels(self._worker).inc()
                stats = await self._journal.stats()
                BACKLOG.labels(self._worker).set(stats.backlog)
                log.warning(
                    "sync to PostgreSQL failed (%s); backlog %d, retry in %.1fs",
                    exc,
                    stats.backlog,
                    backoff,
                )
                await self._sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
                continue
            if shipped < self._batch_size:
                await self._sleep(self._max_delay)

    async def _sleep(self, seconds: float) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    async def stop(self) -> None:
        """Let `run` end after its current batch; what is pending ships on the next start."""
        self._stopping = True
        self._wake.set()
