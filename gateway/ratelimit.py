"""Throttles in Redis: login failures per email and per client address, and chat messages
per user, each in a fixed window.

Each failure is one `MULTI: INCR; EXPIRE NX` (the window starts at the first failure and
is never extended); a login over either limit is refused with 429 and `Retry-After`
before the accounts service is asked. A successful login clears its email's counter.
"""

from __future__ import annotations

import hashlib

import redis.asyncio as aioredis

from gateway.errors import ApiError

PREFIX = "eco2:login:failures:"


class LoginLimiter:
    def __init__(
        self, redis: aioredis.Redis, *, per_email: int, per_client: int, window: int
    ) -> None:
        self._redis = redis
        self._per_email = per_email
        self._per_client = per_client
        self._window = window

    async def check(self, email: str, client: str) -> None:
        """Raise 429 (with the seconds left in the window) when either limit is reached."""
        keys = (_email_key(email), _client_key(client))
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.get(key)
                pipe.ttl(key)
            email_count, email_ttl, client_count, client_ttl = await pipe.execute()
        waits = []
        if int(email_count or 0) >= self._per_email:
            waits.append(email_ttl)
        if int(client_count or 0) >= self._per_client:
            waits.append(client_ttl)
        if waits:
            retry = max(1, *(int(w) if w and int(w) > 0 else self._window for w in waits))
            raise ApiError(
                429,
                "rate_limited",
                f"too many failed sign-ins; try again in {retry} seconds",
                {"Retry-After": str(retry)},
            )

    async def failed(self, email: str, client: str) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in (_email_key(email), _client_key(client)):
                pipe.incr(key)
                pipe.expire(key, self._window, nx=True)
            await pipe.execute()

    async def succeeded(self, email: str) -> None:
        await self._redis.delete(_email_key(email))


def _email_key(email: str) -> str:
    # Hashed: the key space need not hold people's addresses.
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return f"{PREFIX}email:{digest}"


def _client_key(client: str) -> str:
    return f"{PREFIX}client:{client}"


class MessageLimiter:
    """Chat messages per user per minute: one `MULTI: INCR; EXPIRE NX` per message; over
    the limit, 429 with the seconds left in the window."""

    def __init__(self, redis: aioredis.Redis, *, per_minute: int, window: int = 60) -> None:
        self._redis = redis
        self._limit = per_minute
        self._window = window

    async def take(self, user_id: str) -> None:
        key = f"eco2:chat:messages:{user_id}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, self._window, nx=True)
            pipe.ttl(key)
            count, _, ttl = await pipe.execute()
        if int(count) > self._limit:
            retry = max(1, int(ttl) if ttl and int(ttl) > 0 else self._window)
            raise ApiError(
                429,
                "rate_limited",
                f"at most {self._limit} messages a minute; try again in {retry} seconds",
                {"Retry-After": str(retry)},
            )
