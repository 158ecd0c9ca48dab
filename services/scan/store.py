"""The scan schema in PostgreSQL: scans, the idempotency keys, the outbox and the inbox.

Handlers open a `transaction()` and compose the statements of `Tx`; the `scan.requested`
event goes into the same transaction (the outbox), and every applied event's id into the
inbox. Only SQL lives here.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from contracts.scan.v1 import ScanError, ScanResult
from services.kit.store import PostgresStore, Statements
from services.scan.domain import IDEMPOTENCY_WINDOW, ScanState

SCHEMA = "scan"
_COLUMNS = (
    "id, user_id, status, stage, progress, created_at, completed_at, result,"
    " error_code, error_message"
)


def _state(row: asyncpg.Record | None) -> ScanState | None:
    if row is None:
        return None
    result = row["result"]
    error = row["error_code"]
    return ScanState(
        id=row["id"],
        user_id=row["user_id"],
        status=row["status"],
        stage=row["stage"],
        progress=row["progress"],
        created_at=row["created_at"],
        completed_at=row["completed_at"],
        result=None if result is None else ScanResult.model_validate_json(result),
        error=None if error is None else ScanError(code=error, message=row["error_message"]),
    )


class Store(PostgresStore["Tx"]):
    def __init__(self, pool: asyncpg.Pool) -> None:
        super().__init__(pool, Tx)

    async def forget_expired_keys(self) -> int:
        """Delete idempotency keys older than the window (nobody can use them); how many."""
        status: str = await self._pool.execute(
            "DELETE FROM scan.idempotency_keys WHERE created_at < now() - $1::interval",
            IDEMPOTENCY_WINDOW,
        )
        return int(status.rsplit(" ", 1)[-1])

    async def scan(self, scan_id: uuid.UUID, user_id: str) -> ScanState | None:
        return _state(
            await self._pool.fetchrow(
                f"SELECT {_COLUMNS} FROM scan.scans WHERE id = $1 AND user_id = $2",
                scan_id,
                user_id,
            )
        )

    async def page(
        self, user_id: str, limit: int, after: tuple[datetime, uuid.UUID] | None
    ) -> list[ScanState]:
        """Up to `limit` of the user's scans, newest first, after the keyset position."""
        if after is None:
            rows = await self._pool.fetch(
                f"SELECT {_COLUMNS} FROM scan.scans WHERE user_id = $1"
                " ORDER BY created_at DESC, id DESC LIMIT $2",
                user_id,
                limit,
            )
        else:
            rows = await self._pool.fetch(
                f"SELECT {_COLUMNS} FROM scan.scans WHERE user_id = $1"
                " AND (created_at, id) < ($2, $3)"
                " ORDER BY created_at DESC, id DESC LIMIT $4",
                user_id,
                after[0],
                after[1],
                limit,
            )
        return [s for s in map(_state, rows) if s is not None]


class Tx(Statements):
    """Statements inside one transaction, beside the outbox's `enqueue` and the inbox's
    `claim`."""

    schema = SCHEMA

    async def created_by(self, request_id: uuid.UUID) -> ScanState | None:
        """The scan an earlier delivery of this `scan.create` request created."""
        return _state(
            await self._conn.fetchrow(
                f"SELECT {_COLUMNS} FROM scan.scans WHERE created_by = $1", request_id
            )
        )

    async def take_key(self, user_id: str, key: str, scan_id: uuid.UUID) -> uuid.UUID:
        """Bind (user, key) to `scan_id` unless a binding younger than the window holds it;
        the scan id bound now. A concurrent request with the same key waits for ours."""
        taken: uuid.UUID | None = await self._conn.fetchval(
            "INSERT INTO scan.idempotency_keys AS k (user_id, key, scan_id) VALUES ($1, $2, $3)"
            " ON CONFLICT (user_id, key) DO UPDATE"
            " SET scan_id = excluded.scan_id, created_at = excluded.created_at"
            " WHERE k.created_at < now() - $4::interval RETURNING scan_id",
            user_id,
            key,
            scan_id,
            IDEMPOTENCY_WINDOW,
        )
        if taken is not None:
            return taken
        held: uuid.UUID = await self._conn.fetchval(
            "SELECT scan_id FROM scan.idempotency_keys WHERE user_id = $1 AND key = $2",
            user_id,
            key,
        )
        return held

    async def insert(
        self, scan_id: uuid.UUID, user_id: str, image_key: str, hint: str, request_id: uuid.UUID
    ) -> ScanState | None:
        """A new queued scan; None when a concurrent delivery of the request made it."""
        return _state(
            await self._conn.fetchrow(
                "INSERT INTO scan.scans"
                " (id, user_id, image_key, hint, status, stage, progress, created_by)"
                " VALUES ($1, $2, $3, $4, 'queued', 'queued', 0, $5)"
                f" ON CONFLICT (created_by) DO NOTHING RETURNING {_COLUMNS}",
                scan_id,
                user_id,
                image_key,
                hint,
                request_id,
            )
        )

    async def scan(self, scan_id: uuid.UUID) -> ScanState | None:
        return _state(
            await self._conn.fetchrow(f"SELECT {_COLUMNS} FROM scan.scans WHERE id = $1", scan_id)
        )

    async def lock(self, scan_id: uuid.UUID) -> ScanState | None:
        """The scan, locked until commit (its events are applied one at a time)."""
        return _state(
            await self._conn.fetchrow(
                f"SELECT {_COLUMNS} FROM scan.scans WHERE id = $1 FOR UPDATE", scan_id
            )
        )

    async def save(self, state: ScanState) -> None:
        result, error = state.result, state.error
        await self._conn.execute(
            "UPDATE scan.scans SET status = $2, stage = $3, progress = $4, completed_at = $5,"
            " result = $6::jsonb, model = $7, error_code = $8, error_message = $9,"
            " updated_at = clock_timestamp() WHERE id = $1",
            state.id,
            state.status,
            state.stage,
            state.progress,
            state.completed_at,
            None if result is None else result.model_dump_json(),
            None if result is None else result.model,
            None if error is None else error.code,
            None if error is None else error.message,
        )

    async def erase(self, user_id: str) -> int:
        """Delete the user's scans, idempotency keys and published outbox rows (their image
        keys and hints); how many scans there were."""
        await self._conn.execute("DELETE FROM scan.idempotency_keys WHERE user_id = $1", user_id)
        await self.erase_published(user_id)
        status: str = await self._conn.execute("DELETE FROM scan.scans WHERE user_id = $1", user_id)
        return int(status.rsplit(" ", 1)[-1])
