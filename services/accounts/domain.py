"""Pure account rules: email, nickname and password policy, and the refresh-token format.

No I/O here; each rule raises `AccountError` with the code the gateway maps to HTTP.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
import uuid
from dataclasses import dataclass

from contracts import Envelope, Payload, derive_id, new_envelope
from contracts.accounts.v1 import EMAIL_MAX, NICKNAME_MAX, PASSWORD_MAX
from services.accounts.errors import AccountError

# Deliberately plain: one @, no spaces, a dotted domain. Deliverability is not ours to check.
_EMAIL = re.compile(r"^[^@\s]{1,64}@(?=.{1,253}$)[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_TOKEN_SECRET = re.compile(r"^[A-Za-z0-9_-]{43,128}$")
SECRET_BYTES = 32

# A short list of the passwords people pick first; the length rule catches most others.
COMMON_PASSWORDS = frozenset(
    {
        "password",
        "password1",
        "password12",
        "password123",
        "passw0rd",
        "p@ssw0rd",
        "1234567890",
        "0123456789",
        "12345678910",
        "1q2w3e4r5t",
        "1q2w3e4r5t6y",
        "q1w2e3r4t5",
        "qwertyuiop",
        "qwerty1234",
        "qwerty12345",
        "asdfghjkl",
        "asdfghjkl;",
        "zxcvbnm123",
        "iloveyou12",
        "letmein123",
        "welcome123",
        "admin12345",
        "abcdefghij",
        "abcd123456",
        "abc1234567",
        "football12",
        "baseball12",
        "sunshine12",
        "princess12",
        "trustno1234",
    }
)


def event(cause: Envelope, payload: Payload, user_id: str, name: str = "") -> Envelope:
    """An event caused by request `cause`, its id derived from the request's id.

    A redelivered request derives the same id, so the outbox keeps one copy; `name`
    tells apart two events of one type caused by the same request.
    """
    mid = derive_id(cause.message_id, name or payload.__message_type__)
    return new_envelope(payload, cause=cause, message_id=mid, user_id=user_id)


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


# Characters that do not display: controls (NUL included), format characters (bidi
# overrides, zero-width joiners), private use, surrogates, unassigned, line separators.
_HIDDEN = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})


def displays(text: str) -> bool:
    """Whether every character of `text` is one a reader sees (or a plain space)."""
    return all(unicodedata.category(c) not in _HIDDEN for c in text)


def normalize_email(raw: str) -> str:
    """NFKC, trimmed, lower-cased: look-alike spellings of one address compare equal."""
    email = unicodedata.normalize("NFKC", raw).strip().casefold()
    if len(email) > EMAIL_MAX or not displays(email) or not _EMAIL.match(email):
        raise AccountError("invalid_email", "email must look like name@example.com")
    return email


def normalize_nickname(raw: str) -> str:
    """NFKC and trimmed; refused when it holds characters that do not display."""
    nickname = unicodedata.normalize("NFKC", raw).strip()
    if not displays(nickname):
        raise AccountError(
            "invalid_nickname",
            "nickname: control, format (bidi, zero-width) and unassigned characters are refused",
        )
    if not 1 <= len(nickname) <= NICKNAME_MAX:
        raise AccountError(
            "invalid_nickname", f"nickname must be 1 to {NICKNAME_MAX} characters after trimming"
        )
    return nickname


def nickname_from(candidate: str | None, email: str) -> str:
    """A nickname for a new OAuth user: the provider's, else the email's local part."""
    for raw in (candidate or "", email.split("@", 1)[0]):
        shown = "".join(c for c in unicodedata.normalize("NFKC", raw) if displays(c))
        nickname = shown.strip()[:NICKNAME_MAX].strip()
        if nickname:
            return nickname
    return "user"


def check_password(password: str, email: str, *, min_length: int) -> None:
    """Refuse passwords that are too short, too long or trivially guessed."""
    if len(password) < min_length:
        raise AccountError(
            "weak_password", f"password must be at least {min_length} characters long"
        )
    if len(password) > PASSWORD_MAX:
        raise AccountError("weak_password", f"password must be at most {PASSWORD_MAX} characters")
    lowered = password.lower()
    if len(set(password)) == 1:
        raise AccountError("weak_password", "password must not repeat a single character")
    if lowered in (email, email.split("@", 1)[0]):
        raise AccountError("weak_password", "password must not be your email address")
    if lowered in COMMON_PASSWORDS:
        raise AccountError("weak_password", "password is one of the most common passwords")


@dataclass(frozen=True)
class RefreshToken:
    """An opaque refresh token `<id hex>.<secret>`; only `digest` is ever stored."""

    token_id: uuid.UUID
    secret: str

    def __str__(self) -> str:
        return f"{self.token_id.hex}.{self.secret}"

    @property
    def digest(self) -> bytes:
        return hashlib.sha256(self.secret.encode()).digest()

    @classmethod
    def new(cls) -> RefreshToken:
        return cls(uuid.uuid4(), secrets.token_urlsafe(SECRET_BYTES))

    @classmethod
    def parse(cls, raw: str) -> RefreshToken:
        ident, _, secret = raw.strip().partition(".")
        try:
            token_id = uuid.UUID(hex=ident)
        except ValueError:
            raise AccountError("invalid_refresh_token", "refresh token is malformed") from None
        if len(ident) != 32 or not _TOKEN_SECRET.match(secret):
            raise AccountError("invalid_refresh_token", "refresh token is malformed")
        return cls(token_id, secret)

    def matches(self, digest: bytes) -> bool:
        return hmac.compare_digest(self.digest, digest)
