"""The sync loop's rows/s into PostgreSQL against a plain asyncpg COPY of the same rows."""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from bench.bus import Tick
from contracts import new_envelope
from journal.postgres.outcomes import PostgresTarget
from journal.sqlite.store import Journal
from journal.sqlite.sync import SyncLoop
from support.databases import fresh_database


async def sync_rows(url: str, rows: int, batch: int = 1000) -> tuple[float, float]:
    async with fresh_database(url, "eco2_bench", [("journal", "journal.postgres")]) as database:
        directory = Path(tempfile.mkdtemp(prefix="eco2-bench-"))
        journal = await Journal.open(directory / "bench.journal", worker="bench")
        envelopes = [new_envelope(Tick(n=i, text="x" * 64)) for i in range(rows)]
        for start in range(0, rows, 1000):
            chunk = envelopes[start : start + 1000]
            await asyncio.gather(*(journal.begin(e) for e in chunk))
            await asyncio.gather(*(journal.complete(str(e.message_id), [{"n": 1}]) for e in chunk))
        pool = await asyncpg.create_pool(database, min_size=1, max_size=2)
        entries = await journal.unsynced(rows)
        await pool.execute("CREATE TABLE raw (LIKE journal.outcomes INCLUDING ALL)")
        records = [
            (
                uuid.UUID(e.message_id),
                "bench",
                e.type,
                e.version,
                e.state,
                e.attempts,
                e.envelope,
                e.outcome,
                e.error,
                _dt(e.created_at),
                _dt(e.completed_at),
                _dt(time.time()),
            )
            for e in entries
        ]
        started = time.perf_counter()
        for start in range(0, rows, batch):
            await pool.copy_records_to_table("raw", records=records[start : start + batch])
        copy_rate = rows / (time.perf_counter() - started)

        loop = SyncLoop(journal, PostgresTarget(pool), worker="bench", batch_size=batch)
        started = time.perf_counter()
        shipped = await loop.drain()
        sync_rate = shipped / (time.perf_counter() - started)
        assert shipped == rows
        await pool.close()
        await journal.close()
        return sync_rate, copy_rate


def _dt(seconds: float) -> Any:
    return datetime.fromtimestamp(seconds, UTC)
