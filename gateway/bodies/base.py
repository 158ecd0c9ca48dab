"""The base of every request body."""

from __future__ import annotations

import unicodedata

from pydantic import BaseModel, ConfigDict

# Line breaks and tabs are text; any other control character (NUL first) is not.
_ALLOWED_CONTROLS = frozenset("\t\n\r")


def free_text(value: str) -> str:
    """`value` NFKC-normalised; ValueError when it holds a control or unassigned character."""
    for char in value:
        if char in _ALLOWED_CONTROLS:
            continue
        if unicodedata.category(char) in ("Cc", "Cs", "Cn"):
            raise ValueError(f"control character U+{ord(char):04X} is not allowed")
    return unicodedata.normalize("NFKC", value)


class Body(BaseModel):
    """A request body: unknown fields are refused, so typos do not pass silently."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)
