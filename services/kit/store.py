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

A connection the server dropped (a killed backend, a restart, a network cut) is the one
fault handled here. A pooled connection is closed and replaced when it fails, and the
work is tried once more on a fresh one where that cannot apply anything twice: a
transaction whose `BEGIN` failed, and the reads `fetch`, `fetchrow` and `fetchval`. If
the fresh one fails too, or a transaction broke after it began, the error is the bus's
`Unavailable`: an event is retried later, a request answered `unavailable` (503 at the
gateway). Any other database error is the statement's and passes unchanged.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import asyncpg

from bus.ports import Unavailable
from contracts import Envelope
from journal.postgres import inbox, outbox
from journal.postgres.outbox import Connection

log = logging.getLogger(__name__)

# The connection failed, not the statement: lost (class 08), or ended by the server
# (class 57: pg_terminate_backend, shutdown, crash), or the socket itself.
_BROKEN = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.TooManyConnectionsError,
    OSError,
    TimeoutError,
)
# Not a broken connection by itself; broken when the connection is closed too.
_MAYBE = (asyncpg.InterfaceError, asyncpg.exceptions.InternalClientError)

R = TypeVar("R")
if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    Pooled = PoolConnectionProxy[asyncpg.Record]


def broken(exc: BaseException, conn: Pooled | None = None) -> bool:
    """Whether `exc` is a lost or refused connection rather than the statement's error."""
    if isinstance(exc, _BROKEN):
        return True
    return isinstance(exc, _MAYBE) and (conn is None or _closed(conn))


def _closed(conn: Pooled) -> bool:
    try:
        return conn.is_closed()
    except asyncpg.InterfaceError:  # the pool took back a connection that closed under us
        return True


def _unavailable(exc: BaseException) -> Unavailable:
    return Unavailable(f"PostgreSQL: {type(exc).__name__}: {exc}")


async def _discard(pool: asyncpg.Pool, conn: Pooled) -> None:
    """Close a broken connection, and have the pool replace its others on their next use:
    what ended one backend (a restart, a failover, an operator) has likely ended them all."""
    with contextlib.suppress(asyncpg.InterfaceError):  # already closed and taken back
        conn.terminate()
    await pool.release(conn)
    await pool.expire_connections()


class Pool:
    """The pool as a domain's store reads it: a read on a dropped connection is tried once
    more on a fresh one; a write (`execute`, `executemany`) is not, as it may have applied."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.raw = pool

    async def _read(self, call: Callable[[Pooled], Awaitable[R]]) -> R:
        conn, result = await _on_a_live_connection(self.raw, call, "reading")
        await self.raw.release(conn)
        return result

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        return await self._read(lambda conn: conn.fetch(query, *args))

    async def fetchrow(self, query: str, *args: Any) -> asyncpg.Record | None:
        return await self._read(lambda conn: conn.fetchrow(query, *args))

    async def fetchval(self, query: str, *args: Any) -> Any:
        return await self._read(lambda conn: conn.fetchval(query, *args))

    async def execute(self, query: str, *args: Any) -> str:
        async with self.writing() as conn:
            status: str = await conn.execute(query, *args)
            return status

    async def executemany(self, query: str, args: Any) -> None:
        async with self.writing() as conn:
            await conn.executemany(query, args)

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[Pooled]:
        """A connection for statements that must not be repeated; a dropped one is
        discarded and reported as `Unavailable`."""
        conn = await _acquire(self.raw)
        try:
            yield conn
        except Exception as exc:
            if broken(exc, conn):
                await _discard(self.raw, conn)
                raise _unavailable(exc) from exc
            await self.raw.release(conn)
            raise
        else:
            await self.raw.release(conn)


async def _on_a_live_connection(
    pool: asyncpg.Pool, start: Callable[[Pooled], Awaitable[R]], doing: str
) -> tuple[Pooled, R]:
    """Run `start` on a pooled connection and keep it held. One the server dropped while it
    sat in the pool fails its first statement: it is replaced, and `start` runs once more."""
    for tries_left in (1, 0):
        conn = await _acquire(pool)
        try:
            return conn, await start(conn)
        except Exception as exc:
            if not broken(exc, conn):
                await pool.release(conn)
                raise
            await _discard(pool, conn)
            if not tries_left:
                raise _unavailable(exc) from exc
            log.warning("PostgreSQL connection lost (%s); %s again on a new one", exc, doing)
    raise AssertionError("unreachable")


async def _acquire(pool: asyncpg.Pool) -> Pooled:
    try:
        conn: Pooled = await pool.acquire()
    except Exception as exc:
        if broken(exc):
            raise _unavailable(exc) from exc
        raise
    return conn


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
        self._pool = Pool(pool)
        self._statements = statements

    @asynccontextmanager
    async def transaction(self, *, lock: str | None = None) -> AsyncIterator[TxT]:
        """One transaction on a connection of the pool; commits when the block ends.

        With `lock`, it first takes a transaction-scoped advisory lock on `lock` within
        the schema, held until commit: transactions of the same key take turns.
        """
        pool = self._pool.raw
        conn, tx = await self._begin(pool)
        try:
            if lock is not None:
                await conn.execute(
                    "SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))",
                    self._statements.schema,
                    lock,
                )
            yield self._statements(conn)
        except Exception as exc:
            if broken(exc, conn):
                await _discard(pool, conn)
                raise _unavailable(exc) from exc
            try:
                await tx.rollback()
            finally:
                await pool.release(conn)
            raise
        except BaseException:  # cancelled: the pool's reset rolls back
            await pool.release(conn)
            raise
        try:
            await tx.commit()
        except Exception as exc:
            if broken(exc, conn):  # it may or may not have committed; the caller asks again
                await _discard(pool, conn)
                raise _unavailable(exc) from exc
            await pool.release(conn)
            raise
        await pool.release(conn)

    @staticmethod
    async def _begin(pool: asyncpg.Pool) -> tuple[Pooled, Any]:
        async def begin(conn: Pooled) -> Any:
            tx = conn.transaction()
            await tx.start()
            return tx

        return await _on_a_live_connection(pool, begin, "beginning")
