"""The `openai` provider: any OpenAI-compatible chat completions endpoint (base URL + model).

- vision: the photo as a base64 JPEG data URL with detail "low", structured output by the
  classification's JSON Schema, validated against the `Classification` contract. Malformed
  output is asked for again a bounded number of times, then it is `BadModelOutput`.
- answer: chat completions with the 이코 persona, plain text, given the category's rules
  and the dictionary item that agrees with the classification (its notes).
- transport: the SDK's timeout and its retries on 408/409/429/5xx and connection errors,
  which honour `Retry-After`. What is still failing after them becomes `ProviderError`
  (the bus retries the task later); a refused request (400/422) is `BadModelOutput`.
- limits: every HTTP attempt (retries included) waits for the shared request rate, and each
  call holds one shared concurrency slot (`limiter`), across every worker replica.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence

import openai
from openai.types.chat import ChatCompletion
from pydantic import ValidationError

from contracts.recycling.v1 import DisposalRules, Item
from contracts.scan.v1 import Classification, Insufficiency
from services.ai import domain, prompts
from services.ai.limiter import Limiter
from services.ai.provider import BadModelOutput, Photo, ProviderError

log = logging.getLogger(__name__)

_REFUSED = (400, 413, 422)


class OpenAIProvider:
    """`Provider` over the `openai` SDK (`AsyncOpenAI`)."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str | None,
        model: str,
        limiter: Limiter,
        timeout: float = 30.0,
        max_retries: int = 2,
        output_retries: int = 2,
        answer_max_tokens: int = 400,
    ) -> None:
        self._model = model
        self._limiter = limiter
        self._output_retries = output_retries
        self._answer_max_tokens = answer_max_tokens

        self._client = client(base_url, api_key, limiter, timeout, max_retries)

    @property
    def model(self) -> str:
        return self._model

    async def aclose(self) -> None:
        await self._client.close()

    async def classify(self, hint: str, photo: Photo, named: Sequence[Item]) -> Classification:
        messages = prompts.classify_messages(hint, await photo.load(), named)

        def call() -> Awaitable[ChatCompletion]:
            return self._client.chat.completions.create(
                model=self._model,
                messages=messages,
                response_format={
                    "type": "json_schema",
                    "json_schema": {
                        "name": "classification",
                        "strict": True,
                        "schema": prompts.CLASSIFICATION_SCHEMA,
                    },
                },
                temperature=0.0,
            )

        problem = ""
        for attempt in range(1 + self._output_retries):
            content = await self._complete(call)
            try:
                raw = json.loads(content)
                if isinstance(raw, dict) and isinstance(raw.get("situation_tags"), list):
                    raw["situation_tags"] = list(dict.fromkeys(raw["situation_tags"]))
                return Classification.model_validate(raw)
            except (ValueError, ValidationError) as exc:
                problem = short(exc)
                log.warning("model output is not a classification (try %d): %s", attempt, problem)
        tries = 1 + self._output_retries
        raise BadModelOutput(f"no valid classification after {tries} tries: {problem}")

    async def answer(
        self,
        classification: Classification,
        rules: DisposalRules | None,
        insufficiencies: Sequence[Insufficiency],
        item: Item | None,
    ) -> str:
        steps = domain.disposal(classification, rules).steps
        messages = prompts.answer_messages(classification, rules, insufficiencies, steps, item)

        def call() -> Awaitable[ChatCompletion]:
            return self._client.chat.completions.create(
                model=self._model,
                messages=messages,
                max_tokens=self._answer_max_tokens,
                temperature=0.4,
            )

        for _ in range(1 + self._output_retries):
            text = await self._complete(call)
            if text.strip():
                return text.strip()
        raise BadModelOutput("the model wrote an empty answer")

    async def _complete(self, call: Callable[[], Awaitable[ChatCompletion]]) -> str:
        """One chat completion (with the SDK's retries) under a shared concurrency slot."""
        try:
            async with self._limiter.slot():
                response = await call()
        except openai.APIStatusError as exc:
            if exc.status_code in _REFUSED:
                raise BadModelOutput(f"the provider refused the request: {short(exc)}") from exc
            raise ProviderError(f"{type(exc).__name__}: {short(exc)}") from exc
        except openai.OpenAIError as exc:  # timeouts, connection errors
            raise ProviderError(f"{type(exc).__name__}: {short(exc)}") from exc
        if not response.choices:
            return ""
        message = response.choices[0].message
        if getattr(message, "refusal", None):
            raise BadModelOutput(f"the model refused: {message.refusal}")
        return message.content or ""


def client(
    base_url: str, api_key: str | None, limiter: Limiter, timeout: float, max_retries: int
) -> openai.AsyncOpenAI:
    """The SDK client both adapters use: every HTTP attempt (retries included) waits for
    the shared request rate of `limiter`."""

    async def throttle(request: object) -> None:
        await limiter.throttle()

    return openai.AsyncOpenAI(
        base_url=base_url,
        # Local OpenAI-compatible servers often need no key; the SDK insists on one.
        api_key=api_key or "unused",
        timeout=timeout,
        max_retries=max_retries,
        http_client=openai.DefaultAsyncHttpxClient(event_hooks={"request": [throttle]}),
    )


def short(exc: Exception, limit: int = 300) -> str:
    text = str(exc).replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "…"
