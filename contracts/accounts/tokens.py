"""The access token both the accounts service (issuer) and every gateway (verifier) rely on.

A JWT signed with `ALGORITHM` using the shared secret (`ECO2_JWT_SECRET`); verifiers pin
the algorithm, issuer and audience, and require every claim below. Refresh tokens are
opaque to everyone but the accounts service.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

ALGORITHM = "HS256"
ISSUER = "eco2-accounts"
AUDIENCE = "eco2-api"
REQUIRED_CLAIMS = ("iss", "aud", "sub", "sid", "jti", "iat", "exp", "typ")


class AccessClaims(BaseModel):
    """The claims of an access token: who (`sub`), which session (`sid`), which token (`jti`)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    iss: str
    aud: str
    sub: str
    sid: str
    jti: str
    iat: int
    exp: int
    typ: Literal["access"]


# Revocations kept in Redis, so that a gateway starting up knows those issued before it.
# `access:<jti>` and `session:<sid>` hold "1"; `user:<user_id>` holds the Unix time before
# which that user's tokens are void. Each key expires when the tokens it voids would.
REVOCATION_PREFIX = "eco2:revoked:"


def revocation_key(scope: Literal["access", "session", "user"], ident: str) -> str:
    return f"{REVOCATION_PREFIX}{scope}:{ident}"
