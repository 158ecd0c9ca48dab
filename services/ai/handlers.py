"""The AI worker's journaled task: `scan.image_prepared` → vision → rules → answer → reward →
`scan.progress` 100, `scan.classified`, `scan.completed` (or `scan.failed` with the stage).

The recycling service is asked, over the bus, what it knows: the vision stage asks which
dictionary items the hint names (`recycling.match`) and hands them to the provider; the
rules stage asks for the category's rules and for the dictionary item that agrees with the
classification (matched by its item name, then by the hint), whose notes the answer uses.

Each stage is one checkpoint, so a retry after a crash resumes after the last finished stage
and never asks the model (or grants a character) again for it. Progress 25/50/75 is
published as each stage finishes, best effort, with ids derived from the task's id, so a
redelivery republishes identical ids. A failure names its stage in the reason as `[stage]`,
which `failed` reads back for `scan.failed`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from pydantic import BaseModel

from bus.ports import Message, Publisher, Reject, RemoteError, Requester, is_transient
from contracts import Payload, derive_id, new_envelope
from contracts.character.v1 import Grant, Granted
from contracts.recycling.v1 import (
    MATCH_TEXT_MAX,
    DisposalRules,
    GetRules,
    Item,
    Items,
    Match,
    RulesFound,
)
from contracts.scan.v1 import (
    Classification,
    ImagePrepared,
    Reward,
    RewardCharacter,
    ScanClassified,
    ScanCompleted,
    ScanFailed,
    ScanProgress,
    ScanResult,
    Stage,
)
from journal.sqlite.worker import Steps, split_reason
from objects import ObjectNotFound, ObjectStore
from services.ai import answers, domain
from services.ai.provider import BadModelOutput, Photo, Provider
from services.kit.worker import WorkerSpec

log = logging.getLogger(__name__)

GROUP = "ai"
BINDINGS = ("scan.image_prepared",)

T = TypeVar("T")


@dataclass(frozen=True)
class Pipeline:
    """Everything the task needs, built once by the composition root."""

    provider: Provider
    objects: ObjectStore
    requester: Requester
    publisher: Publisher
    request_timeout: float | None = None


class RulesStep(BaseModel):
    rules: DisposalRules | None
    item: Item | None = None  # the dictionary item that agrees with the classification


class AnswerStep(BaseModel):
    text: str


class RewardStep(BaseModel):
    reward: Reward | None


class StageFailed(Exception):
    """A transient failure inside `stage`; the bus retries the task."""

    def __init__(self, stage: Stage, cause: Exception) -> None:
        super().__init__(f"[{stage}] {type(cause).__name__}: {cause}")


async def _in_stage(stage: Stage, run: Callable[[], Awaitable[T]]) -> T:
    try:
        return await run()
    except Reject as exc:
        code, text = split_reason(exc.reason)
        raise Reject(f"{code}: [{stage}] {text}") from exc
    except Exception as exc:
        raise StageFailed(stage, exc) from exc


async def pipeline(
    message: Message[ImagePrepared],
    steps: Steps,
    *,
    provider: Provider,
    objects: ObjectStore,
    requester: Requester,
    publisher: Publisher,
    request_timeout: float | None = None,
) -> Sequence[Payload]:
    task = message.payload
    cause = message.envelope

    async def progress(stage: Stage, percent: int) -> None:
        event = ScanProgress(
            scan_id=task.scan_id, user_id=task.user_id, stage=stage, progress=percent
        )
        envelope = new_envelope(
            event, cause=cause, message_id=derive_id(cause.message_id, f"progress:{percent}")
        )
        try:
            await publisher.publish(envelope)
        except Exception as exc:  # progress is best effort; the outcome is what counts
            log.warning("could not publish progress %d of %s: %s", percent, task.scan_id, exc)

    async def load() -> bytes:
        try:
            return await objects.get(task.image_key)
        except ObjectNotFound as exc:
            raise Reject(f"image_not_found: {exc}") from exc

    async def named(text: str | None) -> tuple[Item, ...]:
        """The dictionary items `text` names, the most specific first."""
        if text is None or not text.strip():
            return ()
        query = new_envelope(Match(text=text[:MATCH_TEXT_MAX]), cause=cause)
        reply = await requester.request(query, timeout=request_timeout)
        if not isinstance(reply.payload, Items):
            raise TypeError(f"recycling.match answered {reply.envelope.type}")
        return reply.payload.items

    async def vision() -> Classification:
        hinted = await named(task.hint)
        try:
            return await provider.classify(task.hint, Photo(task.content_hash, load), hinted)
        except BadModelOutput as exc:
            raise Reject(f"bad_model_output: {exc}") from None

    async def item() -> Item | None:
        key = (classification.major, classification.middle)
        for text in (classification.minor, task.hint):
            for found_item in await named(text):
                if (found_item.major, found_item.middle) == key:
                    return found_item
        return None

    async def rules() -> RulesStep:
        middle = None if classification.middle == classification.major else classification.middle
        query = new_envelope(GetRules(major=classification.major, middle=middle), cause=cause)
        agreeing = await item()
        try:
            reply = await requester.request(query, timeout=request_timeout)
        except RemoteError as exc:
            if is_transient(exc):
                raise  # an outage, not an answer: the bus retries the step
            if exc.code != "not_found":
                log.warning("no rules for %s: %s", task.scan_id, exc)
            return RulesStep(rules=None, item=agreeing)
        if not isinstance(reply.payload, RulesFound):
            raise TypeError(f"recycling.rules answered {reply.envelope.type}")
        return RulesStep(rules=reply.payload.rules, item=agreeing)

    async def answer() -> AnswerStep:
        try:
            text = await provider.answer(classification, found_rules, found, found_item)
        except BadModelOutput as exc:
            log.warning("model answer unusable for %s, using the template: %s", task.scan_id, exc)
            text = answers.compose(classification, found_rules, found, found_item)
        return AnswerStep(text=text)

    async def reward() -> RewardStep:
        if not domain.reward_eligible(classification, found_rules, found):
            return RewardStep(reward=None)
        grant = Grant(user_id=task.user_id, scan_id=task.scan_id, middle=classification.middle)
        try:
            reply = await requester.request(
                new_envelope(grant, cause=cause), timeout=request_timeout
            )
        except RemoteError as exc:
            if is_transient(exc):
                raise  # not an answer: the grant is retried, and the journal keeps it once
            # A definite answer: no_character, or a refusal (deleted user, conflict).
            if exc.code != "no_character":
                log.warning("no reward for %s: %s", task.scan_id, exc)
            return RewardStep(reward=None)
        if not isinstance(reply.payload, Granted):
            raise TypeError(f"character.grant answered {reply.envelope.type}")
        character = reply.payload.character
        return RewardStep(
            reward=Reward(
                character=RewardCharacter(
                    code=character.code, name=character.name, dialog=character.dialog
                ),
                status=reply.payload.status,
            )
        )

    classification = await _in_stage(
        "vision", lambda: steps.model("vision", Classification, vision)
    )
    await progress("vision", 25)
    looked_up = await _in_stage("rules", lambda: steps.model("rules", RulesStep, rules))
    found_rules, found_item = looked_up.rules, looked_up.item
    await progress("rules", 50)
    found = domain.insufficiencies(classification)
    text = (await _in_stage("answer", lambda: steps.model("answer", AnswerStep, answer))).text
    await progress("answer", 75)
    earned = (await _in_stage("reward", lambda: steps.model("reward", RewardStep, reward))).reward

    result = ScanResult(
        classification=classification,
        disposal=domain.disposal(classification, found_rules),
        insufficiencies=found,
        answer=text,
        model=provider.model,
        reward=earned,
    )
    return [
        ScanProgress(scan_id=task.scan_id, user_id=task.user_id, stage="done", progress=100),
        ScanClassified(
            scan_id=task.scan_id,
            user_id=task.user_id,
            classification=classification,
            model=provider.model,
            content_hash=task.content_hash,
        ),
        ScanCompleted(scan_id=task.scan_id, user_id=task.user_id, result=result),
    ]


_STAGES: dict[str, Stage] = {
    "vision": "vision",
    "rules": "rules",
    "answer": "answer",
    "reward": "reward",
}
_STAGE = re.compile(r"^(?:StageFailed: )?\[(vision|rules|answer|reward)\] ")


def failed(message: Message[Any], reason: str) -> Sequence[Payload]:
    """`scan.failed` for a task that cannot finish, naming the stage it failed in."""
    code, text = split_reason(reason)
    stage: Stage = "vision"
    if match := _STAGE.match(text):
        stage = _STAGES[match.group(1)]
        text = text[match.end() :]
    task = message.payload
    return [
        ScanFailed(scan_id=task.scan_id, user_id=task.user_id, stage=stage, code=code, message=text)
    ]


def worker(deps: Pipeline) -> WorkerSpec:
    """The journaled worker: `pipeline` bound to `deps`, and `failed`."""
    work = partial(
        pipeline,
        provider=deps.provider,
        objects=deps.objects,
        requester=deps.requester,
        publisher=deps.publisher,
        request_timeout=deps.request_timeout,
    )
    return WorkerSpec(GROUP, BINDINGS, work, failed)
