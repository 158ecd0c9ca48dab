"""The recycling domain's errors; the codes of its queries are published in
`contracts.recycling.errors`."""

from __future__ import annotations

from contracts.recycling.errors import Code
from services.kit.errors import DomainError


class RecyclingError(DomainError[Code]):
    """An expected failure of a recycling query."""


class ContentError(Exception):
    """The packaged rules disagree with the contracts or the taxonomy (a build defect)."""


class SchemaMissing(Exception):
    """Schema `recycling` has not been migrated; `eco2 migrate` creates it."""


class CasesError(Exception):
    """An evaluation case file is malformed; the message names the line."""
