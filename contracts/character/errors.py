"""The codes a character request may fail with, in its `error.reply`.

The gateway maps every one of them to an HTTP status (a test checks that none is left out).
"""

from typing import Final, Literal, get_args

Code = Literal[
    "no_character",  # the middle category earns no character (unknown or not recyclable)
    "invalid_user_id",  # not a user id (a UUID)
    "grant_conflict",  # this scan was already granted to another user or character
    "user_deleted",  # the account was erased; nothing is granted to it any more
]

CODES: Final = frozenset[str](get_args(Code))
