"""The recycling domain's errors: each carries a stable code the gateway maps to HTTP.

Handlers raise `RecyclingError`; the registry table in `handlers` translates it into the
bus's `RequestFailed`, which the requester receives as an `error.reply` with that code.
"""

from __future__ import annotations

from typing import Literal

Code = Literal["not_found"]


class RecyclingError(Exception):
    """An expected failure of a recycling query, with a stable `code`."""

    def __init__(self, code: Code, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code: Code = code
        self.message = message


class ContentError(Exception):
    """The packaged rules disagree with the contracts or the taxonomy (a build defect)."""


class SchemaMissing(Exception):
    """Schema `recycling` has not been migrated; `eco2 migrate` creates it."""


class CasesError(Exception):
    """An evaluation case file is malformed; the message names the line."""
