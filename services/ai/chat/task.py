"""The AI worker's journaled reply task: `chat.reply_requested` → context (checkpointed) →
stream, a checkpoint per batch of deltas → `chat.completed` | `chat.incomplete` |
`chat.failed` (the task's outcome, published by the journaled worker, then acked).

Each batch of deltas (every `batch_interval` seconds or `batch_tokens` tokens, whichever
comes first) is written to the journal (group-committed with every other reply's) before
it is published, so a worker killed mid-answer resumes on redelivery after the last
journaled batch: it publishes that batch again (the one a crash may have kept from the
bus; same message id, so it is dropped where it was seen) and asks the provider for the
text after it. `seq` counts from 1 without gaps and the outcome's text is exactly the
batches concatenated. A stop (`stops`) ends the answer `incomplete` within a batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from bus.ports import Message, Publisher, Requester
from contracts import Payload, derive_id, new_envelope
from contracts.chat import errors
from contracts.chat.tokens import estimate_tokens
from contracts.chat.v1 import (
    IncompleteReason,
    ReplyCompleted,
    ReplyContext,
    ReplyDelta,
    ReplyError,
    ReplyFailed,
    ReplyIncomplete,
    ReplyRequested,
    Usage,
)
from journal.sqlite.worker import Steps, split_reason
from services.ai.chat import grounding, persona
from services.ai.chat.provider import ChatProvider, ChatProviderError, Chunk, Prompt
from services.ai.chat.stops import Stops
from services.kit.worker import WorkerSpec

log = logging.getLogger(__name__)

GROUP = "ai"
BINDINGS = ("chat.reply_requested",)
DELTA = "delta:"


@dataclass(frozen=True)
class Batching:
    interval: float = 0.08
    tokens: int = 32


@dataclass(frozen=True)
class Replies:
    """Everything the task needs, built once by the composition root."""

    provider: ChatProvider
    requester: Requester
    publisher: Publisher
    stops: Stops
    batching: Batching = Batching()
    request_timeout: float | None = None


@dataclass
class _Written:
    """The answer so far: its text, the last seq, and the tokens counted."""

    text: str
    seq: int

    @property
    def tokens(self) -> int:
        return estimate_tokens(self.text)


async def reply(
    message: Message[ReplyRequested],
    steps: Steps,
    *,
    provider: ChatProvider,
    requester: Requester,
    publisher: Publisher,
    stops: Stops,
    batching: Batching = Batching(),
    request_timeout: float | None = None,
) -> Sequence[Payload]:
    task, cause = message.payload, message.envelope
    stop = stops.event(task.reply_id)

    async def publish(payload: Payload, name: str) -> None:
        await publisher.publish(
            new_envelope(payload, cause=cause, message_id=derive_id(cause.message_id, name))
        )

    async def ground() -> ReplyContext:
        return await grounding.gather(task, requester, cause, request_timeout)

    context = await steps.model("context", ReplyContext, ground)
    await publish(context, "context")
    batches: list[str] = steps.recorded(DELTA)
    written = _Written("".join(batches), len(batches))
    if batches:  # a resumed answer: the last batch may not have reached the bus
        await publish(_delta(task, written.seq, batches[-1]), f"{DELTA}{written.seq}")

    async def flush(pieces: list[str]) -> None:
        if not pieces:
            return
        text = "".join(pieces)
        pieces.clear()
        seq = written.seq + 1
        await steps.record(f"{DELTA}{seq:06d}", text)
        await publish(_delta(task, seq, text), f"{DELTA}{seq}")
        written.text += text
        written.seq = seq

    language = persona.language_of(task.text)
    prompt = Prompt(task.text, task.history, context, language, task.max_tokens)
    ended: IncompleteReason | None = None
    usage: Usage | None = None
    try:
        async for batch, chunk_usage, reason in _batches(
            provider.stream(prompt, written.text), stop, batching, task.max_tokens, written
        ):
            await flush(batch)
            usage = chunk_usage or usage
            ended = reason or ended
    except ChatProviderError as exc:
        log.warning("reply %s failed: %s", task.reply_id, exc)
        stops.done(task.reply_id)
        return [
            ReplyFailed(
                reply_id=task.reply_id,
                chat_id=task.chat_id,
                user_id=task.user_id,
                error=ReplyError(
                    code=exc.code, message=persona.failure_message(exc.code, language)
                ),
                text=written.text,
                deltas=written.seq,
                usage=usage or _estimate(prompt, written.text),
            )
        ]
    stops.done(task.reply_id)
    sources = grounding.sources(context)
    used = usage or _estimate(prompt, written.text)
    if ended is not None:
        return [
            ReplyIncomplete(
                reply_id=task.reply_id,
                chat_id=task.chat_id,
                user_id=task.user_id,
                text=written.text,
                reason=ended,
                sources=sources,
                deltas=written.seq,
                model=provider.model,
                usage=used,
            )
        ]
    return [
        ReplyCompleted(
            reply_id=task.reply_id,
            chat_id=task.chat_id,
            user_id=task.user_id,
            text=written.text,
            sources=sources,
            deltas=written.seq,
            model=provider.model,
            usage=used,
        )
    ]


def _delta(task: ReplyRequested, seq: int, text: str) -> ReplyDelta:
    return ReplyDelta(
        reply_id=task.reply_id, chat_id=task.chat_id, user_id=task.user_id, seq=seq, text=text
    )


def _estimate(prompt: Prompt, text: str) -> Usage:
    asked = estimate_tokens(prompt.question) + sum(estimate_tokens(t.text) for t in prompt.history)
    return Usage(prompt_tokens=asked, completion_tokens=estimate_tokens(text), estimated=True)


Batch = tuple[list[str], Usage | None, IncompleteReason | None]


async def _batches(
    stream: AsyncIterator[Chunk],
    stop: asyncio.Event,
    batching: Batching,
    max_tokens: int,
    written: _Written,
) -> AsyncIterator[Batch]:
    """The provider's chunks gathered into batches; the last batch says why it ended
    (None: the provider finished). A stop or the length limit ends it early."""
    loop = asyncio.get_running_loop()
    pieces: list[str] = []
    pending_tokens = 0
    deadline = 0.0
    total = written.tokens
    usage: Usage | None = None
    stopping = asyncio.ensure_future(stop.wait())
    reading: asyncio.Future[Chunk] | None = None
    reason: IncompleteReason | None = None
    try:
        while True:
            if stop.is_set():
                reason = "stopped"
                break
            if reading is None:
                reading = asyncio.ensure_future(anext(stream))
            timeout = max(0.0, deadline - loop.time()) if pieces else None
            waiting: set[asyncio.Future[Any]] = {reading, stopping}
            done, _ = await asyncio.wait(
                waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if stopping in done:
                reason = "stopped"
                break
            if reading not in done:  # the batch's time is up
                yield pieces, None, None
                pieces, pending_tokens = [], 0
                continue
            try:
                chunk = reading.result()
            except StopAsyncIteration:
                break
            finally:
                if reading.done():
                    reading = None
            usage = chunk.usage or usage
            if chunk.finish == "length":
                reason = "length"
            if chunk.text:
                if not pieces:
                    deadline = loop.time() + batching.interval
                pieces.append(chunk.text)
                cost = estimate_tokens(chunk.text)
                pending_tokens += cost
                total += cost
                if total >= max_tokens:
                    reason = "length"
                    break
                if pending_tokens >= batching.tokens:
                    yield pieces, None, None
                    pieces, pending_tokens = [], 0
            if reason is not None:
                break
    finally:
        stopping.cancel()
        if reading is not None:
            reading.cancel()
            with contextlib.suppress(BaseException):
                await reading
        aclose: Any = getattr(stream, "aclose", None)
        if aclose is not None:
            with contextlib.suppress(Exception):
                await aclose()
    yield pieces, usage, reason


def failed(message: Message[Any], reason: str) -> Sequence[Payload]:
    """`chat.failed` for a reply that cannot finish (attempts exhausted, or refused)."""
    task = message.payload
    code, _ = split_reason(reason, errors.REPLY_FAILED)
    if code not in (errors.PROVIDER_BUSY, errors.PROVIDER_UNAVAILABLE, errors.BAD_MODEL_OUTPUT):
        code = errors.REPLY_FAILED
    language = persona.language_of(task.text)
    return [
        ReplyFailed(
            reply_id=task.reply_id,
            chat_id=task.chat_id,
            user_id=task.user_id,
            error=ReplyError(code=code, message=persona.failure_message(code, language)),
        )
    ]


def worker(deps: Replies) -> WorkerSpec:
    """The journaled task: `reply` bound to `deps`, and `failed` (group `ai`, beside the
    scan pipeline: `services.ai.tasks`)."""
    work = partial(
        reply,
        provider=deps.provider,
        requester=deps.requester,
        publisher=deps.publisher,
        stops=deps.stops,
        batching=deps.batching,
        request_timeout=deps.request_timeout,
    )
    return WorkerSpec(GROUP, BINDINGS, work, failed)
