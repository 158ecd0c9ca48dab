"""The accounts schema in PostgreSQL: users, credentials, identities, sessions, tokens.

Handlers open a `transaction()` and compose the statements of `Tx`; every event they emit
goes into the same transaction through `Tx.enqueue` (the outbox). Only SQL lives here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from contracts.accounts.v1 import UserView
from services.kit.store import PostgresStore, Statements

SCHEMA = "accounts"
_USER = "u.id, u.email, u.nickname, u.created_at, u.registered_by, u.deleted_at, u.deleted_by"


@dataclass(frozen=True)
class UserRow:
    id: uuid.UUID
    email: str | None
    nickname: str | None
    created_at: datetime
    registered_by: uuid.UUID | None
    deleted_at: datetime | None
    deleted_by: uuid.UUID | None

    def view(self) -> UserView:
        return UserView(
            id=str(self.id),
            email=self.email or "",
            nickname=self.nickname or "",
            created_at=self.created_at,
        )


@dataclass(frozen=True)
class RefreshRow:
    """A refresh token with its session, locked for this transaction."""

    session_id: uuid.UUID
    secret_hash: bytes
    expires_at: datetime
    used_at: datetime | None
    used_by: uuid.UUID | None
    session_revoked: bool
    provider: str
    user: UserRow


def _user(row: asyncpg.Record | None) -> UserRow | None:
    if row is None:
        return None
    return UserRow(*(row[k] for k in UserRow.__dataclass_fields__))


class Store(PostgresStore["Tx"]):
    def __init__(self, pool: asyncpg.Pool) -> None:
        super().__init__(pool, Tx)

    async def user(self, user_id: uuid.UUID) -> UserRow | None:
        return _user(
            await self._pool.fetchrow(
                f"SELECT {_USER} FROM accounts.users u WHERE id = $1", user_id
            )
        )

    async def credentials(self, email: str) -> tuple[UserRow, str] | None:
        """A live user with a password, by normalised email, and the password's hash."""
        row = await self._pool.fetchrow(
            f"SELECT {_USER}, c.hash FROM accounts.users u"
            " JOIN accounts.password_credentials c ON c.user_id = u.id"
            " WHERE u.email = $1 AND u.deleted_at IS NULL",
            email,
        )
        if row is None:
            return None
        user = _user(row)
        assert user is not None
        return user, row["hash"]


class Tx(Statements):
    """Statements inside one transaction, beside the outbox's `enqueue`."""

    schema = SCHEMA

    async def insert_user(self, email: str, nickname: str, request_id: uuid.UUID) -> UserRow | None:
        """A new user, or None when the email is taken."""
        return _user(
            await self._conn.fetchrow(
                "INSERT INTO accounts.users AS u (id, email, nickname, registered_by)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT (email) DO NOTHING"
                f" RETURNING {_USER}",
                uuid.uuid4(),
                email,
                nickname,
                request_id,
            )
        )

    async def user_by_email(self, email: str) -> UserRow | None:
        return _user(
            await self._conn.fetchrow(
                f"SELECT {_USER} FROM accounts.users u WHERE email = $1", email
            )
        )

    async def lock_user(self, user_id: uuid.UUID) -> UserRow | None:
        return _user(
            await self._conn.fetchrow(
                f"SELECT {_USER} FROM accounts.users u WHERE id = $1 FOR UPDATE", user_id
            )
        )

    async def user_by_identity(self, provider: str, subject: str) -> UserRow | None:
        return _user(
            await self._conn.fetchrow(
                f"SELECT {_USER} FROM accounts.users u"
                " JOIN accounts.identities i ON i.user_id = u.id"
                " WHERE i.provider = $1 AND i.subject = $2 AND u.deleted_at IS NULL",
                provider,
                subject,
            )
        )

    async def link_identity(self, provider: str, subject: str, user_id: uuid.UUID) -> None:
        await self._conn.execute(
            "INSERT INTO accounts.identities (provider, subject, user_id) VALUES ($1, $2, $3)",
            provider,
            subject,
            user_id,
        )

    async def set_password(self, user_id: uuid.UUID, hashed: str) -> None:
        await self._conn.execute(
            "INSERT INTO accounts.password_credentials (user_id, hash) VALUES ($1, $2)"
            " ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, updated_at = now()",
            user_id,
            hashed,
        )

    async def update_nickname(self, user_id: uuid.UUID, nickname: str) -> UserRow | None:
        return _user(
            await self._conn.fetchrow(
                "UPDATE accounts.users AS u SET nickname = $2"
                f" WHERE id = $1 AND deleted_at IS NULL RETURNING {_USER}",
                user_id,
                nickname,
            )
        )

    async def erase_user(self, user_id: uuid.UUID, request_id: uuid.UUID) -> datetime:
        """Delete everything personal (the published outbox rows that name the user too:
        their email and nickname); keep an anonymous row so the id is never reused."""
        await self._conn.execute("DELETE FROM accounts.sessions WHERE user_id = $1", user_id)
        await self._conn.execute(
            "DELETE FROM accounts.password_credentials WHERE user_id = $1", user_id
        )
        await self._conn.execute("DELETE FROM accounts.identities WHERE user_id = $1", user_id)
        await self.erase_published(str(user_id))
        deleted_at: datetime = await self._conn.fetchval(
            "UPDATE accounts.users SET email = NULL, nickname = NULL, deleted_at = now(),"
            " deleted_by = $2 WHERE id = $1 RETURNING deleted_at",
            user_id,
            request_id,
        )
        return deleted_at

    async def insert_session(self, user_id: uuid.UUID, provider: str) -> uuid.UUID:
        session_id = uuid.uuid4()
        await self._conn.execute(
            "INSERT INTO accounts.sessions (id, user_id, provider) VALUES ($1, $2, $3)",
            session_id,
            user_id,
            provider,
        )
        return session_id

    async def revoke_session(self, session_id: uuid.UUID, user_id: uuid.UUID, reason: str) -> None:
        await self._conn.execute(
            "UPDATE accounts.sessions SET revoked_at = now(), revoked_reason = $3"
            " WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
            session_id,
            user_id,
            reason,
        )

    async def insert_refresh(
        self, token_id: uuid.UUID, digest: bytes, session_id: uuid.UUID, ttl: int
    ) -> None:
        await self._conn.execute(
            "INSERT INTO accounts.refresh_tokens (id, session_id, secret_hash, expires_at)"
            " VALUES ($1, $2, $3, now() + $4::interval)",
            token_id,
            session_id,
            digest,
            timedelta(seconds=ttl),
        )

    async def lock_refresh(self, token_id: uuid.UUID) -> RefreshRow | None:
        """The token and its session, both locked until commit (concurrent refreshes queue)."""
        row = await self._conn.fetchrow(
            f"SELECT t.session_id, t.secret_hash, t.expires_at, t.used_at, t.used_by,"
            f" s.revoked_at IS NOT NULL AS session_revoked, s.provider, {_USER}"
            " FROM accounts.refresh_tokens t"
            " JOIN accounts.sessions s ON s.id = t.session_id"
            " JOIN accounts.users u ON u.id = s.user_id"
            " WHERE t.id = $1 FOR UPDATE OF t, s",
            token_id,
        )
        if row is None:
            return None
        user = _user(row)
        assert user is not None
        return RefreshRow(
            row["session_id"],
            row["secret_hash"],
            row["expires_at"],
            row["used_at"],
            row["used_by"],
            row["session_revoked"],
            row["provider"],
            user,
        )

    async def mark_used(self, token_id: uuid.UUID, request_id: uuid.UUID) -> None:
        await self._conn.execute(
            "UPDATE accounts.refresh_tokens SET used_at = now(), used_by = $2 WHERE id = $1",
            token_id,
            request_id,
        )

    async def now(self) -> datetime:
        now: datetime = await self._conn.fetchval("SELECT now()")
        return now
