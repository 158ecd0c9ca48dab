"""The chat service over a real MemoryBus and PostgreSQL: chats, messages stored before any
answer, titles, paging, one answer at a time, the budget, stops, endings, erasure.

The service is wired by the composition root (`components.chat`, with its outbox relay);
a fake scan service answers `scan.get`, and the tests play the AI worker by publishing
the answers' terminal events.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bus.memory import MemoryBus
from bus.ports import Message, RequestFailed, Subscription
from contracts import Envelope, new_envelope
from contracts.accounts.v1 import UserDeleted
from contracts.catalog import build_registry
from contracts.chat.v1 import (
    ChatPage,
    ChatRecord,
    CreateChat,
    DeleteChat,
    ListChats,
    ListMessages,
    MessageAccepted,
    MessagePage,
    RenameChat,
    ReplyCompleted,
    ReplyError,
    ReplyFailed,
    ReplyIncomplete,
    ReplyRequested,
    SendMessage,
    Source,
    StopAccepted,
    StopReply,
    StopRequested,
    Usage,
)
from contracts.scan.v1 import GetScan, ScanRecord, ScanView
from objects import LocalObjectStore
from services.runtime import components
from services.runtime.resources import Resources
from services.runtime.settings import load_settings
from support.bus import CountingHarness
from support.databases import fresh_database

pytestmark = pytest.mark.postgres

SCAN = str(uuid.uuid4())
LONG = "치킨 뼈는 어디에 버려? 뼈랑 살을 따로 나눠서 버려야 하는지도 궁금해요. 알려 주세요"


@dataclass
class Harness(CountingHarness):
    db: asyncpg.Pool
    seen: list[Envelope] = field(default_factory=list)
    owner_of_scan: str = ""

    async def chat(self, user: str, **fields: Any) -> str:
        record: ChatRecord = await self.ask(CreateChat(user_id=user, **fields))
        return record.chat.id

    async def send(self, user: str, chat_id: str, text: str, **fields: Any) -> MessageAccepted:
        answer: MessageAccepted = await self.ask(
            SendMessage(user_id=user, chat_id=chat_id, text=text, **fields)
        )
        return answer

    async def messages(self, user: str, chat_id: str, **fields: Any) -> MessagePage:
        page: MessagePage = await self.ask(ListMessages(user_id=user, chat_id=chat_id, **fields))
        return page

    async def relayed(self, kind: str, reply_id: str) -> Envelope:
        deadline = time.monotonic() + 5
        while True:
            for envelope in self.seen:
                if envelope.type == kind and envelope.payload["reply_id"] == reply_id:
                    return envelope
            assert time.monotonic() < deadline, f"no {kind} relayed for {reply_id}"
            await asyncio.sleep(0.02)

    async def end(self, user: str, accepted: MessageAccepted, text: str = "답이에요.") -> None:
        event = ReplyCompleted(
            reply_id=accepted.reply_id,
            chat_id=accepted.chat_id,
            user_id=user,
            text=text,
            sources=(Source(kind="rule", id="재활용폐기물/종이", title="종이"),),
            deltas=1,
            model="offline-coach",
            usage=Usage(prompt_tokens=10, completion_tokens=5),
        )
        await self.deliver(new_envelope(event, user_id=user))


@pytest.fixture
async def service(postgres_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with fresh_database(postgres_url, "eco2_chat", [("chat", "services.chat")]) as url:
        config = load_settings(
            database_url=url, data_dir=tmp_path, chat_daily_tokens=100, chat_history_tokens=30
        )
        registry = build_registry()
        bus = MemoryBus(registry, request_timeout=10)
        async with AsyncExitStack() as stack:
            db = await asyncpg.create_pool(url, min_size=1, max_size=8)
            stack.push_async_callback(db.close)
            objects = LocalObjectStore(tmp_path / "objects")
            resources = Resources(config, registry, bus, url, db, None, objects)  # type: ignore[arg-type]
            running = Harness(bus, db)

            async def capture(message: Message[Any]) -> None:
                running.seen.append(message.envelope)

            async def scans(message: Message[GetScan]) -> ScanRecord:
                request = message.payload
                if request.scan_id != SCAN or request.user_id != running.owner_of_scan:
                    raise RequestFailed("not_found", "no such scan")
                at = datetime.now(UTC)
                view = ScanView(id=SCAN, status="queued", stage="queued", progress=0, created_at=at)
                return ScanRecord(scan=view)

            bus.subscribe(
                Subscription("test.seen", ["chat.reply_requested", "chat.stop_requested"], capture)
            )
            bus.subscribe(Subscription("scan.fake", ["scan.get"], scans))
            for sub in await components.CONSUMERS["chat"](resources, stack):
                running.subscribe(sub)
            stack.push_async_callback(bus.close)
            await bus.start()
            yield running


def new_user() -> str:
    return str(uuid.uuid4())


async def test_a_message_is_stored_before_its_answer_is_requested_and_names_the_chat(
    service: Harness,
) -> None:
    user = new_user()
    chat_id = await service.chat(user)
    accepted = await service.send(user, chat_id, f"  {LONG}  ")
    page = await service.messages(user, chat_id)
    question, answer = page.items
    assert (question.role, question.status, question.id) == (
        "user",
        "completed",
        accepted.message_id,
    )
    assert question.text == LONG
    assert (answer.role, answer.status, answer.id) == ("assistant", "streaming", accepted.reply_id)
    assert question.reply_id == answer.reply_id == accepted.reply_id
    requested = ReplyRequested.model_validate(
        (await service.relayed("chat.reply_requested", accepted.reply_id)).payload
    )
    assert (requested.message_id, requested.text) == (accepted.message_id, question.text)
    assert requested.history == ()

    chats: ChatPage = await service.ask(ListChats(user_id=user))
    [chat] = chats.items
    assert chat.title == "치킨 뼈는 어디에 버려? 뼈랑 살을 따로 나눠서 버려야 하는지도…"
    assert (chat.message_count, chat.preview) == (2, LONG)

    await service.end(user, accepted, "치킨 뼈는 일반종량제봉투에 버려요.")
    page = await service.messages(user, chat_id)
    ended = page.items[1]
    assert (ended.status, ended.text) == ("completed", "치킨 뼈는 일반종량제봉투에 버려요.")
    assert ended.sources == (Source(kind="rule", id="재활용폐기물/종이", title="종이"),)


async def test_one_answer_at_a_time_and_the_history_the_next_one_sees(service: Harness) -> None:
    user = new_user()
    chat_id = await service.chat(user, title="뼈")
    first = await service.send(user, chat_id, "첫 질문")
    other_chat = await service.chat(user)
    assert await service.fails(SendMessage(user_id=user, chat_id=other_chat, text="또")) == (
        "reply_in_progress"
    )
    await service.end(user, first, "첫 답")
    second = await service.send(user, chat_id, "두 번째 질문")
    requested = ReplyRequested.model_validate(
        (await service.relayed("chat.reply_requested", second.reply_id)).payload
    )
    assert [(t.role, t.text) for t in requested.history] == [
        ("user", "첫 질문"),
        ("assistant", "첫 답"),
    ]
    chats: ChatPage = await service.ask(ListChats(user_id=user))
    assert chats.items[0].id == chat_id  # the most recently active first
    assert chats.items[0].title == "뼈"  # a given title stays


async def test_paging_is_keyset_both_ways_and_cursors_are_checked(service: Harness) -> None:
    user = new_user()
    ids = [await service.chat(user, title=f"chat {n}") for n in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        page: ChatPage = await service.ask(ListChats(user_id=user, limit=2, cursor=cursor))
        seen += [c.id for c in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == list(reversed(ids))
    assert await service.fails(ListChats(user_id=user, cursor="nonsense")) == "invalid_cursor"

    chat_id = ids[0]
    for n in range(3):
        await service.end(user, await service.send(user, chat_id, f"질문 {n}"), f"답 {n}")
    texts: list[str] = []
    cursor = None
    while True:
        messages = await service.messages(user, chat_id, limit=4, cursor=cursor)
        texts += [m.text for m in messages.items]
        if messages.next_cursor is None:
            break
        cursor = messages.next_cursor
    assert texts == ["질문 0", "답 0", "질문 1", "답 1", "질문 2", "답 2"]
    bad = ListMessages(user_id=user, chat_id=chat_id, cursor=page.next_cursor or "x")
    assert await service.fails(bad) == "invalid_cursor"


async def test_limits_and_bad_input(service: Harness) -> None:
    user = new_user()
    chat_id = await service.chat(user)
    too_long = SendMessage(user_id=user, chat_id=chat_id, text="가" * 2001)
    assert await service.fails(too_long) == "message_too_long"
    assert await service.fails(SendMessage(user_id=user, chat_id=chat_id, text="   ")) == (
        "empty_message"
    )
    assert await service.fails(CreateChat(user_id=user, scan_id=SCAN)) == "scan_not_found"
    service.owner_of_scan = user
    about = await service.chat(user, scan_id=SCAN)
    asking = await service.send(user, about, "이거 어떻게 버려?")
    requested = await service.relayed("chat.reply_requested", asking.reply_id)
    assert requested.payload["scan_id"] == SCAN  # the chat's scan grounds every answer
    # The budget is 100 tokens a day: this answer used 15, a long one uses the rest.
    await service.end(user, asking)
    busy = await service.send(user, about, "하나 더")
    event = ReplyCompleted(
        reply_id=busy.reply_id,
        chat_id=about,
        user_id=user,
        text="x",
        deltas=1,
        model="m",
        usage=Usage(prompt_tokens=50, completion_tokens=40),
    )
    await service.deliver(new_envelope(event, user_id=user))
    over = SendMessage(user_id=user, chat_id=about, text="또")
    assert await service.fails(over) == "token_budget_exceeded"
    assert await service.fails(RenameChat(user_id=user, chat_id=about, title=" ")) == (
        "invalid_title"
    )


async def test_another_users_chat_and_reply_are_not_found(service: Harness) -> None:
    owner, stranger = new_user(), new_user()
    chat_id = await service.chat(owner)
    accepted = await service.send(owner, chat_id, "질문")
    for request in (
        ListMessages(user_id=stranger, chat_id=chat_id),
        RenameChat(user_id=stranger, chat_id=chat_id, title="mine"),
        DeleteChat(user_id=stranger, chat_id=chat_id),
        SendMessage(user_id=stranger, chat_id=chat_id, text="hi"),
        StopReply(user_id=stranger, chat_id=chat_id, reply_id=accepted.reply_id),
        ListMessages(user_id=owner, chat_id="not-a-uuid"),
    ):
        assert await service.fails(request) == "not_found", request


async def test_a_stop_is_relayed_once_and_the_ending_is_stored_once(service: Harness) -> None:
    user = new_user()
    chat_id = await service.chat(user)
    accepted = await service.send(user, chat_id, "길게 설명해 줘")
    stop = StopReply(user_id=user, chat_id=chat_id, reply_id=accepted.reply_id)
    answer: StopAccepted = await service.ask(stop)
    assert answer.status == "streaming"
    relayed = StopRequested.model_validate(
        (await service.relayed("chat.stop_requested", accepted.reply_id)).payload
    )
    assert relayed.chat_id == chat_id
    ending = ReplyIncomplete(
        reply_id=accepted.reply_id,
        chat_id=chat_id,
        user_id=user,
        text="길게",
        reason="stopped",
        deltas=1,
        model="m",
        usage=Usage(prompt_tokens=1, completion_tokens=1),
    )
    envelope = new_envelope(ending, user_id=user)
    await service.deliver(envelope, times=2)
    late = ReplyFailed(
        reply_id=accepted.reply_id,
        chat_id=chat_id,
        user_id=user,
        error=ReplyError(code="provider_busy", message="잠시 뒤에"),
    )
    await service.deliver(new_envelope(late, user_id=user))
    reply = (await service.messages(user, chat_id)).items[1]
    assert (reply.status, reply.reason, reply.text, reply.error) == (
        "incomplete",
        "stopped",
        "길게",
        None,
    )
    ended: StopAccepted = await service.ask(stop)
    assert ended.status == "incomplete"


async def test_idempotent_sends_and_erasure(service: Harness) -> None:
    user = new_user()
    chat_id = await service.chat(user)
    first = await service.send(user, chat_id, "질문", idempotency_key="k1")
    again = await service.send(user, chat_id, "질문", idempotency_key="k1")
    assert (again.message_id, again.reply_id, again.created) == (
        first.message_id,
        first.reply_id,
        False,
    )
    command = SendMessage(user_id=user, chat_id=chat_id, text="q")
    await service.end(user, first)
    envelope = new_envelope(command)
    twice = [await service.ask(command, envelope) for _ in range(2)]
    assert twice[0] == twice[1]
    assert len((await service.messages(user, chat_id)).items) == 4

    await service.deliver(new_envelope(UserDeleted(user_id=user)))
    chats: ChatPage = await service.ask(ListChats(user_id=user))
    assert chats.items == ()
    assert (
        await service.db.fetchval("SELECT count(*) FROM chat.messages WHERE user_id = $1", user)
        == 0
    )
