"""Token verification: pinned algorithm, issuer, audience, claims, expiry, type, revocations."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

import fakeredis
import jwt
import pytest

from contracts.accounts.tokens import revocation_key
from gateway.auth import InvalidToken, Principal, Revocations, TokenVerifier

SECRET = "s" * 64


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": "eco2-accounts",
        "aud": "eco2-api",
        "sub": "user-1",
        "sid": "session-1",
        "jti": "token-1",
        "iat": now,
        "exp": now + 600,
        "typ": "access",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(body: dict[str, Any], key: str = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(body, key, algorithm=algorithm)


@pytest.fixture
def verifier() -> TokenVerifier:
    return TokenVerifier(SECRET, Revocations(fakeredis.FakeAsyncRedis(), 900))


async def test_a_good_token_names_its_user_session_and_id(verifier: TokenVerifier) -> None:
    principal = await verifier.verify(sign(claims()))
    assert (principal.user_id, principal.session_id, principal.jti) == (
        "user-1",
        "session-1",
        "token-1",
    )


def _unsigned(body: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(body)}."


# Tokens are made when each test runs (not at collection), so a slow run cannot expire them.
@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: _unsigned(claims()), "invalid token"),
        (lambda: sign(claims(), "t" * 64), "invalid token"),
        (lambda: sign(claims(), SECRET, "HS512"), "invalid token"),
        (lambda: sign(claims(iss="someone-else")), "invalid token"),
        (lambda: sign(claims(aud="another-api")), "invalid token"),
        (lambda: sign(claims(exp=int(time.time()) - 60)), "token expired"),
        (lambda: sign(claims(sid=None)), "invalid token"),
        (lambda: sign(claims(jti=None)), "invalid token"),
        (lambda: sign(claims(typ=None)), "invalid token"),
        (lambda: sign(claims(typ="refresh")), "not an access token"),
        (lambda: "not.a.token", "invalid token"),
        (lambda: "", "malformed"),
        (lambda: "x" * 5000, "malformed"),
    ],
)
async def test_bad_tokens_are_refused(
    verifier: TokenVerifier, make: Callable[[], str], reason: str
) -> None:
    with pytest.raises(InvalidToken, match=reason):
        await verifier.verify(make())


async def test_revoked_token_session_and_user_are_refused(verifier: TokenVerifier) -> None:
    revocations = verifier.revocations
    revocations.revoke_access("token-1")
    with pytest.raises(InvalidToken, match="revoked"):
        await verifier.verify(sign(claims()))
    assert await verifier.verify(sign(claims(jti="token-2")))
    revocations.revoke_session("session-2")
    with pytest.raises(InvalidToken, match="revoked"):
        await verifier.verify(sign(claims(jti="token-3", sid="session-2")))
    now = int(time.time())
    revocations.revoke_user("user-9", now)
    with pytest.raises(InvalidToken, match="revoked"):
        await verifier.verify(sign(claims(jti="token-4", sub="user-9", iat=now - 5)))
    later = Principal("user-9", "session-3", "token-5", now + 5, now + 600)
    assert not revocations.is_revoked(later)  # issued after the revocation


async def test_revocations_are_warmed_from_redis_and_forgotten_after_the_ttl() -> None:
    redis = fakeredis.FakeAsyncRedis()
    await redis.set(revocation_key("access", "token-1"), "1")
    await redis.set(revocation_key("session", "session-2"), "1")
    await redis.set(revocation_key("user", "user-3"), str(time.time()))
    clock = [time.time()]
    revocations = Revocations(redis, 900, clock=lambda: clock[0])
    await revocations.ensure_warm()
    now = int(clock[0])
    assert revocations.is_revoked(Principal("u", "s", "token-1", now, now + 60))
    assert revocations.is_revoked(Principal("u", "session-2", "t", now, now + 60))
    assert revocations.is_revoked(Principal("user-3", "s", "t", now - 1, now + 60))
    assert not revocations.is_revoked(Principal("u", "s", "t", now, now + 60))
    clock[0] += 901
    assert not revocations.is_revoked(Principal("u", "s", "token-1", now, now + 60))
    await redis.aclose()


async def test_a_remembered_token_still_expires_and_is_still_revocable() -> None:
    now = [time.time()]
    verifier = TokenVerifier(
        SECRET, Revocations(fakeredis.FakeAsyncRedis(), 900), cache_size=2, clock=lambda: now[0]
    )
    token = sign(claims(exp=int(now[0]) + 60))
    first = await verifier.verify(token)
    assert await verifier.verify(token) == first  # from the cache
    verifier.revocations.revoke_access(first.jti)
    with pytest.raises(InvalidToken, match="revoked"):
        await verifier.verify(token)
    fresh = sign(claims(jti="token-2", exp=int(now[0]) + 60))
    await verifier.verify(fresh)
    now[0] += 61
    with pytest.raises(InvalidToken, match="expired"):
        await verifier.verify(fresh)
    assert len(verifier._verified) == 1  # the expired one is forgotten


async def test_the_cache_is_bounded_and_forgets_its_oldest_token() -> None:
    verifier = TokenVerifier(SECRET, Revocations(fakeredis.FakeAsyncRedis(), 900), cache_size=2)
    tokens = [sign(claims(jti=f"token-{n}")) for n in range(3)]
    for token in tokens:
        await verifier.verify(token)
    assert list(verifier._verified) == [hashlib.sha256(t.encode()).digest() for t in tokens[1:]]
