"""Photo uploads as the gateway sees them: accepted types, object keys, upload tokens.

A photo lives under `uploads/<user id>/<random>.<ext>`, so the key itself says whose it
is: a scan may only name a key under its caller's prefix. When the object store cannot
presign, the client PUTs the bytes to the gateway's own URL, authorised by an upload
token: a JWT signed with the shared secret, with its own audience and `typ`, naming the
key, content type and size, so it is useless as an access token and for any other upload.
It also names the session and access token it was granted under: it stops working when
that session ends (sign-out) or the account is deleted, like the access token would.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass

import jwt

from gateway.errors import ApiError

CONTENT_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
PREFIX = "uploads"
ISSUER = "eco2-gateway"
AUDIENCE = "eco2-upload"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass(frozen=True)
class UploadGrant:
    """What one upload token allows: `size` bytes of `content_type` to `key`."""

    user_id: str
    key: str
    content_type: str
    size: int
    # The session and access token (`jti`) the grant was given under.
    session_id: str = ""
    access_jti: str = ""
    issued_at: int = 0
    expires_at: int = 0


def media_type(content_type: str | None) -> str:
    """The bare media type of a Content-Type value, lower case."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def accepted(content_type: str | None) -> str:
    """The media type if it is a photo format the pipeline takes; 415 otherwise."""
    media = media_type(content_type)
    if media not in CONTENT_TYPES:
        allowed = ", ".join(CONTENT_TYPES)
        raise ApiError(
            415, "unsupported_media_type", f"a photo must be one of {allowed}, not {media!r}"
        )
    return media


def new_key(user_id: str, content_type: str) -> str:
    return f"{PREFIX}/{user_id}/{uuid.uuid4().hex}.{CONTENT_TYPES[content_type]}"


def owns(user_id: str, key: str) -> bool:
    """Whether `key` is one of `user_id`'s uploads (exactly one name under their prefix)."""
    prefix = f"{PREFIX}/{user_id}/"
    return key.startswith(prefix) and bool(_NAME.match(key[len(prefix) :]))


def sign(secret: str, grant: UploadGrant, ttl: int) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "typ": "upload",
        "sub": grant.user_id,
        "key": grant.key,
        "ct": grant.content_type,
        "size": grant.size,
        "sid": grant.session_id,
        "ati": grant.access_jti,
        "iat": now,
        "exp": now + ttl,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def verify(secret: str, token: str) -> UploadGrant:
    """The grant a token carries; 403 when it is forged, expired or not an upload token."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "aud", "iss", "sid"]},
        )
        grant = UploadGrant(
            claims["sub"],
            claims["key"],
            claims["ct"],
            claims["size"],
            claims["sid"],
            claims.get("ati", ""),
            claims["iat"],
            claims["exp"],
        )
    except jwt.ExpiredSignatureError:
        raise ApiError(403, "upload_expired", "this upload URL has expired") from None
    except (jwt.InvalidTokenError, KeyError):
        raise ApiError(403, "forbidden", "this upload URL is not valid") from None
    if claims.get("typ") != "upload" or not isinstance(grant.size, int):
        raise ApiError(403, "forbidden", "this upload URL is not valid")
    return grant
