"""The journal store: one entry per message id in an aiosqlite WAL file.

Writes go through one writer task that group-commits whatever arrived meanwhile: begins,
checkpoints, completions and sync marks from many concurrent deliveries become one
transaction with one `executemany` per kind. Reads use a second connection, which WAL
lets run beside the writer; another process may read the file the same way.

With `synchronous=NORMAL` (the default) a committed entry survives the worker process
being killed; `FULL` also survives the machine losing power, at a cost per commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import aiosqlite

from contracts import Envelope
from journal.sqlite import schema


class JournalError(Exception):
    """The journal file cannot be used; the message says why."""


class JournalNotFound(JournalError):
    pass


class JournalCorrupt(JournalError):
    pass


class State(StrEnum):
    RECEIVED = "received"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (State.COMPLETED, State.FAILED)


@dataclass(frozen=True)
class Begun:
    """What `begin` found: the entry's state after counting this attempt."""

    message_id: str
    state: State
    attempts: int
    outcome: list[dict[str, Any]] | None
    checkpoints: dict[str, str]
    error: str | None = None


@dataclass(frozen=True)
class Entry:
    message_id: str
    type: str
    version: int
    envelope: dict[str, Any]
    state: State
    attempts: int
    outcome: list[dict[str, Any]] | None
    error: str | None
    created_at: float
    updated_at: float
    completed_at: float | None
    synced: bool
    checkpoints: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "type": self.type,
            "version": self.version,
            "state": self.state.value,
            "attempts": self.attempts,
            "synced": self.synced,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "completed_at": self.completed_at,
            "error": self.error,
            "envelope": self.envelope,
            "outcome": self.outcome,
            "checkpoints": self.checkpoints,
        }


@dataclass(frozen=True)
class SyncRow:
    """A finished entry as the sync loop ships it: JSON stays text, never decoded."""

    message_id: str
    type: str
    version: int
    state: str
    attempts: int
    envelope: str
    outcome: str | None
    error: str | None
    created_at: float
    completed_at: float


@dataclass(frozen=True)
class Stats:
    by_state: dict[str, int]
    by_type: dict[str, dict[str, int]]
    backlog: int
    oldest_unsynced: float | None


@dataclass
class _Op:
    kind: Literal["begin", "processing", "checkpoint", "finish", "synced", "prune", "reopen"]
    args: tuple[Any, ...]
    future: asyncio.Future[Any] | None


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
        writer: aiosqlite.Connection | None,
        max_batch: int,
    ) -> None:
        self.path = path
        self._reader = reader
        self._writer = writer
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Op | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.commits = 0  # transactions written, for tests and benchmarks

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
                await _migrate(writer, worker)
                reader = await aiosqlite.connect(path, isolation_level=None)
            else:
                reader = await aiosqlite.connect(f"file:{path}?mode=ro", uri=True)
            opened.append(reader)
            await reader.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            await _check_format(reader, path)
        except BaseException as exc:
            for connection in opened:
                await connection.close()
            if isinstance(exc, sqlite3.DatabaseError):
                raise JournalCorrupt(f"{path} is not a usable journal: {exc}") from exc
            raise
        journal = cls(path, reader, writer, max_batch)
        if writer is not None:
            journal._task = asyncio.create_task(journal._write_loop(), name=f"journal:{path}")
        return journal

    async def close(self) -> None:
        if self._task is not None:
            await self._queue.put(None)
            await self._task
            self._task = None
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
        self._enqueue("processing", (time.time(), message_id), None)

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

    def _enqueue(
        self, kind: Any, args: tuple[Any, ...], future: asyncio.Future[Any] | None
    ) -> None:
        if self._task is None:
            raise JournalError(f"{self.path} is open read-only")
        self._queue.put_nowait(_Op(kind, args, future))

    async def _submit(self, kind: Any, args: tuple[Any, ...]) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._enqueue(kind, args, future)
        return await future

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
        db = self._writer
        assert db is not None
        # aiosqlite runs every call of a connection on that connection's thread; handing it
        # the whole batch as one call saves a thread round trip per statement.
        results: dict[int, Any] = await db._execute(_apply_batch, db._conn, batch)  # type: ignore[no-untyped-call]
        self.commits += 1
        return results

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


async def _migrate(db: aiosqlite.Connection, worker: str) -> None:
    cursor = await db.execute("PRAGMA user_version")
    row = await cursor.fetchone()
    current = row[0] if row else 0
    if current > schema.VERSION:
        raise JournalError(
            f"journal schema v{current} is newer than this program's v{schema.VERSION}"
        )
    if current == schema.VERSION:
        return
    if current == 0:
        cursor = await db.execute("SELECT count(*) FROM sqlite_master")
        row = await cursor.fetchone()
        if row and row[0]:
            raise JournalCorrupt("the file holds tables but is not an eco2 journal")
    await db.execute("BEGIN IMMEDIATE")
    try:
        for version in range(current, schema.VERSION):
            for statement in _statements(schema.MIGRATIONS[version]):
                await db.execute(statement)
        now = str(time.time())
        await db.executemany(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            [
                ("format", schema.FORMAT),
                ("schema_version", str(schema.VERSION)),
                ("worker", worker or "unknown"),
                ("host", socket.gethostname()),
            ]
            + ([("created_at", now)] if current == 0 else []),
        )
        await db.execute(f"PRAGMA user_version = {schema.VERSION}")
        await db.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            await db.execute("ROLLBACK")
        raise


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


async def _check_format(db: aiosqlite.Connection, path: Path) -> None:
    try:
        cursor = await db.execute("SELECT value FROM meta WHERE key = 'format'")
        row = await cursor.fetchone()
    except sqlite3.OperationalError as exc:
        raise JournalCorrupt(f"{path} is not an eco2 journal ({exc})") from exc
    if row is None or row[0] != schema.FORMAT:
        raise JournalCorrupt(f"{path} is not an eco2 journal")
