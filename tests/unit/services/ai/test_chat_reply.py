"""The AI worker's journaled reply task on the memory bus, with fake scan and recycling
services: grounding, batching, stop, length, provider failures, and a worker that dies
mid-answer resuming after the last journaled batch with one continuous text."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from bus.memory import MemoryBus
from bus.policy import RetryPolicy
from bus.ports import Message, RequestFailed, Subscription
from contracts import Envelope, new_envelope
from contracts.catalog import build_registry
from contracts.chat.v1 import ReplyRequested
from contracts.recycling.v1 import (
    DisposalRules,
    GetRules,
    Item,
    Items,
    Match,
    NotAccepted,
    RulesFound,
)
from contracts.scan.v1 import (
    Classification,
    Disposal,
    GetScan,
    ListScans,
    ScanPage,
    ScanRecord,
    ScanResult,
    ScanView,
)
from journal.sqlite.store import Journal
from journal.sqlite.worker import JournaledWorker
from services.ai.chat import offline, task
from services.ai.chat.offline import OfflineCoach
from services.ai.chat.provider import Chunk, Prompt, ProviderBusy
from services.ai.chat.stops import Stops
from tests.contract.bus_suite import Recorder, eventually

POLICY = RetryPolicy(max_attempts=4, base_delay=0.01, factor=2, max_delay=0.05)
SCAN = "5c1d0e6a-8f59-4b8e-9a43-7b1c2d3e4f50"
FAST = 2000.0  # words a second: the tests need no readable pace
SMALL_BATCHES = task.Batching(0.05, 8)


@dataclass
class Fakes:
    """The scan service (one completed clear PET bottle scan) and the recycling service."""

    asked: dict[str, int] = field(default_factory=dict)

    async def handle(self, message: Message[Any]) -> Any:
        kind = message.envelope.type
        self.asked[kind] = self.asked.get(kind, 0) + 1
        payload = message.payload
        at = datetime(2026, 12, 1, tzinfo=UTC)
        view = ScanView(
            id=SCAN,
            status="completed",
            stage="done",
            progress=100,
            created_at=at,
            result=ScanResult(
                classification=Classification(
                    major="재활용폐기물", middle="무색페트병", minor="생수병"
                ),
                disposal=Disposal(steps=("라벨을 떼요",)),
                insufficiencies=(),
                answer="라벨을 떼고 버려 주세요.",
                model="offline",
            ),
        )
        match payload:
            case GetScan(scan_id=scan_id):
                if scan_id != SCAN:
                    raise RequestFailed("not_found", "no such scan")
                return ScanRecord(scan=view)
            case ListScans():
                return ScanPage(items=(view,))
            case Match(text=text):
                if "뼈" in text:
                    hit = Item(
                        id="chicken-bone",
                        ko="치킨 뼈",
                        en="chicken bones",
                        major="일반종량제폐기물",
                        middle="일반종량제폐기물",
                        label="general waste",
                        notes=None,
                        matched="치킨 뼈",
                    )
                    return Items(items=(hit,))
                return Items(items=())
            case GetRules(major=major, middle=middle):
                return RulesFound(
                    rules=DisposalRules(
                        major=major,
                        middle=middle or major,
                        label="label",
                        targets=(),
                        detailed_items=(),
                        steps=(f"{middle or major} 규칙을 따라 주세요.", "깨끗하게 비워 주세요."),
                        detailed_steps=(),
                        not_accepted=(NotAccepted(item="영수증", instead="일반종량제폐기물"),),
                    )
                )
        raise AssertionError(kind)


class Dying:
    """A provider that dies (like a SIGKILLed process, from the task's view) after `after`
    chunks on its first `times` streams, then writes like the offline coach."""

    def __init__(self, after: int, times: int = 1, words_per_second: float = FAST) -> None:
        self.coach = OfflineCoach(words_per_second)
        self.after = after
        self.times = times
        self.resumed_from: list[str] = []

    @property
    def model(self) -> str:
        return self.coach.model

    async def stream(self, prompt: Prompt, so_far: str) -> AsyncIterator[Chunk]:
        self.resumed_from.append(so_far)
        dying = self.times > 0
        self.times -= 1
        count = 0
        async for chunk in self.coach.stream(prompt, so_far):
            if dying and count == self.after:
                raise RuntimeError("killed")
            count += 1
            yield chunk


class Busy:
    model = "busy"

    async def stream(self, prompt: Prompt, so_far: str) -> AsyncIterator[Chunk]:
        yield Chunk(text="잠깐만요 ")
        raise ProviderBusy("429 Too Many Requests: raw provider text")


@dataclass
class Rig:
    bus: MemoryBus
    seen: Recorder
    stops: Stops
    fakes: Fakes

    def of(self, kind: str, reply_id: str | None = None) -> list[Message[Any]]:
        return [
            m
            for m in self.seen.seen
            if m.envelope.type == kind and reply_id in (None, m.payload.reply_id)
        ]

    def terminal(self, reply_id: str) -> list[Message[Any]]:
        return [
            m
            for k in ("chat.completed", "chat.incomplete", "chat.failed")
            for m in self.of(k, reply_id)
        ]


Make = Callable[..., Awaitable[Rig]]


@pytest.fixture
async def make(tmp_path: Path) -> AsyncIterator[Make]:
    opened: list[tuple[MemoryBus, Journal]] = []

    async def build(provider: Any, batching: task.Batching = SMALL_BATCHES) -> Rig:
        journal = await Journal.open(tmp_path / "ai.journal", worker="ai")
        bus = MemoryBus(build_registry(), policy=POLICY, request_timeout=2)
        stops = Stops()
        work = partial(
            task.reply,
            provider=provider,
            requester=bus,
            publisher=bus,
            stops=stops,
            batching=batching,
            request_timeout=2,
        )
        worker = JournaledWorker(
            journal, bus, build_registry(), work, task.failed, max_attempts=POLICY.max_attempts
        )
        fakes = Fakes()
        seen = Recorder()
        bus.subscribe(Subscription("ai", list(task.BINDINGS), worker.handle))
        bus.subscribe(Subscription("downstream", ["chat.*"], seen))
        bus.subscribe(
            Subscription(
                "fakes",
                ["scan.get", "scan.list", "recycling.match", "recycling.rules"],
                fakes.handle,
            )
        )
        await bus.start()
        opened.append((bus, journal))
        return Rig(bus, seen, stops, fakes)

    yield build
    for bus, journal in opened:
        await bus.close()
        await journal.close()


def asked(text: str, reply_id: str = "r1", **fields: Any) -> Envelope:
    return new_envelope(
        ReplyRequested(
            reply_id=reply_id,
            chat_id="c1",
            user_id="u1",
            message_id=f"m-{reply_id}",
            text=text,
            max_tokens=fields.pop("max_tokens", 400),
            **fields,
        )
    )


def whole(rig: Rig, reply_id: str) -> str:
    """The deltas' texts in seq order, checking that every seq from 1 came exactly once
    once repeats of one message id (dropped by every consumer) are left out."""
    unique = {m.envelope.message_id: m for m in rig.of("chat.delta", reply_id)}
    deltas = sorted(unique.values(), key=lambda m: m.payload.seq)
    seqs = [m.payload.seq for m in deltas]
    assert seqs == list(range(1, len(seqs) + 1)), seqs
    return "".join(m.payload.text for m in deltas)


async def test_a_grounded_answer_streams_in_batches_and_completes_with_its_sources(
    make: Make,
) -> None:
    rig = await make(OfflineCoach(FAST))
    await rig.bus.publish(asked("이 페트병 어떻게 버려?", scan_id=SCAN))
    await eventually(lambda: len(rig.terminal("r1")) == 1)
    [done] = rig.of("chat.completed")
    [context] = rig.of("chat.context")
    assert [s.id for s in context.payload.scans] == [SCAN]
    assert context.payload.rules[0].middle == "무색페트병"
    text = done.payload.text
    assert text == whole(rig, "r1")
    assert text.startswith("오프라인 코치 이코")  # it says it is the offline coach
    assert "생수병" in text
    assert "무색페트병 규칙을 따라 주세요." in text
    words = len(text.split())
    assert 1 < done.payload.deltas < words  # batched, not one message a word
    kinds = {s.kind for s in done.payload.sources}
    assert {"scan", "rule"} <= kinds
    assert done.payload.usage.estimated
    assert done.payload.usage.completion_tokens > 0


async def test_a_worker_dying_mid_answer_resumes_after_the_last_journaled_batch(
    make: Make,
) -> None:
    provider = Dying(after=6, times=2)
    rig = await make(provider, task.Batching(10.0, 4))
    sent = asked("치킨 뼈는 어디에 버려?")
    await rig.bus.publish(sent)
    await eventually(lambda: len(rig.terminal("r1")) == 1)
    [done] = rig.of("chat.completed")
    expected = offline.compose("치킨 뼈는 어디에 버려?", rig.of("chat.context")[0].payload, "ko")
    assert done.payload.text == expected == whole(rig, "r1")
    # Each new attempt continued after what the journal held, never from scratch.
    assert len(provider.resumed_from) == 3
    assert provider.resumed_from[0] == ""
    assert 0 < len(provider.resumed_from[1]) < len(provider.resumed_from[2]) < len(expected)
    assert expected.startswith(provider.resumed_from[2])
    # The grounding was gathered once: the context step came from the journal after.
    assert rig.fakes.asked["scan.list"] == 1


async def test_a_stop_keeps_the_partial_text_as_incomplete(make: Make) -> None:
    rig = await make(OfflineCoach(words_per_second=40))
    await rig.bus.publish(asked("치킨 뼈는 어디에 버려?"))
    await eventually(lambda: len(rig.of("chat.delta", "r1")) >= 2)
    rig.stops.stop("r1")
    await eventually(lambda: len(rig.terminal("r1")) == 1)
    [ended] = rig.of("chat.incomplete")
    assert ended.payload.reason == "stopped"
    assert ended.payload.text == whole(rig, "r1")
    full = offline.compose("치킨 뼈는 어디에 버려?", rig.of("chat.context")[0].payload, "ko")
    assert 0 < len(ended.payload.text) < len(full)
    assert full.startswith(ended.payload.text)


async def test_a_stop_before_the_answer_starts_ends_it_at_once(make: Make) -> None:
    rig = await make(OfflineCoach(FAST))
    rig.stops.stop("r9")
    await rig.bus.publish(asked("안녕", reply_id="r9"))
    await eventually(lambda: len(rig.terminal("r9")) == 1)
    [ended] = rig.of("chat.incomplete", "r9")
    assert (ended.payload.reason, ended.payload.text, ended.payload.deltas) == ("stopped", "", 0)


async def test_the_length_limit_ends_the_answer_incomplete(make: Make) -> None:
    rig = await make(OfflineCoach(FAST))
    await rig.bus.publish(asked("이 페트병 어떻게 버려?", scan_id=SCAN, max_tokens=20))
    await eventually(lambda: len(rig.terminal("r1")) == 1)
    [ended] = rig.of("chat.incomplete")
    assert ended.payload.reason == "length"
    assert ended.payload.text == whole(rig, "r1")


async def test_a_provider_failure_is_said_in_ecos_voice_and_keeps_the_text(make: Make) -> None:
    rig = await make(Busy(), task.Batching(0.01, 1))
    await rig.bus.publish(asked("치킨 뼈는 어디에 버려?"))
    await eventually(lambda: len(rig.terminal("r1")) == 1)
    [failed] = rig.of("chat.failed")
    error = failed.payload.error
    assert error.code == "provider_busy"
    assert "429" not in error.message
    assert "이코" in error.message
    assert failed.payload.text == whole(rig, "r1") == "잠깐만요 "


async def test_an_answer_is_not_written_twice_when_delivered_again(make: Make) -> None:
    rig = await make(OfflineCoach(FAST))
    sent = asked("치킨 뼈는 어디에 버려?")
    await rig.bus.publish(sent)
    await eventually(lambda: len(rig.terminal("r1")) == 1)
    first = rig.of("chat.completed")[0]
    await rig.bus.publish(sent)
    await eventually(lambda: len(rig.terminal("r1")) == 2)
    again = rig.of("chat.completed")[1]
    assert again.envelope.message_id == first.envelope.message_id
    assert again.payload == first.payload
    await asyncio.sleep(0)
