"""The character domain's errors: each carries a stable code the gateway maps to HTTP.

Handlers raise `CharacterError`; the registry table in `handlers` translates it into the
bus's `RequestFailed`, which the requester receives as an `error.reply` with that code
(and which dead-letters an event, whose sender waits for no answer).
"""

from __future__ import annotations

from typing import Literal

Code = Literal[
    "no_character",  # the middle category earns no character (unknown or not recyclable)
    "invalid_user_id",  # not a user id (a UUID)
    "grant_conflict",  # this scan was already granted to another user or character
    "user_deleted",  # the account was erased; nothing is granted to it any more
]


class CharacterError(Exception):
    """An expected failure of a character request, with a stable `code`."""

    def __init__(self, code: Code, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code: Code = code
        self.message = message
