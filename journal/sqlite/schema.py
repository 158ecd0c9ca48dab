"""The journal file's schema, versioned with `PRAGMA user_version` and migrated on open.

A journal file describes itself: the `meta` table names the format, the schema version,
the worker that writes it and when it was created, so any copy can be inspected alone.
"""

from __future__ import annotations

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
