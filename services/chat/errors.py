"""The chat domain's error; its codes are published in `contracts.chat.errors`."""

from __future__ import annotations

from contracts.chat.errors import Code
from services.kit.errors import DomainError


class ChatError(DomainError[Code]):
    """An expected failure of a chat request."""
