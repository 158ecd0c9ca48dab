"""The places domain's errors: each carries a stable code of `contracts.places.errors`.

Handlers raise `PlacesError`; the registry table in `handlers` turns it into the bus's
`RequestFailed`, which the requester receives as an `error.reply` with that code.
"""

from __future__ import annotations

from contracts.places import errors as codes


class PlacesError(Exception):
    """An expected failure of a places query, with a stable `code`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def not_found(place_id: int) -> PlacesError:
    return PlacesError(codes.NOT_FOUND, f"no place {place_id}")


class SchemaMissing(Exception):
    """Schema `places` has not been migrated; `eco2 migrate` creates it."""
