"""Access tokens: verified locally (PyJWT, pinned algorithm), then checked against revocations.

Revocations live in a per-instance memory cache kept current by `token.revoked` and
`user.deleted` events (an ephemeral subscription of this instance) and warmed once from
the Redis keys the accounts service writes before it publishes, so a gateway that starts
late still knows the revocations issued before it. Lookups are dictionary reads.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import jwt
import redis.asyncio as aioredis
from pydantic import ValidationError
from redis.exceptions import RedisError
from starlette.requests import HTTPConnection

from contracts.accounts.tokens import (
    ALGORITHM,
    AUDIENCE,
    ISSUER,
    REQUIRED_CLAIMS,
    REVOCATION_PREFIX,
    AccessClaims,
)
from gateway.errors import ApiError, unauthorized

log = logging.getLogger(__name__)

MAX_TOKEN_LENGTH = 4096


class InvalidToken(Exception):
    """The token cannot be used; the message says why (safe to show the client)."""


@dataclass(frozen=True)
class Principal:
    """Who a verified access token speaks for."""

    user_id: str
    session_id: str
    jti: str
    issued_at: int
    expires_at: int


class Revocations:
    """Revoked tokens, sessions and users, each remembered for one access-token lifetime."""

    def __init__(
        self, redis: aioredis.Redis, ttl: float, clock: Callable[[], float] = time.time
    ) -> None:
        self._redis = redis
        self._ttl = ttl
        self._clock = clock
        self._access: dict[str, float] = {}
        self._sessions: dict[str, float] = {}
        self._users: dict[str, tuple[float, float]] = {}  # user -> (revoked at, forget at)
        self._warm = False
        self._lock = asyncio.Lock()
        self._pruned = clock()

    def revoke_access(self, jti: str) -> None:
        self._access[jti] = self._until()

    def revoke_session(self, session_id: str) -> None:
        self._sessions[session_id] = self._until()

    def revoke_user(self, user_id: str, before: float) -> None:
        """Void every token of `user_id` issued at or before `before` (Unix seconds)."""
        known = self._users.get(user_id)
        at = max(before, known[0]) if known else before
        self._users[user_id] = (at, self._until())

    def is_revoked(self, principal: Principal) -> bool:
        now = self._clock()
        if self._access.get(principal.jti, 0) > now:
            return True
        if self._sessions.get(principal.session_id, 0) > now:
            return True
        user = self._users.get(principal.user_id)
        return user is not None and user[1] > now and principal.issued_at <= user[0]

    async def ensure_warm(self) -> None:
        """Load the revocations kept in Redis, once; later callers wait for the first."""
        if self._warm:
            return
        async with self._lock:
            if self._warm:
                return
            try:
                count = await self._load()
            except RedisError as exc:
                log.warning("cannot load token revocations from Redis: %s", exc)
                raise ApiError(503, "unavailable", "cannot check tokens right now") from None
            self._warm = True
            log.info("loaded %d token revocations from Redis", count)

    async def _load(self) -> int:
        count = 0
        async for raw_key in self._redis.scan_iter(match=f"{REVOCATION_PREFIX}*", count=1000):
            key = raw_key.decode() if isinstance(raw_key, bytes) else str(raw_key)
            scope, _, ident = key.removeprefix(REVOCATION_PREFIX).partition(":")
            match scope:
                case "access":
                    self.revoke_access(ident)
                case "session":
                    self.revoke_session(ident)
                case "user":
                    value = await self._redis.get(key)
                    try:
                        self.revoke_user(ident, float(value or 0))
                    except ValueError:
                        continue
                case _:
                    continue
            count += 1
        return count

    def _until(self) -> float:
        now = self._clock()
        if now - self._pruned > 60:
            self._prune(now)
        return now + self._ttl

    def _prune(self, now: float) -> None:
        self._pruned = now
        self._access = {k: v for k, v in self._access.items() if v > now}
        self._sessions = {k: v for k, v in self._sessions.items() if v > now}
        self._users = {k: v for k, v in self._users.items() if v[1] > now}


class TokenVerifier:
    """Turns a bearer token into a `Principal`, or raises `InvalidToken`.

    A token that verified is remembered by its SHA-256 digest (at most `cache_size`, oldest
    dropped first), so a client's next request with it skips the signature check; its
    expiry and the revocations are still checked on every request.
    """

    def __init__(
        self,
        secret: str,
        revocations: Revocations,
        *,
        cache_size: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret = secret
        self.revocations = revocations
        self._verified: dict[bytes, Principal] = {}
        self._cache_size = cache_size
        self._clock = clock

    def decode(self, token: str) -> Principal:
        """Signature, algorithm, issuer, audience, required claims, expiry and `typ`."""
        digest = hashlib.sha256(token.encode()).digest()
        known = self._verified.get(digest)
        if known is not None:
            if known.expires_at > self._clock():  # PyJWT's rule: expired once now >= exp
                return known
            del self._verified[digest]
            raise InvalidToken("token expired")
        principal = self._check(token)
        if len(self._verified) >= self._cache_size:
            del self._verified[next(iter(self._verified))]
        self._verified[digest] = principal
        return principal

    def _check(self, token: str) -> Principal:
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken("malformed token")
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("token expired") from None
        except jwt.InvalidTokenError as exc:
            raise InvalidToken(f"invalid token: {exc}") from None
        try:
            access = AccessClaims.model_validate(claims)
        except ValidationError:
            raise InvalidToken("not an access token") from None
        return Principal(access.sub, access.sid, access.jti, access.iat, access.exp)

    async def verify(self, token: str) -> Principal:
        """`decode`, then refuse a revoked token, session or user."""
        principal = self.decode(token)
        await self.revocations.ensure_warm()
        if self.revocations.is_revoked(principal):
            raise InvalidToken("token revoked")
        return principal


def bearer_token(connection: HTTPConnection, *, query: bool = False) -> str | None:
    """The token of `Authorization: Bearer`, or (WebSocket) of the `access_token` parameter."""
    header = connection.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
        return None
    if query:
        return connection.query_params.get("access_token") or None
    return None


async def current_user(connection: HTTPConnection, verifier: TokenVerifier) -> Principal:
    """The caller of an HTTP route, or a 401 with `WWW-Authenticate: Bearer`."""
    token = bearer_token(connection)
    if token is None:
        raise unauthorized("a Bearer access token is required")
    try:
        return await verifier.verify(token)
    except InvalidToken as exc:
        raise unauthorized(str(exc), "invalid_token") from None
