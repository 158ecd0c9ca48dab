"""The chat provider port: one streamed answer, continued from the text written so far.

Adapters: `offline.OfflineCoach` (deterministic, composed from the grounding) and
`openai_stream.OpenAIChat` (streaming chat completions on an OpenAI-compatible endpoint).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal, Protocol

from contracts.chat import errors
from contracts.chat.v1 import ReplyContext, Turn, Usage

Language = Literal["ko", "en"]


@dataclass(frozen=True)
class Prompt:
    """What one answer is written from."""

    question: str
    history: tuple[Turn, ...]
    context: ReplyContext
    language: Language
    max_tokens: int


@dataclass(frozen=True)
class Chunk:
    """A piece of the answer; the last one may carry the usage and why it ended."""

    text: str = ""
    usage: Usage | None = None
    finish: Literal["stop", "length"] | None = None


class ChatProviderError(Exception):
    """The provider could not write (more of) the answer; `code` is a reply error code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


class ProviderBusy(ChatProviderError):
    def __init__(self, detail: str) -> None:
        super().__init__(errors.PROVIDER_BUSY, detail)


class ProviderUnavailable(ChatProviderError):
    def __init__(self, detail: str) -> None:
        super().__init__(errors.PROVIDER_UNAVAILABLE, detail)


class BadOutput(ChatProviderError):
    def __init__(self, detail: str) -> None:
        super().__init__(errors.BAD_MODEL_OUTPUT, detail)


class ChatProvider(Protocol):
    @property
    def model(self) -> str:
        """The model name recorded with each answer."""

    def stream(self, prompt: Prompt, so_far: str) -> AsyncIterator[Chunk]:
        """The answer after `so_far` (empty: from the start), piece by piece; raise a
        `ChatProviderError` for a failure the person should hear about."""
