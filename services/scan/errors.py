"""The scan domain's errors: each carries a stable code the gateway maps to HTTP.

Handlers raise `ScanRequestError`; the registry table in `handlers` translates it into the
bus's `RequestFailed`, which the requester receives as an `error.reply` with that code.
"""

from __future__ import annotations

from typing import Literal

Code = Literal[
    "not_found",  # no such scan, or another user's (the two look the same)
    "invalid_cursor",  # not a `next_cursor` this service gave out
]


class ScanRequestError(Exception):
    """An expected failure of a scan request, with a stable `code`."""

    def __init__(self, code: Code, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code: Code = code
        self.message = message
