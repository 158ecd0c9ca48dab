"""The journal's one writer: every write goes through one task that group-commits
whatever arrived meanwhile. Begins, checkpoints, completions and sync marks from many
concurrent deliveries become one SQLite transaction with one `executemany` per kind.

This is the only module allowed to touch aiosqlite's internals: it hands a whole batch to
the connection's thread as one call (`Connection._execute` on `Connection._conn`), which
saves a thread round trip per statement. aiosqlite has no public way to do that; the
version range is capped in `pyproject.toml` and `tests/unit/journal/sqlite/test_writer.py`
pins the internals this relies on (ADR 0014).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import aiosqlite

from journal.sqlite.entries import Begun, JournalError, State

Kind = Literal["begin", "processing", "checkpoint", "finish", "synced", "prune", "reopen"]


@dataclass
class _Op:
    kind: Kind
    args: tuple[Any, ...]
    future: asyncio.Future[Any] | None


class BatchWriter:
    """Owns the journal's writing connection; `start()` it, `close()` it."""

    def __init__(self, path: Path, connection: aiosqlite.Connection, max_batch: int) -> None:
        self._path = path
        self._connection = connection
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Op | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.commits = 0  # transactions written, for tests and benchmarks

    def start(self) -> None:
        self._task = asyncio.create_task(self._write_loop(), name=f"journal:{self._path}")

    async def close(self) -> None:
        """Write what is queued, then close the connection."""
        if self._task is not None:
            await self._queue.put(None)
            await self._task
            self._task = None
        await self._connection.close()

    def enqueue(self, kind: Kind, args: tuple[Any, ...]) -> None:
        """Queue a write nobody waits for; it goes with the next batch."""
        self._put(_Op(kind, args, None))

    async def submit(self, kind: Kind, args: tuple[Any, ...]) -> Any:
        """Queue a write and wait until its batch has committed; return its result."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._put(_Op(kind, args, future))
        return await future

    def _put(self, op: _Op) -> None:
        if self._task is None:
            raise JournalError(f"{self._path} is closed")
        self._queue.put_nowait(op)

    async def _write_loop(self) -> None:
        closing = False
        while not closing:
            first = await self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < self._max_batch and not self._queue.empty():
                op = self._queue.get_nowait()
                if op is None:
                    closing = True
                    break
                batch.append(op)
            try:
                results = await self._apply(batch)
            except Exception as exc:  # the whole transaction rolled back: every waiter learns
                error = JournalError(f"journal write failed: {exc}")
                for op in batch:
                    if op.future is not None and not op.future.done():
                        op.future.set_exception(error)
                continue
            for op in batch:
                if op.future is not None and not op.future.done():
                    op.future.set_result(results.get(id(op)))

    async def _apply(self, batch: list[_Op]) -> dict[int, Any]:
        """Write a batch in one transaction, in one hop to the connection's thread."""
        db = self._connection
        results: dict[int, Any] = await db._execute(_apply_batch, db._conn, batch)  # type: ignore[no-untyped-call]
        self.commits += 1
        return results


def _apply_batch(db: sqlite3.Connection, batch: list[_Op]) -> dict[int, Any]:
    by_kind: dict[str, list[_Op]] = {}
    for op in batch:
        by_kind.setdefault(op.kind, []).append(op)
    results: dict[int, Any] = {}
    db.execute("BEGIN IMMEDIATE")
    try:
        if begins := by_kind.get("begin"):
            db.executemany(
                "INSERT INTO entries (message_id, type, version, envelope, state, attempts,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, 'received', 1, ?, ?)"
                " ON CONFLICT (message_id) DO UPDATE SET attempts = attempts + 1,"
                " updated_at = excluded.updated_at",
                [op.args for op in begins],
            )
            results.update(_begun(db, begins))
        if marks := by_kind.get("processing"):
            db.executemany(
                "UPDATE entries SET state = 'processing', updated_at = ?"
                " WHERE message_id = ? AND state = 'received'",
                [op.args for op in marks],
            )
        if checkpoints := by_kind.get("checkpoint"):
            db.executemany(
                "INSERT OR REPLACE INTO checkpoints (message_id, step, output, created_at)"
                " VALUES (?, ?, ?, ?)",
                [op.args for op in checkpoints],
            )
        if finishes := by_kind.get("finish"):
            db.executemany(
                "UPDATE entries SET state = ?, outcome = ?, error = ?, completed_at = ?,"
                " updated_at = ? WHERE message_id = ?",
                [op.args for op in finishes],
            )
            db.executemany(
                "INSERT OR REPLACE INTO unsynced (message_id, completed_at) VALUES (?, ?)",
                [(op.args[5], op.args[3]) for op in finishes],
            )
        for op in by_kind.get("synced", []):
            db.execute(
                "DELETE FROM unsynced WHERE message_id IN (SELECT value FROM json_each(?))",
                (json.dumps(op.args),),
            )
        for op in by_kind.get("reopen", []):
            ids, keep = op.args
            db.executemany(
                "UPDATE entries SET state = 'received', attempts = 0, outcome = NULL,"
                " error = NULL, completed_at = NULL, updated_at = ?"
                " WHERE message_id = ?",
                [(time.time(), mid) for mid in ids],
            )
            db.executemany("DELETE FROM unsynced WHERE message_id = ?", [(m,) for m in ids])
            if not keep:
                db.executemany("DELETE FROM checkpoints WHERE message_id = ?", [(m,) for m in ids])
        for op in by_kind.get("prune", []):
            gone = [
                r[0]
                for r in db.execute(
                    "DELETE FROM entries WHERE state IN ('completed', 'failed')"
                    " AND completed_at < ?"
                    " AND message_id NOT IN (SELECT message_id FROM unsynced)"
                    " RETURNING message_id",
                    op.args,
                ).fetchall()
            ]
            db.executemany("DELETE FROM checkpoints WHERE message_id = ?", [(m,) for m in gone])
            results[id(op)] = len(gone)
        db.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        raise
    return results


def _begun(db: sqlite3.Connection, begins: list[_Op]) -> dict[int, Begun]:
    ids = list({op.args[0] for op in begins})
    rows = {
        r[0]: r
        for r in db.execute(
            "SELECT message_id, state, attempts, outcome, error FROM entries"
            f" WHERE message_id IN ({','.join('?' * len(ids))})",
            ids,
        ).fetchall()
    }
    again = [mid for mid, r in rows.items() if r[2] > 1]
    steps: dict[str, dict[str, str]] = {}
    if again:
        for mid, step, output in db.execute(
            "SELECT message_id, step, output FROM checkpoints"
            f" WHERE message_id IN ({','.join('?' * len(again))})",
            again,
        ).fetchall():
            steps.setdefault(mid, {})[step] = output
    out = {}
    for op in begins:
        mid = op.args[0]
        row = rows[mid]
        outcome = json.loads(row[3]) if row[3] is not None else None
        out[id(op)] = Begun(mid, State(row[1]), row[2], outcome, steps.get(mid, {}), row[4])
    return out
