"""Chat answers while the AI workers are SIGKILLed at random: real `eco2 run ai` processes
on RabbitMQ and PostgreSQL beside the real chat, scan and recycling services (the chat
service stores the questions and the answers; the other two answer the grounding). Each
question is a `chat.create` and a `chat.send` over the bus; the AI workers are killed and
restarted every second or so while the answers stream. The checker reads every
`chat.delta` and terminal event and requires, for every reply: exactly one terminal
outcome, every `seq` from 1 to its last exactly once (a repeat carries the same message
id and text, which consumers drop), the outcome's text equal to the deltas concatenated
and to the offline coach's whole answer, and the answer the chat service stored
`completed` with that same text.

    pytest tests/chaos/test_chat_chaos.py --chaos-replies 200     (default 40)
    pytest tests/chaos/test_chat_chaos.py --chaos-across-workers  (two AI workers: xfail)

One AI worker by default: a killed worker's replies are redelivered to it once it is back,
and it resumes them from its journal. With two, a reply redelivered to the other worker
starts over (see ACROSS_WORKERS): a known failure, kept as a strict xfail.

Every wait is bounded, so a lost answer fails the test rather than hanging it.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest

from bus.ports import Message, Subscription
from bus.rabbit import RabbitBus
from contracts import new_envelope
from contracts.catalog import build_registry
from contracts.chat.v1 import ChatRecord, CreateChat, MessageAccepted, ReplyContext, SendMessage
from services.ai.chat.offline import compose
from tests.chaos.checks import settle, wait_for_queues
from tests.chaos.conftest import Env
from tests.chaos.fleet import Fleet, Slot

pytestmark = [pytest.mark.rabbit, pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(900)]

REQUEST_TIMEOUT = 30.0

QUESTIONS = (
    "치킨 뼈는 어디에 버려?",
    "라벨 안 떼고 페트병을 버리면 어떻게 돼?",
    "유리병은 어떻게 버려?",
    "근처에 건전지 받는 곳 있어?",
)
TERMINAL = ("chat.completed", "chat.incomplete", "chat.failed")


@dataclass
class Tally:
    questions: dict[str, str] = field(default_factory=dict)
    contexts: dict[str, ReplyContext] = field(default_factory=dict)
    # reply -> seq -> {(message id, text)}: more than one pair is a repeated seq
    deltas: dict[str, dict[int, set[tuple[uuid.UUID, str]]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set))
    )
    endings: dict[str, dict[uuid.UUID, Any]] = field(default_factory=lambda: defaultdict(dict))

    async def handle(self, message: Message[Any]) -> None:
        payload = message.payload
        kind = message.envelope.type
        if kind == "chat.context":
            self.contexts[payload.reply_id] = payload
        elif kind == "chat.delta":
            self.deltas[payload.reply_id][payload.seq].add(
                (message.envelope.message_id, payload.text)
            )
        else:
            self.endings[payload.reply_id][message.envelope.message_id] = message

    def finished(self) -> int:
        return sum(1 for r in self.questions if self.endings.get(r))

    def problems(self) -> list[str]:
        found = []
        for reply, question in self.questions.items():
            endings = self.endings.get(reply, {})
            if len(endings) != 1:
                found.append(f"{reply}: {len(endings)} terminal outcomes")
                continue
            [ending] = endings.values()
            seqs = self.deltas.get(reply, {})
            repeated = [s for s, pairs in seqs.items() if len(pairs) != 1]
            if repeated:
                found.append(f"{reply}: seq {repeated} repeated with another id or text")
            if sorted(seqs) != list(range(1, len(seqs) + 1)):
                found.append(f"{reply}: seqs {sorted(seqs)} have gaps")
            text = "".join(next(iter(seqs[s]))[1] for s in sorted(seqs))
            if ending.envelope.type != "chat.completed":
                found.append(f"{reply}: ended {ending.envelope.type}")
            elif ending.payload.text != text or ending.payload.deltas != len(seqs):
                found.append(f"{reply}: the outcome's text is not the deltas concatenated")
            elif text != compose(question, self.contexts[reply], "ko"):
                found.append(f"{reply}: the text is not the whole answer")
        return found


async def _ask(bus: RabbitBus, question: str) -> str:
    """A new person's question in a new chat, sent to the chat service; its reply id."""
    user_id = str(uuid.uuid4())
    created = await bus.request(
        new_envelope(CreateChat(user_id=user_id), user_id=user_id), timeout=REQUEST_TIMEOUT
    )
    assert isinstance(created.payload, ChatRecord), created.payload
    send = SendMessage(user_id=user_id, chat_id=created.payload.chat.id, text=question)
    accepted = await bus.request(new_envelope(send, user_id=user_id), timeout=REQUEST_TIMEOUT)
    assert isinstance(accepted.payload, MessageAccepted), accepted.payload
    return accepted.payload.reply_id


async def _stored(env: Env, replies: set[str]) -> dict[str, asyncpg.Record]:
    """The answers as the chat service stored them, once none is streaming any more."""
    db = await asyncpg.connect(env.database_url)
    try:
        async with asyncio.timeout(60):
            while True:
                rows = await db.fetch(
                    "SELECT reply_id::text AS reply_id, status, text FROM chat.messages"
                    " WHERE role = 'assistant'"
                )
                if all(r["status"] != "streaming" for r in rows) and len(rows) >= len(replies):
                    return {r["reply_id"]: r for r in rows}
                await asyncio.sleep(0.5)
    finally:
        await db.close()


def _unlike_stored(tally: Tally, stored: dict[str, asyncpg.Record]) -> list[str]:
    """Replies whose stored answer is not `completed` with the text the deltas streamed."""
    found = []
    for reply in tally.questions:
        row = stored.get(reply)
        seqs = tally.deltas.get(reply, {})
        text = "".join(next(iter(seqs[s]))[1] for s in sorted(seqs))
        if row is None:
            found.append(f"{reply}: not stored")
        elif row["status"] != "completed" or row["text"] != text:
            found.append(f"{reply}: stored {row['status']}, text whole: {row['text'] == text}")
    return found


def _running(slot: Slot) -> bool:
    """Whether the slot's current process has finished starting (said `eco2 running`)."""
    log = (slot.data_dir / "worker.log").read_text(errors="replace")
    return log.count("eco2 running") >= slot.starts


# With two AI workers a killed worker's unacked reply is redelivered to the other, whose
# journal has none of its batches: it answers again from seq 1, cut into batches at other
# moments (the batching is by time as well as tokens), so a seq repeats with other text.
# The journaled batches resume an answer only in the worker (the volume) that wrote them.
ACROSS_WORKERS = pytest.mark.xfail(
    strict=True,
    reason="a reply redelivered to another AI worker restarts at seq 1 (ADR 0018)",
)


@pytest.mark.parametrize("workers", [1, pytest.param(2, marks=ACROSS_WORKERS)])
async def test_every_reply_ends_once_whole_while_ai_workers_are_killed(
    env: Env, request: pytest.FixtureRequest, workers: int
) -> None:
    if workers > 1 and not request.config.getoption("--chaos-across-workers"):
        pytest.skip("the known failure across AI workers runs with --chaos-across-workers")
    count: int = request.config.getoption("--chaos-replies")
    worker_env = {
        "ECO2_BUS_URL": env.rabbit_url,
        "ECO2_DATABASE_URL": env.database_url,
        "ECO2_REDIS_URL": "memory://",
        "ECO2_OBJECT_STORE_URL": str(env.root / "objects"),
        "ECO2_FAULTS": "after_checkpoint=0.001",
        "ECO2_RECOVERY_DELAY": "3",
        "ECO2_RETRY_BASE_DELAY": "0.05",
        "ECO2_RETRY_MAX_DELAY": "1",
        "ECO2_MAX_ATTEMPTS": "30",
        "ECO2_DELIVERY_LIMIT": "60",
        "ECO2_PREFETCH": "10",
        "ECO2_SHUTDOWN_GRACE": "2",
        "ECO2_CHAT_WORDS_PER_SECOND": "20",
        "ECO2_CHAT_BATCH_TOKENS": "6",
    }
    fleet = Fleet(
        [Slot("ai", index, env.root / f"ai-{index}", worker_env) for index in range(workers)]
    )
    direct = {
        "ECO2_BUS_URL": env.rabbit_url,
        "ECO2_DATABASE_URL": env.database_url,
        "ECO2_REDIS_URL": "memory://",
    }
    names = ("recycling", "scan", "chat")
    services = Fleet([Slot(name, 0, env.root / name, direct) for name in names])
    tally = Tally()
    bus = RabbitBus(env.rabbit_url, build_registry())
    bus.subscribe(
        Subscription("chat.tally", ["chat.context", "chat.delta", *TERMINAL], tally.handle)
    )
    await bus.start()
    try:
        await services.revive()
        await wait_for_queues(env, [f"eco2.{name}.rpc" for name in names])
        await fleet.revive()
        await wait_for_queues(env, ["eco2.ai"])
        started = time.monotonic()
        for index in range(count):
            question = QUESTIONS[index % len(QUESTIONS)]
            tally.questions[await _ask(bus, question)] = question
        budget = 60 + 2 * count  # seconds: a lost answer fails the test, never hangs it
        while tally.finished() < count:
            assert time.monotonic() - started < budget, f"{tally.finished()}/{count} ended"
            await asyncio.sleep(random.uniform(0.5, 1.5))
            slot = random.choice(fleet.slots)
            if _running(slot):  # a worker killed while it starts would never stream
                await fleet.kill_and_restart(slot)
            await fleet.revive()
        elapsed = time.monotonic() - started
        await settle(fleet)
        await asyncio.sleep(1)  # late republished outcomes arrive, and must be the same
        stored = await _stored(env, set(tally.questions))
    finally:
        await fleet.stop()
        await services.stop()
        await bus.close()
    kills = sum(s.kills for s in fleet.slots)
    faults = sum(s.self_kills for s in fleet.slots)
    deltas = sum(len(d) for d in tally.deltas.values())
    print(
        f"\nchat chaos: {count} replies, {deltas} deltas in {elapsed:.1f}s;"
        f" SIGKILLs {kills}, fault-point deaths {faults}"
    )
    assert tally.problems() == []
    assert _unlike_stored(tally, stored) == []
    assert kills > 0
