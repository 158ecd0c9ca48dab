"""The vision provider port. Adapters: `offline` (here beside it, no network) and `openai`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from contracts.scan.v1 import Classification

ImageLoader = Callable[[], Awaitable[bytes]]


class ProviderError(Exception):
    """The provider failed in a way a retry may fix (timeouts, 429, 5xx)."""


class BadModelOutput(Exception):
    """The provider answered, but not with a valid classification."""


class VisionProvider(Protocol):
    @property
    def model(self) -> str:
        """The model name reported in results."""

    async def classify(self, hint: str, image: ImageLoader) -> Classification:
        """Classify the item; call `image()` only if the photo itself is needed."""
