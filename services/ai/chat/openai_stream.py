"""The `openai` chat provider: streaming chat completions on an OpenAI-compatible endpoint.

- prompt: 이코's rules as the system message, the grounding as reference facts, the
  history (already bounded by the chat service), the question; a resumed answer adds the
  text so far as the assistant's turn and asks the model to continue right after it.
- transport: the SDK's timeout and retries (408/409/429/5xx and connection errors before
  the stream starts, honouring `Retry-After`); the shared request rate and concurrency
  limits of the scan provider (`limiter`).
- errors: a 429 still refused after the retries is `ProviderBusy`; timeouts, 5xx and a
  connection cut mid-stream are `ProviderUnavailable`; a refused request or chunks that
  are not chat completion chunks are `BadOutput`. Usage comes from the final chunk
  (`stream_options.include_usage`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Literal

import httpx
import openai
from openai.types.chat import ChatCompletionMessageParam

from contracts.chat.v1 import ReplyContext, Usage
from services.ai.chat import persona
from services.ai.chat.provider import (
    BadOutput,
    Chunk,
    Prompt,
    ProviderBusy,
    ProviderUnavailable,
)
from services.ai.limiter import Limiter
from services.ai.openai_provider import client, short

log = logging.getLogger(__name__)

_REFUSED = (400, 413, 422)


def reference(context: ReplyContext) -> str:
    """The grounding as the facts the model may use, in JSON."""
    facts = {
        "scans": [s.model_dump(mode="json") for s in context.scans],
        "rules": [r.model_dump(mode="json") for r in context.rules],
        "dictionary": [d.model_dump(mode="json") for d in context.dictionary],
        "places": [p.model_dump(mode="json") for p in context.places],
    }
    return json.dumps(facts, ensure_ascii=False)


def messages(prompt: Prompt, so_far: str) -> list[ChatCompletionMessageParam]:
    """What the model is sent for `prompt`, continuing after `so_far` if it is not empty."""
    heading = "참고 자료" if prompt.language == "ko" else "Reference"
    sent: list[ChatCompletionMessageParam] = [
        {"role": "system", "content": persona.SYSTEM[prompt.language]},
        {"role": "system", "content": f"{heading}: {reference(prompt.context)}"},
    ]
    for turn in prompt.history:
        if turn.role == "user":
            sent.append({"role": "user", "content": turn.text})
        else:
            sent.append({"role": "assistant", "content": turn.text})
    sent.append({"role": "user", "content": prompt.question})
    if so_far:
        sent.append({"role": "assistant", "content": so_far})
        sent.append({"role": "user", "content": persona.CONTINUE[prompt.language]})
    return sent


class OpenAIChat:
    """`ChatProvider` over the `openai` SDK (`AsyncOpenAI`, `stream=True`)."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str | None,
        model: str,
        limiter: Limiter,
        timeout: float = 30.0,
        max_retries: int = 2,
    ) -> None:
        self._model = model
        self._limiter = limiter

        self._client = client(base_url, api_key, limiter, timeout, max_retries)

    @property
    def model(self) -> str:
        return self._model

    async def aclose(self) -> None:
        await self._client.close()

    async def stream(self, prompt: Prompt, so_far: str) -> AsyncIterator[Chunk]:
        async with self._limiter.slot():
            try:
                response = await self._client.chat.completions.create(
                    model=self._model,
                    messages=messages(prompt, so_far),
                    max_tokens=prompt.max_tokens,
                    temperature=0.4,
                    stream=True,
                    stream_options={"include_usage": True},
                )
                async with response:
                    async for chunk in response:
                        usage = None
                        if chunk.usage is not None:
                            usage = Usage(
                                prompt_tokens=chunk.usage.prompt_tokens,
                                completion_tokens=chunk.usage.completion_tokens,
                            )
                        text = ""
                        finish: Literal["stop", "length"] | None = None
                        if chunk.choices:
                            choice = chunk.choices[0]
                            text = choice.delta.content or "" if choice.delta else ""
                            if choice.finish_reason == "length":
                                finish = "length"
                            elif choice.finish_reason is not None:
                                finish = "stop"
                        if text or usage is not None or finish is not None:
                            yield Chunk(text=text, usage=usage, finish=finish)
            except openai.RateLimitError as exc:
                raise ProviderBusy(short(exc)) from exc
            except openai.APIStatusError as exc:
                if exc.status_code in _REFUSED:
                    raise BadOutput(f"the provider refused the request: {short(exc)}") from exc
                raise ProviderUnavailable(f"{type(exc).__name__}: {short(exc)}") from exc
            except openai.APIResponseValidationError as exc:
                raise BadOutput(short(exc)) from exc
            except openai.OpenAIError as exc:  # timeouts, connection errors
                raise ProviderUnavailable(f"{type(exc).__name__}: {short(exc)}") from exc
            except (ValueError, KeyError, TypeError) as exc:  # a chunk that is not JSON
                raise BadOutput(f"unreadable chunk: {short(exc)}") from exc
            except (httpx.HTTPError, OSError) as exc:  # the connection cut mid-stream
                raise ProviderUnavailable(f"{type(exc).__name__}: {short(exc)}") from exc
