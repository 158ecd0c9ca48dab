"""The character schema in PostgreSQL: the catalog, ownership, per-scan grants, erasures.

Every change runs in `Store.of_user(user_id)`, a transaction that holds a lock on that user until
commit: grants, the default grant and erasure of one user take turns, so two concurrent
scans cannot both acquire the same character and an erasure cannot miss a grant in flight.
Only SQL lives here.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

import asyncpg

from contracts.character.v1 import Character, GrantStatus, OwnedCharacter, Source
from services.kit.store import PostgresStore, Statements

SCHEMA = "character"


@dataclass(frozen=True)
class GrantRow:
    """The answer recorded for one scan."""

    scan_id: str
    user_id: uuid.UUID
    character_code: str
    status: GrantStatus


class Store(PostgresStore["Tx"]):
    def __init__(self, pool: asyncpg.Pool) -> None:
        super().__init__(pool, Tx)

    def of_user(self, user_id: uuid.UUID) -> AbstractAsyncContextManager[Tx]:
        """A transaction holding `user_id`'s lock (a transaction-scoped advisory lock)."""
        return self.transaction(lock=str(user_id))

    async def seed(self, catalog: Sequence[Character]) -> None:
        """Upsert the catalog; rows that already match are left untouched."""
        await self._pool.executemany(
            'INSERT INTO "character".characters AS c (code, name, type, dialog, middle, position)'
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO UPDATE"
            " SET name = excluded.name, type = excluded.type, dialog = excluded.dialog,"
            " middle = excluded.middle, position = excluded.position"
            " WHERE (c.name, c.type, c.dialog, c.middle, c.position)"
            " IS DISTINCT FROM (excluded.name, excluded.type, excluded.dialog,"
            " excluded.middle, excluded.position)",
            [(c.code, c.name, c.type, c.dialog, c.middle, i) for i, c in enumerate(catalog)],
        )

    async def owned(self, user_id: uuid.UUID) -> list[OwnedCharacter]:
        """The user's characters: the default one first, then oldest first."""
        rows = await self._pool.fetch(
            "SELECT c.code, c.name, c.type, c.dialog, o.acquired_at, o.source"
            ' FROM "character".ownership o'
            ' JOIN "character".characters c ON c.code = o.character_code'
            " WHERE o.user_id = $1 ORDER BY o.source = 'default' DESC, o.acquired_at, c.position",
            user_id,
        )
        return [OwnedCharacter(**dict(row)) for row in rows]


class Tx(Statements):
    """Statements inside one user's transaction, beside the inbox's `claim`."""

    schema = SCHEMA

    async def erased(self, user_id: uuid.UUID) -> bool:
        found = await self._conn.fetchval(
            'SELECT true FROM "character".erased_users WHERE user_id = $1', user_id
        )
        return bool(found)

    async def grant_of(self, scan_id: str) -> GrantRow | None:
        row = await self._conn.fetchrow(
            "SELECT scan_id, user_id, character_code, status"
            ' FROM "character".grants WHERE scan_id = $1',
            scan_id,
        )
        return None if row is None else GrantRow(**dict(row))

    async def own(
        self, user_id: uuid.UUID, code: str, source: Source, scan_id: str | None = None
    ) -> bool:
        """Give `user_id` character `code`; False if they already had it."""
        inserted = await self._conn.fetchval(
            'INSERT INTO "character".ownership (user_id, character_code, source, scan_id)'
            " VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, character_code) DO NOTHING"
            " RETURNING true",
            user_id,
            code,
            source,
            scan_id,
        )
        return bool(inserted)

    async def record_grant(self, grant: GrantRow) -> bool:
        """Store the answer for a scan; False if that scan already has one."""
        inserted = await self._conn.fetchval(
            'INSERT INTO "character".grants (scan_id, user_id, character_code, status)'
            " VALUES ($1, $2, $3, $4) ON CONFLICT (scan_id) DO NOTHING RETURNING true",
            grant.scan_id,
            grant.user_id,
            grant.character_code,
            grant.status,
        )
        return bool(inserted)

    async def erase(self, user_id: uuid.UUID) -> None:
        """Delete the user's ownership and grants; remember only that they were erased."""
        await self._conn.execute('DELETE FROM "character".ownership WHERE user_id = $1', user_id)
        await self._conn.execute('DELETE FROM "character".grants WHERE user_id = $1', user_id)
        await self._conn.execute(
            'INSERT INTO "character".erased_users (user_id) VALUES ($1) ON CONFLICT DO NOTHING',
            user_id,
        )
