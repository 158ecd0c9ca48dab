"""The accounts domain's errors: each carries a stable code the gateway maps to HTTP.

Handlers raise `AccountError`; the registry table in `handlers` translates it into the
bus's `RequestFailed`, which the requester receives as an `error.reply` with that code.
"""

from __future__ import annotations

from typing import Literal

Code = Literal[
    "invalid_email",
    "invalid_nickname",
    "weak_password",
    "email_taken",
    "invalid_credentials",
    "invalid_refresh_token",
    "refresh_token_expired",
    "refresh_token_reused",
    "oauth_disabled",
    "oauth_failed",
    "invalid_redirect_uri",
    "not_found",
]


class AccountError(Exception):
    """An expected failure of an accounts request, with a stable `code`."""

    def __init__(self, code: Code, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code: Code = code
        self.message = message
