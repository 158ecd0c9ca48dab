"""The sync loop's PostgreSQL target: finished worker-journal entries land in
`journal.outcomes` (created by `schema/`), one round trip per batch.

A batch normally goes in by COPY; one shipped before (a crash between PostgreSQL's commit
and the journal's mark) goes through an `INSERT … SELECT FROM unnest(…) ON CONFLICT DO
NOTHING` keyed on the message id, so shipping twice is a no-op. Driver errors become the
port's `SyncUnavailable`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg

from journal.ports import SyncRow, SyncUnavailable

# What a PostgreSQL outage looks like from asyncpg: a server or network error, or a
# connection the server ended mid-COPY, which asyncpg reports as an InternalClientError
# ("cannot switch to state …") rather than an InterfaceError.
_UNAVAILABLE = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)


class PostgresTarget:
    """Ships into `journal.outcomes` (created by the `journal` migrations)."""

    _SQL = """
        INSERT INTO journal.outcomes
            (message_id, worker, type, version, state, attempts, envelope, outcome, error,
             received_at, completed_at)
        SELECT id, $2, kind, version, state, attempts, envelope, outcome, error,
               to_timestamp(received), to_timestamp(completed)
        FROM unnest($1::uuid[], $3::text[], $4::int[], $5::text[], $6::int[], $7::jsonb[],
                    $8::jsonb[], $9::text[], $10::float8[], $11::float8[])
             AS r (id, kind, version, state, attempts, envelope, outcome, error, received,
                   completed)
        ON CONFLICT (message_id) DO NOTHING
    """

    _COLUMNS = (
        "message_id",
        "worker",
        "type",
        "version",
        "state",
        "attempts",
        "envelope",
        "outcome",
        "error",
        "received_at",
        "completed_at",
    )

    def __init__(self, pool: asyncpg.Pool, timeout: float = 30.0) -> None:
        self._pool = pool
        self._timeout = timeout

    async def ship(self, worker: str, rows: Sequence[SyncRow]) -> None:
        try:
            await self._ship(worker, rows)
        except _UNAVAILABLE as exc:
            raise SyncUnavailable(f"PostgreSQL: {exc}") from exc

    async def _ship(self, worker: str, rows: Sequence[SyncRow]) -> None:
        # Optimistic COPY: a batch is normally new, and COPY is the cheapest way in. A batch
        # shipped before (a crash between PostgreSQL's commit and the journal's mark) fails
        # as a whole on the primary key and goes through the idempotent upsert instead.
        try:
            await self._pool.copy_records_to_table(
                "outcomes",
                schema_name="journal",
                columns=self._COLUMNS,
                records=[
                    (
                        uuid.UUID(r.message_id),
                        worker,
                        r.type,
                        r.version,
                        r.state,
                        r.attempts,
                        r.envelope,
                        r.outcome,
                        r.error,
                        _ts(r.created_at),
                        _ts(r.completed_at),
                    )
                    for r in rows
                ],
                timeout=self._timeout,
            )
        except asyncpg.UniqueViolationError:
            await self._upsert(worker, rows)

    async def _upsert(self, worker: str, rows: Sequence[SyncRow]) -> None:
        await self._pool.execute(
            self._SQL,
            [r.message_id for r in rows],
            worker,
            [r.type for r in rows],
            [r.version for r in rows],
            [r.state for r in rows],
            [r.attempts for r in rows],
            [r.envelope for r in rows],
            [r.outcome for r in rows],
            [r.error for r in rows],
            [r.created_at for r in rows],
            [r.completed_at for r in rows],
            timeout=self._timeout,
        )


def _ts(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
