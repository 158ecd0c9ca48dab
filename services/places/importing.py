"""Writing an import: results in, places upserted in batches, one report out.

The whole import is one transaction, so a failure half-way leaves the table as it was,
and a dry run is the same transaction rolled back (its counts are exactly what a real run
would do). A row whose (source, source id) came earlier in the same import is refused
(`duplicate_source_id`): which of two differing rows is right cannot be told. When a real
run changed anything it sends `NOTIFY places_changed` with the commit; the places service
listens and drops its nearby cache (`listen_for_changes`), wherever the import ran.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field

import asyncpg

from journal.postgres.outbox import Connection
from services.places.importers import Imported, Refused, Result
from services.places.model import Place
from services.places.store import Store, Tx

log = logging.getLogger(__name__)

CHANNEL = "places_changed"
BATCH = 500


class _DryRun(Exception):
    """Raised inside the transaction of a dry run, to roll it back."""


@dataclass
class Report:
    """What an import did: rows read, places new, changed and already the same, and every
    refused row with its line and reason."""

    source: str
    read: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[Refused] = field(default_factory=list)
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.imported or self.updated)

    def as_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "read": self.read,
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "refused": [r.model_dump(mode="json") for r in self.refused],
        }


async def _aiter(results: Iterable[Result] | AsyncIterable[Result]) -> AsyncIterator[Result]:
    if isinstance(results, AsyncIterable):
        async for result in results:
            yield result
    else:
        for result in results:
            yield result


async def write(
    url: str,
    source: str,
    results: Iterable[Result] | AsyncIterable[Result],
    *,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Upsert every imported place of `results` into the database at `url`."""
    report = Report(source=source, dry_run=dry_run)
    pool = await asyncpg.create_pool(url, min_size=1, max_size=1)
    try:
        with contextlib.suppress(_DryRun):
            async with Store(pool).transaction() as tx:
                await _write(tx, results, report, progress)
                if dry_run:
                    raise _DryRun
                if report.changed:
                    await tx.notify(CHANNEL, source)
    finally:
        await pool.close()
    return report


async def _write(
    tx: Tx,
    results: Iterable[Result] | AsyncIterable[Result],
    report: Report,
    progress: Callable[[int], None] | None,
) -> None:
    seen: set[str] = set()
    batch: list[Place] = []
    async for result in _aiter(results):
        report.read += 1
        if isinstance(result, Imported):
            place = result.place
            if place.source_id in seen:
                report.refused.append(
                    Refused(
                        line=result.line,
                        code="duplicate_source_id",
                        reason=f"source id {place.source_id} was already imported above",
                        source_id=place.source_id,
                    )
                )
            else:
                seen.add(place.source_id)
                batch.append(place)
        else:
            report.refused.append(result)
        if len(batch) >= BATCH:
            await _flush(tx, batch, report)
        if progress is not None:
            progress(report.read)
    await _flush(tx, batch, report)


async def _flush(tx: Tx, batch: list[Place], report: Report) -> None:
    if not batch:
        return
    done = await tx.upsert(batch)
    report.imported += done.inserted
    report.updated += done.updated
    report.unchanged += done.unchanged
    batch.clear()


async def listen_for_changes(url: str, on_change: Callable[[], object]) -> AsyncIterator[None]:
    """While iterated once (an async context body), call `on_change` on every
    `places_changed` notification; `on_change` may return an awaitable."""
    connection = await asyncpg.connect(url)
    tasks: set[asyncio.Task[object]] = set()

    def notified(_conn: Connection, _pid: int, _channel: str, payload: object) -> None:
        log.info("places changed (%s import): dropping the nearby cache", payload)
        outcome = on_change()
        if asyncio.iscoroutine(outcome):
            task: asyncio.Task[object] = asyncio.ensure_future(outcome)
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    await connection.add_listener(CHANNEL, notified)
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            await connection.remove_listener(CHANNEL, notified)
        await connection.close()


changes = contextlib.asynccontextmanager(listen_for_changes)
