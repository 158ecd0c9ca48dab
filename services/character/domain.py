"""Pure character rules: which character a middle category earns, and user-id checks.

No I/O here; each rule raises `CharacterError` with the code the gateway maps to HTTP.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping

from contracts.character.v1 import Character
from contracts.scan.taxonomy import RECYCLABLES, middles
from services.character.catalog import CATALOG, DEFAULT_CODE
from services.character.errors import CharacterError


def by_middle(catalog: Iterable[Character]) -> Mapping[str, Character]:
    """Middle category -> its character; the default character has no middle."""
    return {c.middle: c for c in catalog if c.middle is not None}


_BY_MIDDLE = by_middle(CATALOG)
_RECYCLABLE = frozenset(middles(RECYCLABLES))


def default_character() -> Character:
    """The character every new user owns."""
    return next(c for c in CATALOG if c.code == DEFAULT_CODE)


def for_middle(middle: str) -> Character:
    """The character a correctly disposed item of recyclable `middle` earns."""
    character = _BY_MIDDLE.get(middle) if middle in _RECYCLABLE else None
    if character is None:
        raise CharacterError("no_character", f"no character for middle category {middle!r}")
    return character


def parse_user_id(value: str) -> uuid.UUID:
    """A user id as the accounts service issues it (a UUID)."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise CharacterError("invalid_user_id", f"{value!r} is not a user id") from None
