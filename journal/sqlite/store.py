"""The journal store: one entry per message id in an aiosqlite WAL file.

Writes go through the `BatchWriter` (`writer.py`), which group-commits whatever arrived
meanwhile. Reads use a second connection, which WAL lets run beside the writer; another
process may read the file the same way.

With `synchronous=NORMAL` (the default) a committed entry survives the worker process
being killed; `FULL` also survives the machine losing power, at a cost per commit.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import aiosqlite

from contracts import Envelope
from journal.ports import SyncRow
from journal.sqlite import schema
from journal.sqlite.entries import (
    Begun,
    Entry,
    JournalCorrupt,
    JournalError,
    JournalNotFound,
    State,
    Stats,
)
from journal.sqlite.writer import BatchWriter, Kind

__all__ = [
    "Begun",
    "Entry",
    "Journal",
    "JournalCorrupt",
    "JournalError",
    "JournalNotFound",
    "State",
    "Stats",
]


_COLUMNS = (
    "message_id, type, version, envelope, state, attempts, outcome, error, "
    "created_at, updated_at, completed_at,"
    " state IN ('completed', 'failed') AND message_id NOT IN (SELECT message_id FROM unsynced)"
)


def _entry(row: sqlite3.Row | tuple[Any, ...]) -> Entry:
    return Entry(
        message_id=row[0],
        type=row[1],
        version=row[2],
        envelope=json.loads(row[3]),
        state=State(row[4]),
        attempts=row[5],
        outcome=json.loads(row[6]) if row[6] is not None else None,
        error=row[7],
        created_at=row[8],
        updated_at=row[9],
        completed_at=row[10],
        synced=bool(row[11]),
    )


class Journal:
    """Open with `Journal.open(path)`; close with `await journal.close()`."""

    def __init__(
        self,
        path: Path,
        reader: aiosqlite.Connection,
        writer: BatchWriter | None,
    ) -> None:
        self.path = path
        self._reader = reader
        self._writer = writer

    @property
    def commits(self) -> int:
        """Transactions written, for tests and benchmarks."""
        return self._writer.commits if self._writer is not None else 0

    # --- opening and closing ---------------------------------------------------------

    @classmethod
    async def open(
        cls,
        path: Path,
        *,
        worker: str = "",
        synchronous: Literal["NORMAL", "FULL"] = "NORMAL",
        busy_timeout: float = 5.0,
        readonly: bool = False,
        max_batch: int = 512,
    ) -> Journal:
        """Open (creating and migrating unless `readonly`) the journal at `path`."""
        path = Path(path)
        if readonly and not path.exists():
            raise JournalNotFound(f"no journal file at {path}")
        opened: list[aiosqlite.Connection] = []
        try:
            writer = None
            if not readonly:
                await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
                writer = await aiosqlite.connect(path, isolation_level=None)
                opened.append(writer)
                await writer.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
                await writer.execute("PRAGMA journal_mode = WAL")
                await writer.execute(f"PRAGMA synchronous = {synchronous}")
                await schema.migrate(writer, worker)
                reader = await aiosqlite.connect(path, isolation_level=None)
            else:
                reader = await aiosqlite.connect(f"file:{path}?mode=ro", uri=True)
            opened.append(reader)
            await reader.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            await schema.check_format(reader, path)
        except BaseException as exc:
            for connection in opened:
                await connection.close()
            if isinstance(exc, sqlite3.DatabaseError):
                raise JournalCorrupt(f"{path} is not a usable journal: {exc}") from exc
            raise
        batches = None
        if writer is not None:
            batches = BatchWriter(path, writer, max_batch)
            batches.start()
        return cls(path, reader, batches)

    async def close(self) -> None:
        if self._writer is not None:
            await self._writer.close()
            self._writer = None
        await self._reader.close()

    # --- writes (group-committed) ----------------------------------------------------

    async def begin(self, envelope: Envelope) -> Begun:
        """Record a delivery: insert the entry, or count one more attempt on it."""
        now = time.time()
        row = (
            str(envelope.message_id),
            envelope.type,
            envelope.version,
            envelope.model_dump_json(),
            now,
            now,
        )
        result: Begun = await self._submit("begin", row)
        return result

    def mark_processing(self, message_id: str) -> None:
        """Note that work started; written with the next batch, nothing waits for it."""
        self._enqueue("processing", (time.time(), message_id))

    async def checkpoint(self, message_id: str, step: str, output: str) -> None:
        await self._submit("checkpoint", (message_id, step, output, time.time()))

    async def complete(self, message_id: str, outcome: Sequence[dict[str, Any]]) -> None:
        await self._finish(message_id, State.COMPLETED, outcome, None)

    async def fail(self, message_id: str, error: str, outcome: Sequence[dict[str, Any]]) -> None:
        await self._finish(message_id, State.FAILED, outcome, error)

    async def _finish(
        self, message_id: str, state: State, outcome: Sequence[dict[str, Any]], error: str | None
    ) -> None:
        now = time.time()
        body = json.dumps(list(outcome), separators=(",", ":"))
        await self._submit("finish", (state.value, body, error, now, now, message_id))

    async def mark_synced(self, message_ids: Sequence[str]) -> None:
        if message_ids:
            await self._submit("synced", tuple(message_ids))

    async def reopen(self, message_ids: Sequence[str], *, keep_checkpoints: bool = False) -> None:
        """Put entries back to `received` with no attempts, to run them again (replay)."""
        if message_ids:
            await self._submit("reopen", (tuple(message_ids), keep_checkpoints))

    async def prune(self, before: float) -> int:
        """Delete synced, finished entries completed before `before`; return how many."""
        count: int = await self._submit("prune", (before,))
        return count

    def _enqueue(self, kind: Kind, args: tuple[Any, ...]) -> None:
        self._batches().enqueue(kind, args)

    async def _submit(self, kind: Kind, args: tuple[Any, ...]) -> Any:
        return await self._batches().submit(kind, args)

    def _batches(self) -> BatchWriter:
        if self._writer is None:
            raise JournalError(f"{self.path} is open read-only")
        return self._writer

    # --- reads -----------------------------------------------------------------------

    async def get(self, message_id: str) -> Entry | None:
        cursor = await self._reader.execute(
            f"SELECT {_COLUMNS} FROM entries WHERE message_id = ?", (message_id,)
        )
        row = await cursor.fetchone()
        if row is None:
            return None
        entry = _entry(tuple(row))
        cursor = await self._reader.execute(
            "SELECT step, output FROM checkpoints WHERE message_id = ? ORDER BY created_at",
            (message_id,),
        )
        steps = {step: output for step, output in await cursor.fetchall()}
        return Entry(**{**entry.__dict__, "checkpoints": steps})

    async def entries(
        self,
        *,
        states: Sequence[State] = (),
        types: Sequence[str] = (),
        since: float | None = None,
        until: float | None = None,
        limit: int | None = 100,
    ) -> list[Entry]:
        """Entries matching every given filter, oldest first."""
        where: list[str] = []
        params: list[Any] = []
        if states:
            where.append(f"state IN ({','.join('?' * len(states))})")
            params.extend(s.value for s in states)
        if types:
            where.append(f"type IN ({','.join('?' * len(types))})")
            params.extend(types)
        if since is not None:
            where.append("created_at >= ?")
            params.append(since)
        if until is not None:
            where.append("created_at < ?")
            params.append(until)
        sql = f"SELECT {_COLUMNS} FROM entries"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at, message_id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        cursor = await self._reader.execute(sql, params)
        return [_entry(tuple(r)) for r in await cursor.fetchall()]

    async def unsynced(self, limit: int, after: tuple[float, str] | None = None) -> list[SyncRow]:
        """Finished entries not yet in PostgreSQL, in (completed_at, message_id) order,
        starting after the key `after` (for paging through a backlog)."""
        where = ""
        params: list[Any] = [limit]
        if after is not None:
            where, params = "WHERE (u.completed_at, u.message_id) > (?, ?)", [*after, limit]
        cursor = await self._reader.execute(
            "SELECT e.message_id, e.type, e.version, e.state, e.attempts, e.envelope, e.outcome,"
            " e.error, e.created_at, u.completed_at FROM unsynced u"
            f" JOIN entries e ON e.message_id = u.message_id {where}"
            " ORDER BY u.completed_at, u.message_id LIMIT ?",
            params,
        )
        return [SyncRow(*r) for r in await cursor.fetchall()]

    async def backlog(self) -> int:
        """How many finished entries are not yet in PostgreSQL."""
        cursor = await self._reader.execute("SELECT count(*) FROM unsynced")
        row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def unfinished(self, touched_before: float) -> list[Entry]:
        """Entries left `received`/`processing` and not touched since `touched_before`."""
        cursor = await self._reader.execute(
            f"SELECT {_COLUMNS} FROM entries WHERE state IN ('received', 'processing')"
            " AND updated_at < ? ORDER BY updated_at",
            (touched_before,),
        )
        return [_entry(tuple(r)) for r in await cursor.fetchall()]

    async def stats(self) -> Stats:
        cursor = await self._reader.execute(
            "SELECT type, state, count(*) FROM entries GROUP BY type, state"
        )
        by_state: dict[str, int] = {s.value: 0 for s in State}
        by_type: dict[str, dict[str, int]] = {}
        for kind, state, count in await cursor.fetchall():
            by_state[state] += count
            by_type.setdefault(kind, {})[state] = count
        cursor = await self._reader.execute("SELECT count(*), min(completed_at) FROM unsynced")
        row = await cursor.fetchone()
        assert row is not None
        return Stats(by_state, by_type, row[0], row[1])

    async def meta(self) -> dict[str, str]:
        cursor = await self._reader.execute("SELECT key, value FROM meta ORDER BY key")
        return {k: v for k, v in await cursor.fetchall()}

    async def snapshot(self, destination: Path) -> None:
        """Write a consistent copy of the journal to `destination` (safe while it runs)."""
        if await asyncio.to_thread(destination.exists):
            raise JournalError(f"{destination} exists; choose a new file")
        await self._reader.execute("VACUUM INTO ?", (str(destination),))
