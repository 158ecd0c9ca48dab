"""The sync loop: ships finished, unsynced journal entries to a `SyncTarget` in batches.

One `ship` per batch (PostgreSQL's, `journal.postgres.outcomes`, is idempotent on the
message id, so a batch shipped twice is a no-op), then one SQLite transaction marks the
batch synced. The target being down or slow never blocks the worker: the loop backs off,
the backlog grows and is visible, and it catches up later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from prometheus_client import Counter, Gauge

from journal.faults import NO_FAULTS, Faults
from journal.ports import SyncRow, SyncTarget, SyncUnavailable
from journal.sqlite.store import Journal

log = logging.getLogger(__name__)

BACKLOG = Gauge(
    "eco2_journal_backlog", "Finished journal entries not yet in PostgreSQL", ["worker"]
)
SHIPPED = Counter("eco2_journal_synced", "Journal entries shipped to PostgreSQL", ["worker"])
FAILURES = Counter("eco2_journal_sync_failures", "Failed sync batches", ["worker"])


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

    async def sync_once(self) -> int:
        """Ship one batch; return how many entries it held (0 when nothing is pending)."""
        rows = await self._journal.unsynced(self._batch_size)
        if not rows:
            BACKLOG.labels(self._worker).set(0)
            return 0
        await self._target.ship(self._worker, rows)
        self._faults.hit("after_sync_commit")
        await self._journal.mark_synced([r.message_id for r in rows])
        SHIPPED.labels(self._worker).inc(len(rows))
        return len(rows)

    async def drain(self) -> int:
        """Ship everything pending now; return how many.

        Reading the next batch from SQLite and marking the last one synced run while
        the target stores the current one. Entries that finish during a pass with an
        older key than the pass has reached are shipped by the next pass.
        """
        shipped = 0
        rows = await self._journal.unsynced(self._batch_size)
        marking: asyncio.Task[None] | None = None
        reading: asyncio.Task[list[SyncRow]] | None = None
        try:
            while rows:
                if len(rows) == self._batch_size:
                    after = (rows[-1].completed_at, rows[-1].message_id)
                    reading = asyncio.create_task(self._journal.unsynced(self._batch_size, after))
                await self._target.ship(self._worker, rows)
                self._faults.hit("after_sync_commit")
                if marking is not None:
                    await marking
                marking = asyncio.create_task(
                    self._journal.mark_synced([r.message_id for r in rows])
                )
                SHIPPED.labels(self._worker).inc(len(rows))
                shipped += len(rows)
                rows, reading = (await reading if reading else []), None
        finally:
            if reading is not None:
                reading.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reading
            if marking is not None:
                await marking
        return shipped

    async def run(self) -> None:
        """Ship forever: whatever is pending, then again after `max_delay` (or until stopped)."""
        backoff = 0.1
        while not self._stopping:
            try:
                await self.drain()
                BACKLOG.labels(self._worker).set(await self._journal.backlog())
                backoff = 0.1
            except SyncUnavailable as exc:
                FAILURES.labels(self._worker).inc()
                backlog = await self._journal.backlog()
                BACKLOG.labels(self._worker).set(backlog)
                log.warning(
                    "sync failed (%s); backlog %d, retry in %.1fs",
                    exc,
                    backlog,
                    backoff,
                )
                await self._sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
                continue
            await self._sleep(self._max_delay)

    async def _sleep(self, seconds: float) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    async def stop(self) -> None:
        """Let `run` end after its current batch; what is pending ships on the next start."""
        self._stopping = True
        self._wake.set()
