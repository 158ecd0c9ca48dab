"""The journaled worker runtime on the memory bus: order of effects, resume, poison."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bus.memory import MemoryBroker, MemoryBus
from bus.policy import RetryPolicy
from bus.ports import Message, Reject, Subscription
from contracts import Payload, derive_id, new_envelope
from journal.sqlite.store import Journal, State
from journal.sqlite.worker import JournaledWorker, Steps
from tests.contract.bus_suite import Recorder, eventually
from tests.contract.messages import Echoed, Note, registry

POLICY = RetryPolicy(max_attempts=3, base_delay=0.01, factor=2, max_delay=0.05)


@dataclass
class Script:
    """What the task does per attempt, and what it did."""

    fail_after_first_step: int = 0  # attempts that fail after step one
    reject: bool = False
    always_fail: bool = False
    calls: dict[str, int] = field(default_factory=dict)

    async def work(self, message: Message[Any], steps: Steps) -> Sequence[Payload]:
        async def first() -> str:
            self.calls["first"] = self.calls.get("first", 0) + 1
            return str(message.payload.text).upper()

        async def second() -> str:
            self.calls["second"] = self.calls.get("second", 0) + 1
            return "!"

        if self.reject:
            raise Reject("not a photo")
        shout = await steps.run("first", first)
        if self.always_fail:
            raise RuntimeError("model unavailable")
        if self.fail_after_first_step:
            self.fail_after_first_step -= 1
            raise ConnectionError("lost the model mid-task")
        bang = await steps.run("second", second)
        return [Echoed(text=shout + bang)]

    @staticmethod
    def failed(message: Message[Any], reason: str) -> Sequence[Payload]:
        return [Echoed(text=f"failed: {reason}")]


@dataclass
class Rig:
    journal: Journal
    bus: MemoryBus
    broker: MemoryBroker
    outcomes: Recorder
    worker: JournaledWorker


@pytest.fixture
async def make(tmp_path: Path) -> AsyncIterator[Any]:
    opened: list[tuple[Journal, MemoryBus]] = []
    broker = MemoryBroker()

    async def build(script: Script, recovery_delay: float = 30.0) -> Rig:
        journal = await Journal.open(tmp_path / "ai.journal", worker="ai")
        bus = MemoryBus(registry(), broker=broker, policy=POLICY)
        worker = JournaledWorker(
            journal,
            bus,
            registry(),
            script.work,
            script.failed,
            max_attempts=POLICY.max_attempts,
            recovery_delay=recovery_delay,
        )
        outcomes = Recorder()
        bus.subscribe(Subscription("worker", ["testbus.note"], worker.handle))
        bus.subscribe(Subscription("downstream", ["testbus.echoed"], outcomes))
        await bus.start()
        opened.append((journal, bus))
        return Rig(journal, bus, broker, outcomes, worker)

    yield build
    for journal, bus in opened:
        await bus.close()
        await journal.close()


async def test_task_is_journaled_completed_and_published_once(make: Any) -> None:
    script = Script()
    rig: Rig = await make(script)
    task = new_envelope(Note(text="bottle"))
    await rig.bus.publish(task)
    await eventually(lambda: len(rig.outcomes.seen) == 1)
    outcome = rig.outcomes.seen[0]
    assert outcome.payload == Echoed(text="BOTTLE!")
    assert outcome.envelope.message_id == derive_id(task.message_id, "0:testbus.echoed")
    assert outcome.envelope.causation_id == task.message_id
    entry = await rig.journal.get(str(task.message_id))
    assert entry is not None
    assert (entry.state, entry.attempts, entry.synced) == (State.COMPLETED, 1, False)
    assert set(entry.checkpoints) == {"first", "second"}

    await rig.bus.publish(task)  # redelivered after it finished
    await eventually(lambda: len(rig.outcomes.seen) == 2)
    assert rig.outcomes.seen[1].envelope == outcome.envelope, "same outcome, same ids"
    assert script.calls == {"first": 1, "second": 1}, "finished work is never recomputed"


async def test_a_retry_resumes_after_the_last_checkpoint(make: Any) -> None:
    script = Script(fail_after_first_step=1)
    rig: Rig = await make(script)
    task = new_envelope(Note(text="can"))
    await rig.bus.publish(task)
    await eventually(lambda: len(rig.outcomes.seen) == 1)
    assert script.calls == {"first": 1, "second": 1}
    entry = await rig.journal.get(str(task.message_id))
    assert entry is not None
    assert (entry.state, entry.attempts) == (State.COMPLETED, 2)


async def test_poison_work_fails_publishes_its_failure_and_is_dead_lettered(make: Any) -> None:
    script = Script(always_fail=True)
    rig: Rig = await make(script)
    task = new_envelope(Note(text="cursed"))
    await rig.bus.publish(task)
    await eventually(lambda: len(rig.broker.dead["worker"]) == 1)
    entry = await rig.journal.get(str(task.message_id))
    assert entry is not None
    assert entry.state is State.FAILED
    assert entry.attempts == POLICY.max_attempts
    assert "model unavailable" in (entry.error or "")
    assert script.calls["first"] == 1, "the finished first step was not redone"
    await eventually(lambda: len(rig.outcomes.seen) == 1)
    assert rig.outcomes.seen[0].payload.text.startswith("failed: attempts_exhausted")
    assert rig.broker.dead["worker"][0].reason == "rejected"


async def test_rejected_work_fails_at_once(make: Any) -> None:
    rig: Rig = await make(Script(reject=True))
    task = new_envelope(Note(text="txt"))
    await rig.bus.publish(task)
    await eventually(lambda: len(rig.broker.dead["worker"]) == 1)
    entry = await rig.journal.get(str(task.message_id))
    assert entry is not None
    assert (entry.state, entry.attempts, entry.error) == (State.FAILED, 1, "not a photo")
    assert rig.broker.dead["worker"][0].detail == "not a photo"


async def test_open_entries_the_broker_no_longer_holds_are_finished_on_start(
    make: Any, tmp_path: Path
) -> None:
    crashed = await Journal.open(tmp_path / "ai.journal", worker="ai")
    task = new_envelope(Note(text="orphan"))
    await crashed.begin(task)
    await crashed.checkpoint(str(task.message_id), "first", '"ORPHAN"')
    await crashed.close()

    script = Script()
    rig: Rig = await make(script, recovery_delay=0.01)
    assert await rig.worker.recover() == 1
    await eventually(lambda: len(rig.outcomes.seen) == 1)
    assert rig.outcomes.seen[0].payload == Echoed(text="ORPHAN!")
    assert script.calls == {"second": 1}, "resumed from its checkpoint"
    await asyncio.sleep(0)


async def test_a_failed_entry_redelivered_is_dead_lettered_again(make: Any) -> None:
    rig: Rig = await make(Script(reject=True))
    task = new_envelope(Note(text="twice"))
    await rig.bus.publish(task)
    await eventually(lambda: len(rig.broker.dead["worker"]) == 1)
    await rig.bus.publish(task)  # as if the crash came before the dead-lettering
    await eventually(lambda: len(rig.broker.dead["worker"]) == 2)
    await eventually(lambda: len(rig.outcomes.seen) == 2)
    assert rig.outcomes.seen[0].envelope == rig.outcomes.seen[1].envelope
    entry = await rig.journal.get(str(task.message_id))
    assert entry is not None
    assert (entry.state, entry.attempts) == (State.FAILED, 2)


async def test_concurrent_deliveries_of_one_task_run_one_after_the_other(make: Any) -> None:
    script = Script()
    rig: Rig = await make(script)
    task = new_envelope(Note(text="twin"))
    message = Message(task, Note(text="twin"), 1, "testbus.note")
    await asyncio.gather(*(rig.worker.handle(message) for _ in range(3)))
    assert script.calls == {"first": 1, "second": 1}
    await eventually(lambda: len(rig.outcomes.seen) == 3)
    assert len({m.envelope.message_id for m in rig.outcomes.seen}) == 1
    assert rig.worker._locks == {}
