"""The journal file's schema, versioned with `PRAGMA user_version` and migrated on open.

A journal file describes itself: the `meta` table names the format, the schema version,
the worker that writes it and when it was created, so any copy can be inspected alone.
"""

from __future__ import annotations

import contextlib
import socket
import sqlite3
import time
from pathlib import Path

import aiosqlite

from journal.sqlite.entries import JournalCorrupt, JournalError

FORMAT = "eco2-journal"

# Index i holds the script that takes a file from version i to version i + 1.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    -- A rowid table: entries carry the envelope inline, and SQLite handles large rows of a
    -- WITHOUT ROWID table several times slower.
    CREATE TABLE entries (
        message_id   TEXT PRIMARY KEY,
        type         TEXT NOT NULL,
        version      INTEGER NOT NULL,
        envelope     TEXT NOT NULL,
        state        TEXT NOT NULL
                     CHECK (state IN ('received', 'processing', 'completed', 'failed')),
        attempts     INTEGER NOT NULL,
        outcome      TEXT,
        error        TEXT,
        created_at   REAL NOT NULL,
        updated_at   REAL NOT NULL,
        completed_at REAL
    );
    -- Finished entries not yet in PostgreSQL. A small table of its own, so marking a batch
    -- synced deletes short rows instead of rewriting entries.
    CREATE TABLE unsynced (
        message_id   TEXT PRIMARY KEY,
        completed_at REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX unsynced_order ON unsynced (completed_at, message_id);
    CREATE INDEX entries_open ON entries (updated_at)
        WHERE state IN ('received', 'processing');
    CREATE INDEX entries_type ON entries (type, created_at);
    CREATE TABLE checkpoints (
        message_id TEXT NOT NULL,
        step       TEXT NOT NULL,
        output     TEXT NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (message_id, step)
    ) WITHOUT ROWID;
    """,
)

VERSION = len(MIGRATIONS)


async def migrate(db: aiosqlite.Connection, worker: str) -> None:
    """Bring the file to `VERSION`, creating it when empty; refuse a newer or foreign one."""
    cursor = await db.execute("PRAGMA user_version")
    row = await cursor.fetchone()
    current = row[0] if row else 0
    if current > VERSION:
        raise JournalError(f"journal schema v{current} is newer than this program's v{VERSION}")
    if current == VERSION:
        return
    if current == 0:
        cursor = await db.execute("SELECT count(*) FROM sqlite_master")
        row = await cursor.fetchone()
        if row and row[0]:
            raise JournalCorrupt("the file holds tables but is not an eco2 journal")
    await db.execute("BEGIN IMMEDIATE")
    try:
        for version in range(current, VERSION):
            for statement in _statements(MIGRATIONS[version]):
                await db.execute(statement)
        now = str(time.time())
        await db.executemany(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            [
                ("format", FORMAT),
                ("schema_version", str(VERSION)),
                ("worker", worker or "unknown"),
                ("host", socket.gethostname()),
            ]
            + ([("created_at", now)] if current == 0 else []),
        )
        await db.execute(f"PRAGMA user_version = {VERSION}")
        await db.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            await db.execute("ROLLBACK")
        raise


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


async def check_format(db: aiosqlite.Connection, path: Path) -> None:
    """Refuse a file that is not an eco2 journal."""
    try:
        cursor = await db.execute("SELECT value FROM meta WHERE key = 'format'")
        row = await cursor.fetchone()
    except sqlite3.OperationalError as exc:
        raise JournalCorrupt(f"{path} is not an eco2 journal ({exc})") from exc
    if row is None or row[0] != FORMAT:
        raise JournalCorrupt(f"{path} is not an eco2 journal")
