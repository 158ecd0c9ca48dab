"""Access tokens: short-lived JWTs every gateway verifies locally (`contracts.accounts.tokens`)."""

from __future__ import annotations

import time
import uuid

import jwt

from contracts.accounts.tokens import ALGORITHM, AUDIENCE, ISSUER, AccessClaims


class AccessTokens:
    """Signs access tokens with the shared secret; they live `ttl` seconds."""

    def __init__(self, secret: str, ttl: int) -> None:
        if len(secret) < 32:
            raise ValueError("the token secret must be at least 32 characters")
        self._secret = secret
        self.ttl = ttl

    def issue(self, user_id: str, session_id: str, *, now: float | None = None) -> str:
        issued = int(time.time() if now is None else now)
        claims = AccessClaims(
            iss=ISSUER,
            aud=AUDIENCE,
            sub=user_id,
            sid=session_id,
            jti=uuid.uuid4().hex,
            iat=issued,
            exp=issued + self.ttl,
            typ="access",
        )
        return jwt.encode(claims.model_dump(), self._secret, algorithm=ALGORITHM)
