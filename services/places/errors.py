"""The places domain's errors; the codes of its queries are published in
`contracts.places.errors`."""

from __future__ import annotations

from contracts.places.errors import Code
from services.kit.errors import DomainError


class PlacesError(DomainError[Code]):
    """An expected failure of a places query."""


def not_found(place_id: int) -> PlacesError:
    return PlacesError("not_found", f"no place {place_id}", place_id=place_id)


class SchemaMissing(Exception):
    """Schema `places` has not been migrated; `eco2 migrate` creates it."""
