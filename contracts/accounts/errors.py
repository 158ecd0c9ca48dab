"""The codes an accounts request may fail with, in its `error.reply`.

The gateway maps every one of them to an HTTP status (a test checks that none is left out).
"""

from typing import Final, Literal, get_args

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
    "invalid_redirect_uri",  # not a redirect URI registered for the OAuth provider
    "not_found",
]

CODES: Final = frozenset[str](get_args(Code))
