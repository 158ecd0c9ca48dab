"""A domain's PostgreSQL store: one pooled connection per transaction, yielding the
domain's statements, with the outbox and the inbox of its schema.

A domain writes its SQL in two classes: `Store(PostgresStore[Tx])` for reads on the pool,
and `Tx(Statements)` for the statements of one transaction. Handlers compose them:

    async with store.transaction() as tx:
        if await tx.claim(message.envelope.message_id):
            await tx.save(...)
            await tx.enqueue([event])

`enqueue` adds events to the schema's outbox and `claim` records a message id in its
inbox, both in the caller's transaction, so an event leaves only if the change commits and
a redelivered message changes nothing twice.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import ClassVar, Generic, TypeVar

import asyncpg

from contracts import Envelope
from journal.postgres import inbox, outbox
from journal.postgres.outbox import Connection


class Statements:
    """Statements inside one transaction of `schema`; a domain's `Tx` adds its own."""

    schema: ClassVar[str]

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def enqueue(self, envelopes: Sequence[Envelope]) -> None:
        """Add events to the schema's outbox; they are published once this commits."""
        await outbox.enqueue(self._conn, self.schema, envelopes)

    async def erase_published(self, user_id: str) -> int:
        """Delete the schema's published outbox rows about `user_id` (on their erasure)."""
        return await outbox.erase_published(self._conn, self.schema, user_id)

    async def claim(self, message_id: uuid.UUID) -> bool:
        """Record a message as applied (the inbox); False if it already was."""
        return await inbox.claim(self._conn, self.schema, message_id, self.schema)


TxT = TypeVar("TxT", bound=Statements)


class PostgresStore(Generic[TxT]):
    """Reads on the pool, and `transaction()` for changes."""

    def __init__(self, pool: asyncpg.Pool, statements: type[TxT]) -> None:
        self._pool = pool
        self._statements = statements

    @asynccontextmanager
    async def transaction(self, *, lock: str | None = None) -> AsyncIterator[TxT]:
        """One transaction on a connection of the pool; commits when the block ends.

        With `lock`, it first takes a transaction-scoped advisory lock on `lock` within
        the schema, held until commit: transactions of the same key take turns.
        """
        async with self._pool.acquire() as conn, conn.transaction():
            if lock is not None:
                await conn.execute(
                    "SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))",
                    self._statements.schema,
                    lock,
                )
            yield self._statements(conn)
