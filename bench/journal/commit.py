"""Journal begin + complete with group commit against one SQLite commit per entry."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import aiosqlite

from bench.bus import Tick
from contracts import new_envelope
from journal.sqlite.store import Journal


async def group_commit(total: int, window: int) -> float:
    directory = Path(tempfile.mkdtemp(prefix="eco2-bench-"))
    journal = await Journal.open(directory / "bench.journal")
    envelopes = [new_envelope(Tick(n=i, text="x" * 64)) for i in range(total)]

    async def one(i: int) -> None:
        await journal.begin(envelopes[i])
        await journal.complete(str(envelopes[i].message_id), [])

    started = time.perf_counter()
    for start in range(0, total, window):
        await asyncio.gather(*(one(i) for i in range(start, min(start + window, total))))
    elapsed = time.perf_counter() - started
    await journal.close()
    return total / elapsed


async def commit_per_entry(total: int) -> float:
    directory = Path(tempfile.mkdtemp(prefix="eco2-bench-"))
    db = await aiosqlite.connect(directory / "raw.db", isolation_level=None)
    await db.execute("PRAGMA journal_mode = WAL")
    await db.execute("PRAGMA synchronous = NORMAL")
    await db.execute(
        "CREATE TABLE entries (message_id TEXT PRIMARY KEY, envelope TEXT, state TEXT,"
        " attempts INT, outcome TEXT) WITHOUT ROWID"
    )
    envelopes = [new_envelope(Tick(n=i, text="x" * 64)) for i in range(total)]
    started = time.perf_counter()
    for envelope in envelopes:
        mid = str(envelope.message_id)
        await db.execute("BEGIN")
        await db.execute(
            "INSERT INTO entries VALUES (?, ?, 'received', 1, NULL)",
            (mid, envelope.model_dump_json()),
        )
        await db.execute("COMMIT")
        await db.execute("BEGIN")
        await db.execute(
            "UPDATE entries SET state = 'completed', outcome = '[]' WHERE message_id = ?", (mid,)
        )
        await db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    await db.close()
    return total / elapsed
