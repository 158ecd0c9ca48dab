"""The AI provider port: the two model calls of the scan pipeline.

Adapters: `offline` (beside it, no network, deterministic) and `openai` (any
OpenAI-compatible endpoint). `cache.CachedProvider` wraps either one.

Both calls get what the recycling service's item dictionary knows (`recycling.match`,
asked by the pipeline): `classify` the items the person's hint names, `answer` the one item
that agrees with the classification, with its notes. So the offline classifier, a model's
answer and search all answer from one dictionary (ADR 0010).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from contracts.recycling.v1 import DisposalRules, Item
from contracts.scan.v1 import Classification, Insufficiency

ImageLoader = Callable[[], Awaitable[bytes]]


@dataclass(frozen=True)
class Photo:
    """The prepared photo of a scan: its content hash, and how to read it if needed."""

    content_hash: str
    load: ImageLoader


class ProviderError(Exception):
    """The provider failed in a way a retry may fix (timeouts, 429, 5xx, connection)."""


class BadModelOutput(Exception):
    """The provider answered, but not with valid output (after its own bounded retries)."""


class Provider(Protocol):
    @property
    def model(self) -> str:
        """The model name reported in results."""

    async def classify(self, hint: str, photo: Photo, named: Sequence[Item]) -> Classification:
        """Classify the item; `named` are the dictionary items the hint names, the most
        specific first. Call `photo.load()` only if the image itself is needed."""

    async def answer(
        self,
        classification: Classification,
        rules: DisposalRules | None,
        insufficiencies: Sequence[Insufficiency],
        item: Item | None,
    ) -> str:
        """A short friendly answer (Korean, 3–5 sentences, plain text): the steps to follow,
        what the dictionary `item` notes about it, and only the given insufficiencies."""
