"""The AI worker's journaled pipeline on the memory bus, with fake recycling and character
services: outcomes, progress, rewards, insufficiencies, resume after a crash, failures.
The fake recycling service matches hints with the real dictionary and matcher."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bus.memory import MemoryBroker, MemoryBus
from bus.policy import RetryPolicy
from bus.ports import Message, Reject, RequestFailed, Subscription
from contracts import Envelope, derive_id, new_envelope
from contracts.catalog import build_registry
from contracts.character.v1 import Character, Grant, Granted
from contracts.recycling.v1 import DisposalRules, GetRules, Item, Items, Match, RulesFound
from contracts.scan.v1 import Classification, ImagePrepared, Insufficiency, ScanCompleted
from journal.sqlite.store import Journal, State
from journal.sqlite.worker import JournaledWorker
from objects import LocalObjectStore
from services.ai import handlers
from services.ai.offline import OfflineProvider
from services.ai.provider import BadModelOutput, Photo
from services.recycling import queries
from services.recycling.dictionary import load_dictionary
from services.recycling.matcher import Matcher
from tests.contract.bus_suite import Recorder, eventually

POLICY = RetryPolicy(max_attempts=3, base_delay=0.01, factor=2, max_delay=0.05)
HASH = "c" * 64
MATCHER = Matcher(load_dictionary())


@dataclass
class Spy:
    """The offline provider, counting calls; `answer_fails` raises that many times first."""

    answer_fails: list[BaseException] = field(default_factory=list)
    bad_vision: bool = False
    calls: dict[str, int] = field(default_factory=dict)
    model: str = "offline"

    async def classify(self, hint: str, photo: Photo, named: Sequence[Item]) -> Classification:
        self.calls["classify"] = self.calls.get("classify", 0) + 1
        if self.bad_vision:
            raise BadModelOutput("not JSON")
        return await OfflineProvider().classify(hint, photo, named)

    async def answer(
        self,
        classification: Classification,
        rules: DisposalRules | None,
        insufficiencies: Sequence[Insufficiency],
        item: Item | None,
    ) -> str:
        self.calls["answer"] = self.calls.get("answer", 0) + 1
        if self.answer_fails:
            raise self.answer_fails.pop(0)
        return await OfflineProvider().answer(classification, rules, insufficiencies, item)


@dataclass
class Services:
    """Fake recycling and character services (idempotent per scan, like the real ones);
    `fails` lists the error codes a request type answers with first, one per request."""

    rules_found: bool = True
    character: bool = True
    answers_rules: bool = True
    fails: dict[str, list[str]] = field(default_factory=dict)
    asked: dict[str, int] = field(default_factory=dict)
    owned: dict[str, str] = field(default_factory=dict)

    @property
    def bindings(self) -> list[str]:
        answered = ["recycling.match", "character.grant"]
        return [*answered, "recycling.rules"] if self.answers_rules else answered

    async def handle(self, message: Message[Any]) -> RulesFound | Granted | Items:
        self.asked[message.envelope.type] = self.asked.get(message.envelope.type, 0) + 1
        if codes := self.fails.get(message.envelope.type):
            raise RequestFailed(codes.pop(0), "ConnectionDoesNotExistError: connection lost")
        payload = message.payload
        if isinstance(payload, Match):
            return Items(items=queries.match(MATCHER, payload.text, payload.limit))
        if isinstance(payload, GetRules):
            if not self.rules_found:
                raise RequestFailed("not_found", "no such category")
            return RulesFound(
                rules=DisposalRules(
                    major=payload.major,
                    middle=payload.middle or payload.major,
                    label="clear PET bottles",
                    targets=("생수병",),
                    detailed_items=(),
                    steps=("내용물을 비우고 라벨을 떼어 주세요.", "찌그러뜨려 뚜껑을 닫아 주세요."),
                    detailed_steps=(),
                    not_accepted=(),
                )
            )
        assert isinstance(payload, Grant)
        if not self.character:
            raise RequestFailed("no_character", "no character for this category")
        status = self.owned.setdefault(payload.scan_id, "newly_acquired")
        return Granted(
            user_id=payload.user_id,
            scan_id=payload.scan_id,
            character=Character(
                code="peti", name="페티", type="PET", dialog="반가워!", middle=payload.middle
            ),
            status="newly_acquired" if status == "newly_acquired" else "already_owned",
        )


@dataclass
class Rig:
    journal: Journal
    bus: MemoryBus
    broker: MemoryBroker
    seen: Recorder
    worker: JournaledWorker

    def of(self, kind: str) -> list[Message[Any]]:
        return [m for m in self.seen.seen if m.envelope.type == kind]


Make = Callable[..., Awaitable[Rig]]


@pytest.fixture
async def make(tmp_path: Path) -> AsyncIterator[Make]:
    opened: list[Rig] = []
    objects = LocalObjectStore(tmp_path / "objects")
    await objects.put("prepared/x.jpg", b"\xff\xd8 a jpeg", "image/jpeg")

    async def build(provider: Spy, services: Services | None, request_timeout: float = 1.0) -> Rig:
        journal = await Journal.open(tmp_path / "ai.journal", worker="ai")
        bus = MemoryBus(build_registry(), policy=POLICY, request_timeout=request_timeout)
        spec = handlers.worker(
            handlers.Pipeline(
                provider=provider,
                objects=objects,
                requester=bus,
                publisher=bus,
                request_timeout=request_timeout,
            )
        )
        worker = JournaledWorker(
            journal,
            bus,
            build_registry(),
            spec.work,
            spec.on_failure,
            max_attempts=POLICY.max_attempts,
        )
        seen = Recorder()
        bus.subscribe(Subscription(spec.group, spec.bindings, worker.handle))
        bus.subscribe(Subscription("downstream", ["scan.*"], seen))
        if services is not None:
            bus.subscribe(Subscription("fakes", services.bindings, services.handle))
        await bus.start()
        rig = Rig(journal, bus, bus.broker, seen, worker)
        opened.append(rig)
        return rig

    yield build
    for rig in opened:
        await rig.bus.close()
        await rig.journal.close()


def task(hint: str) -> Envelope:
    return new_envelope(
        ImagePrepared(
            scan_id="s1",
            user_id="u1",
            image_key="prepared/x.jpg",
            content_hash=HASH,
            content_type="image/jpeg",
            width=64,
            height=48,
            hint=hint,
        )
    )


async def test_a_clean_clear_pet_bottle_completes_with_a_new_character(make: Make) -> None:
    services = Services()
    rig = await make(Spy(), services)
    sent = task("라벨 뗀 투명 페트병")
    await rig.bus.publish(sent)
    await eventually(lambda: len(rig.of("scan.completed")) == 1)
    result = rig.of("scan.completed")[0].payload.result
    assert (result.classification.middle, result.insufficiencies) == ("무색페트병", ())
    assert result.reward is not None
    assert (result.reward.character.code, result.reward.status) == ("peti", "newly_acquired")
    assert result.disposal.steps[0] == "내용물을 비우고 라벨을 떼어 주세요."
    assert result.model == "offline"
    assert "이코" in result.answer
    assert len(rig.of("scan.classified")) == 1

    await eventually(lambda: len(rig.of("scan.progress")) == 4)
    progress = {m.payload.progress: m for m in rig.of("scan.progress")}
    assert sorted(progress) == [25, 50, 75, 100]
    assert progress[100].payload.stage == "done"
    for n in (25, 50, 75):
        assert progress[n].envelope.message_id == derive_id(sent.message_id, f"progress:{n}")
    # recycling.match: the hint for vision, the item name for the answer's notes.
    assert services.asked == {"recycling.match": 2, "recycling.rules": 1, "character.grant": 1}


async def test_a_label_still_on_is_an_insufficiency_and_earns_nothing(make: Make) -> None:
    services = Services()
    rig = await make(Spy(), services)
    await rig.bus.publish(task("라벨이 그대로 붙은 투명 페트병"))
    await eventually(lambda: len(rig.of("scan.completed")) == 1)
    result = rig.of("scan.completed")[0].payload.result
    assert [i.tag for i in result.insufficiencies] == ["label_attached"]
    assert result.reward is None
    assert "라벨" in result.answer
    assert "character.grant" not in services.asked, "no grant is asked for"


async def test_no_rules_means_the_fallback_disposal_and_no_reward(make: Make) -> None:
    services = Services(rules_found=False)
    rig = await make(Spy(), services)
    await rig.bus.publish(task("라벨 뗀 투명 페트병"))
    await eventually(lambda: len(rig.of("scan.completed")) == 1)
    result: ScanCompleted = rig.of("scan.completed")[0].payload
    assert result.result.reward is None
    assert result.result.disposal.steps[0].startswith("내용물을 비우고")
    assert "character.grant" not in services.asked


async def test_a_category_without_a_character_earns_nothing(make: Make) -> None:
    rig = await make(Spy(), Services(character=False))
    await rig.bus.publish(task("우유팩"))
    await eventually(lambda: len(rig.of("scan.completed")) == 1)
    assert rig.of("scan.completed")[0].payload.result.reward is None


@pytest.mark.parametrize("code", ["unavailable", "internal_error"])
async def test_a_grant_that_meets_an_outage_is_retried_and_the_reward_kept(
    make: Make, code: str
) -> None:
    services = Services(fails={"character.grant": [code, code]})
    rig = await make(Spy(), services)
    await rig.bus.publish(task("라벨 뗀 투명 페트병"))
    await eventually(lambda: len(rig.of("scan.completed")) == 1)
    reward = rig.of("scan.completed")[0].payload.result.reward
    assert reward is not None
    assert (reward.character.code, reward.status) == ("peti", "newly_acquired")
    assert services.asked["character.grant"] == 3
    assert services.asked["recycling.rules"] == 1, "the retries resumed at the reward stage"


async def test_rules_that_meet_an_outage_are_asked_again(make: Make) -> None:
    services = Services(fails={"recycling.rules": ["unavailable"]})
    rig = await make(Spy(), services)
    await rig.bus.publish(task("라벨 뗀 투명 페트병"))
    await eventually(lambda: len(rig.of("scan.completed")) == 1)
    result: ScanCompleted = rig.of("scan.completed")[0].payload
    assert result.result.reward is not None, "the rules were found on the second ask"
    assert services.asked["recycling.rules"] == 2


@pytest.mark.parametrize("code", ["user_deleted", "grant_conflict"])
async def test_a_definite_refusal_of_the_grant_ends_it_without_a_reward(
    make: Make, code: str
) -> None:
    services = Services(fails={"character.grant": [code]})
    rig = await make(Spy(), services)
    await rig.bus.publish(task("라벨 뗀 투명 페트병"))
    await eventually(lambda: len(rig.of("scan.completed")) == 1)
    assert rig.of("scan.completed")[0].payload.result.reward is None
    assert services.asked["character.grant"] == 1


async def test_a_retry_after_the_rules_stage_does_not_ask_the_model_again(make: Make) -> None:
    spy, services = Spy(answer_fails=[ConnectionError("model unreachable")]), Services()
    rig = await make(spy, services)
    await rig.bus.publish(task("라벨 뗀 투명 페트병"))
    await eventually(lambda: len(rig.of("scan.completed")) == 1)
    assert spy.calls == {"classify": 1, "answer": 2}
    assert services.asked["recycling.rules"] == 1


async def test_a_crash_after_the_rules_checkpoint_resumes_there(make: Make) -> None:
    services = Services()
    crashing = Spy(answer_fails=[asyncio.CancelledError()])  # the process dies mid-answer
    first = await make(crashing, services)
    sent = task("라벨 뗀 투명 페트병")
    message = Message(sent, ImagePrepared.model_validate(sent.payload), 1, sent.type)
    with pytest.raises(asyncio.CancelledError):
        await first.worker.handle(message)
    entry = await first.journal.get(str(sent.message_id))
    assert entry is not None
    assert set(entry.checkpoints) == {"vision", "rules"}
    await first.bus.close()
    await first.journal.close()

    restarted = Spy()
    second = await make(restarted, services)
    await second.worker.handle(Message(sent, message.payload, 2, sent.type))
    await eventually(lambda: len(second.of("scan.completed")) == 1)
    assert "classify" not in restarted.calls, "vision was not asked again"
    assert services.asked["recycling.rules"] == 1
    entry = await second.journal.get(str(sent.message_id))
    assert entry is not None
    assert entry.state is State.COMPLETED
    assert set(entry.checkpoints) == {"vision", "rules", "answer", "reward"}


async def test_bad_model_output_fails_the_scan_at_the_vision_stage(make: Make) -> None:
    rig = await make(Spy(bad_vision=True), Services())
    await rig.bus.publish(task("우유팩"))
    await eventually(lambda: len(rig.broker.dead[handlers.GROUP]) == 1)
    await eventually(lambda: len(rig.of("scan.failed")) == 1)
    failed = rig.of("scan.failed")[0].payload
    assert (failed.stage, failed.code, failed.message) == ("vision", "bad_model_output", "not JSON")


async def test_rules_that_never_answer_fail_the_scan_at_the_rules_stage(make: Make) -> None:
    spy = Spy()
    rig = await make(spy, Services(answers_rules=False), request_timeout=0.05)
    await rig.bus.publish(task("우유팩"))
    await eventually(lambda: len(rig.of("scan.failed")) == 1)
    failed = rig.of("scan.failed")[0].payload
    assert (failed.stage, failed.code) == ("rules", "attempts_exhausted")
    assert failed.message.startswith("RequestTimeout")
    assert spy.calls == {"classify": 1}, "each retry resumed after vision"
    assert not rig.of("scan.completed")


async def test_a_dictionary_that_never_answers_fails_the_scan_at_the_vision_stage(
    make: Make,
) -> None:
    spy = Spy()
    rig = await make(spy, None, request_timeout=0.05)  # no recycling service at all
    await rig.bus.publish(task("우유팩"))
    await eventually(lambda: len(rig.of("scan.failed")) == 1)
    failed = rig.of("scan.failed")[0].payload
    assert (failed.stage, failed.code) == ("vision", "attempts_exhausted")
    assert failed.message.startswith("RequestTimeout")
    assert spy.calls == {}, "the provider is not asked without the dictionary's answer"


async def test_the_answer_carries_the_matched_items_notes(make: Make) -> None:
    services = Services()
    rig = await make(Spy(), services)
    await rig.bus.publish(task("치킨뼈는 어디에 버려?"))
    await eventually(lambda: len(rig.of("scan.completed")) == 1)
    result = rig.of("scan.completed")[0].payload.result
    bone = load_dictionary().item("chicken-bone")
    assert (result.classification.major, result.classification.minor) == (bone.major, bone.ko)
    assert bone.notes is not None
    assert bone.notes in result.answer
    assert result.reward is None


async def test_a_hint_naming_no_item_is_unclassified_and_says_so(make: Make) -> None:
    rig = await make(Spy(), Services())
    await rig.bus.publish(task("zxqv 뭔지 모를 것"))
    await eventually(lambda: len(rig.of("scan.completed")) == 1)
    result = rig.of("scan.completed")[0].payload.result
    assert (result.classification.major, result.classification.minor) == ("미분류", None)
    assert "알아보지 못했어요" in result.answer


def test_failure_reasons_without_a_stage_blame_vision() -> None:
    sent = task("x")
    message = Message(sent, ImagePrepared.model_validate(sent.payload), 9, sent.type)
    [failed] = handlers.failed(message, "attempts_exhausted: delivered 9 times")
    assert (failed.stage, failed.code) == ("vision", "attempts_exhausted")  # type: ignore[attr-defined]
    [rejected] = handlers.failed(message, Reject("image_not_found: [vision] gone").reason)
    assert (rejected.stage, rejected.message) == ("vision", "gone")  # type: ignore[attr-defined]
