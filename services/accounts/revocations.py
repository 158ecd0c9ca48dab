"""Revocations in Redis, read by every gateway when it starts (`contracts.accounts.tokens`).

Running gateways learn of a revocation from the `token.revoked` event; these keys cover
the gateways that start after it. Each key expires when the tokens it voids would.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import redis.asyncio as aioredis

from contracts.accounts.tokens import revocation_key


class Revocations:
    def __init__(self, redis: aioredis.Redis, access_ttl: int) -> None:
        self._redis = redis
        self.access_ttl = access_ttl

    async def access(self, jti: str, expires_at: datetime) -> None:
        """Void one access token until it expires."""
        if expires_at > datetime.now(UTC):
            await self._redis.set(revocation_key("access", jti), "1", exat=expires_at)

    async def session(self, session_id: str) -> None:
        """Void every access token of a session (its refresh tokens are revoked in SQL)."""
        await self._redis.set(revocation_key("session", session_id), "1", ex=self.access_ttl)

    async def user(self, user_id: str, at: datetime) -> None:
        """Void every token of a user issued at or before `at`.

        The value is the first whole second after `at`: tokens with `iat` below it are void
        (a token issued earlier in the same second as `at` has `iat == int(at)`).
        """
        cutoff = int(at.timestamp()) + 1
        until = at + timedelta(seconds=self.access_ttl + 1)
        await self._redis.set(revocation_key("user", user_id), str(cutoff), exat=until)
