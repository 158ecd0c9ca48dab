"""The character domain's error; its codes are published in `contracts.character.errors`."""

from __future__ import annotations

from contracts.character.errors import Code
from services.kit.errors import DomainError


class CharacterError(DomainError[Code]):
    """An expected failure of a character request."""
