"""Password hashing (argon2id) and access-token signing."""

from __future__ import annotations

import jwt
import pytest

from contracts.accounts.tokens import ALGORITHM, AUDIENCE, ISSUER, REQUIRED_CLAIMS, AccessClaims
from services.accounts.passwords import Passwords
from services.accounts.tokens import AccessTokens

SECRET = "s" * 48


async def test_hashes_verify_and_tell_when_parameters_changed() -> None:
    cheap = Passwords(memory_kib=1024, iterations=1)
    stored = await cheap.hash("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert await cheap.verify(stored, "correct horse battery")
    assert not await cheap.verify(stored, "wrong horse battery")
    assert not await cheap.verify("not a hash", "correct horse battery")
    assert not cheap.needs_rehash(stored)
    assert Passwords(memory_kib=2048, iterations=2).needs_rehash(stored)


async def test_unknown_users_are_verified_against_a_dummy() -> None:
    passwords = Passwords(memory_kib=1024, iterations=1)
    assert not await passwords.verify(None, "anything at all")
    assert not await passwords.verify(None, "not a password of anyone")


def test_access_tokens_carry_exactly_the_contract_claims() -> None:
    tokens = AccessTokens(SECRET, ttl=900)
    token = tokens.issue("user-1", "session-1", now=1_700_000_000)
    decoded = jwt.decode(
        token,
        SECRET,
        algorithms=[ALGORITHM],
        audience=AUDIENCE,
        issuer=ISSUER,
        options={"require": list(REQUIRED_CLAIMS), "verify_exp": False},
    )
    claims = AccessClaims.model_validate(decoded)
    assert set(decoded) == set(REQUIRED_CLAIMS)
    assert (claims.sub, claims.sid, claims.typ) == ("user-1", "session-1", "access")
    assert claims.exp - claims.iat == 900
    assert len(claims.jti) == 32
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="32 characters"):
        AccessTokens("short", ttl=900)
