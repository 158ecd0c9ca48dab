"""The journaled worker runtime: a handler becomes begin → checkpointed steps → complete →
publish (with confirms) → ack, in that order, so a crash anywhere loses and repeats nothing.

- A redelivered message whose entry is finished is not recomputed: its stored outcome is
  published again with the same message ids, then acked (a failed one is dead-lettered
  again, in case the crash came between failing it and dead-lettering it).
- Past the attempt limit, or when the handler rejects the work, the entry is `failed`, the
  failure outcome is published and the message is dead-lettered with the reason.
- Entries left unfinished by a crash are resumed by the broker's redelivery, from their
  last checkpoint. Any still untouched `recovery_delay` seconds after start belong to
  messages the broker no longer holds (dead-lettered by its delivery limit, or a journal
  moved to a new node); `recover()` finishes those itself. Finishing twice is harmless:
  outcome ids derive from the task's id and every consumer drops duplicates.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from bus.ports import Message, Publisher, Reject
from contracts import ContractError, Envelope, Payload, Registry, derive_id, new_envelope
from journal.faults import NO_FAULTS, Faults
from journal.sqlite.store import Journal, State

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)


class Steps:
    """Runs a task's expensive steps once: a step finished before a crash returns its output."""

    def __init__(
        self, journal: Journal, message_id: str, done: dict[str, str], faults: Faults
    ) -> None:
        self._journal = journal
        self._message_id = message_id
        self._done = done
        self._faults = faults

    async def run(self, name: str, compute: Callable[[], Awaitable[Any]]) -> Any:
        """Return the JSON output of step `name`, computing and checkpointing it if new."""
        if name in self._done:
            return json.loads(self._done[name])
        output = await compute()
        await self._journal.checkpoint(self._message_id, name, json.dumps(output))
        self._faults.hit("after_checkpoint")
        return output

    async def record(self, name: str, output: Any) -> None:
        """Checkpoint `output` as step `name` now (a step whose output is produced piece by
        piece, such as a batch of a streamed answer); returns once it is durable."""
        text = json.dumps(output)
        await self._journal.checkpoint(self._message_id, name, text)
        self._done[name] = text
        self._faults.hit("after_checkpoint")

    def recorded(self, prefix: str) -> list[Any]:
        """The outputs of the finished steps named `prefix…`, in name order."""
        names = sorted(n for n in self._done if n.startswith(prefix))
        return [json.loads(self._done[n]) for n in names]

    async def model(self, name: str, model: type[M], compute: Callable[[], Awaitable[M]]) -> M:
        """`run` for a step whose output is a pydantic model."""

        async def as_json() -> Any:
            return (await compute()).model_dump(mode="json")

        return model.model_validate(await self.run(name, as_json))


def split_reason(reason: str, default: str = "processing_failed") -> tuple[str, str]:
    """A failure reason `code: message` as (code, message); a bare message gets `default`."""
    code, sep, text = reason.partition(": ")
    if sep and code and code.replace("_", "").isalnum():
        return code, text
    return default, reason


Work = Callable[[Message[Any], Steps], Awaitable[Sequence[Payload]]]
FailureOutcome = Callable[[Message[Any], str], Sequence[Payload]]


class JournaledWorker:
    """A bus handler (`handle`) that journals every task before it is acknowledged."""

    def __init__(
        self,
        journal: Journal,
        publisher: Publisher,
        registry: Registry,
        work: Work,
        on_failure: FailureOutcome,
        *,
        max_attempts: int,
        faults: Faults = NO_FAULTS,
        recovery_delay: float = 30.0,
    ) -> None:
        self._journal = journal
        self._publisher = publisher
        self._registry = registry
        self._work = work
        self._on_failure = on_failure
        self._max_attempts = max_attempts
        self._faults = faults
        self._recovery_delay = recovery_delay
        self._started_at = time.time()
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    async def handle(self, message: Message[Any]) -> None:
        message_id = str(message.envelope.message_id)
        # Two deliveries of one task in this process (a redelivery meeting crash recovery)
        # run one after the other; the lock lives as long as someone holds or awaits it.
        lock, users = self._locks.get(message_id, (asyncio.Lock(), 0))
        self._locks[message_id] = (lock, users + 1)
        try:
            async with lock:
                await self._handle(message, message_id)
        finally:
            lock, users = self._locks[message_id]
            if users == 1:
                del self._locks[message_id]
            else:
                self._locks[message_id] = (lock, users - 1)

    async def _handle(self, message: Message[Any], message_id: str) -> None:
        begun = await self._journal.begin(message.envelope)
        self._faults.hit("after_begin")
        if begun.state.finished:
            await self._republish(begun.outcome or [])
            if begun.state is State.FAILED:
                # A crash may have come between failing it and dead-lettering it: do that now.
                raise Reject(begun.error or "failed")
            return
        if begun.attempts > self._max_attempts:
            await self._poison(message, f"attempts_exhausted: delivered {begun.attempts} times")
        self._journal.mark_processing(message_id)
        steps = Steps(self._journal, message_id, begun.checkpoints, self._faults)
        try:
            payloads = await self._work(message, steps)
        except Reject as exc:
            await self._poison(message, exc.reason)
        except Exception as exc:
            if begun.attempts >= self._max_attempts:
                await self._poison(message, f"attempts_exhausted: {type(exc).__name__}: {exc}")
            raise
        outcome = self._envelopes(message.envelope, payloads)
        await self._journal.complete(message_id, [e.model_dump(mode="json") for e in outcome])
        self._faults.hit("after_complete")
        await self._publish(outcome)
        self._faults.hit("after_publish")

    async def _poison(self, message: Message[Any], reason: str) -> None:
        outcome = self._envelopes(message.envelope, self._on_failure(message, reason))
        await self._journal.fail(
            str(message.envelope.message_id), reason, [e.model_dump(mode="json") for e in outcome]
        )
        await self._publish(outcome)
        raise Reject(reason)

    @staticmethod
    def _envelopes(cause: Envelope, payloads: Sequence[Payload]) -> list[Envelope]:
        return [
            new_envelope(
                payload,
                cause=cause,
                message_id=derive_id(cause.message_id, f"{index}:{payload.__message_type__}"),
            )
            for index, payload in enumerate(payloads)
        ]

    async def _publish(self, outcome: Sequence[Envelope]) -> None:
        for envelope in outcome:
            await self._publisher.publish(envelope)

    async def _republish(self, stored: Sequence[dict[str, Any]]) -> None:
        await self._publish([Envelope.model_validate(raw) for raw in stored])

    async def recover(self) -> int:
        """Finish entries a crash left open that the broker has not redelivered; return count."""
        await asyncio.sleep(self._recovery_delay)
        finished = 0
        for entry in await self._journal.unfinished(touched_before=self._started_at):
            try:
                envelope, payload = self._registry.parse(entry.envelope)
            except ContractError as exc:
                log.error("journal entry %s cannot be read: %s", entry.message_id, exc)
                continue
            message = Message(envelope, payload, entry.attempts + 1, envelope.type)
            log.warning("finishing %s %s left open by a crash", entry.type, entry.message_id)
            try:
                await self.handle(message)
            except Reject:
                pass  # failed and its failure outcome published; nothing to dead-letter here
            except Exception:
                log.exception("could not finish %s; it stays open", entry.message_id)
                continue
            finished += 1
        return finished
