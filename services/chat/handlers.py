"""Bus handlers of the `chat` service and their registry table.

`chat.send` stores the person's message and the answer's row (`streaming`) and, in the
same transaction, enqueues `chat.reply_requested` for the AI worker, so a message is
never lost and never answered twice: its id and the reply's derive from the request's
id, and a redelivered request finds what its first delivery stored. The answers' terminal
events and `user.deleted` are claimed in the inbox in the transaction that applies them;
a terminal event for an answer that already ended changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from bus.ports import Handler, Message, RemoteError, Requester, Subscription
from contracts import Envelope, derive_id, new_envelope
from contracts.accounts.v1 import UserDeleted
from contracts.chat import errors
from contracts.chat.tokens import estimate_tokens
from contracts.chat.v1 import (
    ChatDeleted,
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
    StopAccepted,
    StopReply,
    StopRequested,
)
from contracts.scan.v1 import GetScan, ScanRecord
from services.chat import domain
from services.chat.errors import ChatError
from services.chat.store import ActiveReply, Store, Tx
from services.kit.table import table_subscription

GROUP = "chat"
HISTORY_MESSAGES = 40  # read at most this many before the token bound cuts them


@dataclass(frozen=True)
class Limits:
    """The `ECO2_CHAT_*` settings the service enforces."""

    daily_tokens: int = 50_000
    history_tokens: int = 2_000
    reply_max_tokens: int = 400
    reply_timeout: float = 300.0


@dataclass(frozen=True)
class Chats:
    store: Store
    requester: Requester
    limits: Limits = Limits()
    request_timeout: float | None = None


def _not_found(what: str) -> ChatError:
    return ChatError(errors.NOT_FOUND, f"no such {what}")


def _id(value: str, what: str) -> uuid.UUID:
    parsed = domain.parse_id(value)
    if parsed is None:
        raise _not_found(what)
    return parsed


async def _check_scan(chats: Chats, user_id: str, scan_id: str, cause: Envelope) -> None:
    """The scan must be one of the person's (asked of the scan service)."""
    query = new_envelope(GetScan(user_id=user_id, scan_id=scan_id), cause=cause)
    try:
        reply = await chats.requester.request(query, timeout=chats.request_timeout)
    except RemoteError as exc:
        if exc.code == "not_found":
            raise ChatError(errors.SCAN_NOT_FOUND, f"no scan {scan_id!r} of yours") from None
        raise
    if not isinstance(reply.payload, ScanRecord):
        raise TypeError(f"scan.get answered {reply.envelope.type}")


async def create(message: Message[CreateChat], *, chats: Chats) -> ChatRecord:
    request = message.payload
    title = None if request.title is None else domain.check_title(request.title)
    if request.scan_id is not None:
        await _check_scan(chats, request.user_id, request.scan_id, message.envelope)
    # The id derives from the request's: a redelivery answers the chat the first one made.
    chat_id = derive_id(message.envelope.message_id, "chat")
    async with chats.store.transaction() as tx:
        chat = await tx.lock_chat(chat_id, request.user_id)
        if chat is None:
            chat = await tx.create_chat(chat_id, request.user_id, title, request.scan_id)
    return ChatRecord(chat=chat.view())


async def list_chats(message: Message[ListChats], *, chats: Chats) -> ChatPage:
    request = message.payload
    after = domain.decode_chat_cursor(request.cursor) if request.cursor else None
    found = await chats.store.chats(request.user_id, request.limit + 1, after)
    page = found[: request.limit]
    more = len(found) > request.limit
    cursor = domain.encode_chat_cursor(page[-1].active_at, page[-1].id) if more else None
    return ChatPage(items=tuple(c.view() for c in page), next_cursor=cursor)


async def list_messages(message: Message[ListMessages], *, chats: Chats) -> MessagePage:
    request = message.payload
    chat_id = _id(request.chat_id, "chat")
    after = domain.decode_message_cursor(request.cursor) if request.cursor else 0
    if await chats.store.chat(chat_id, request.user_id) is None:
        raise _not_found("chat")
    found = await chats.store.messages(chat_id, request.limit + 1, after)
    page = found[: request.limit]
    more = len(found) > request.limit
    cursor = domain.encode_message_cursor(page[-1].position) if more else None
    return MessagePage(items=tuple(m.view() for m in page), next_cursor=cursor)


async def rename(message: Message[RenameChat], *, chats: Chats) -> ChatRecord:
    request = message.payload
    chat_id = _id(request.chat_id, "chat")
    title = domain.check_title(request.title)
    async with chats.store.transaction() as tx:
        if await tx.lock_chat(chat_id, request.user_id) is None:
            raise _not_found("chat")
        chat = await tx.rename(chat_id, title)
    assert chat is not None
    return ChatRecord(chat=chat.view())


async def delete(message: Message[DeleteChat], *, chats: Chats) -> ChatDeleted:
    """Delete the chat and its messages; an answer still streaming in it is stopped."""
    request = message.payload
    chat_id = _id(request.chat_id, "chat")
    async with chats.store.transaction() as tx:
        if await tx.lock_chat(chat_id, request.user_id) is None:
            raise _not_found("chat")
        active = await tx.active_reply(request.user_id)
        if active is not None:
            found = await tx.lock_reply(active[0])
            if found is not None and found[0].chat_id == chat_id:
                await _stop(tx, found[0].id, chat_id, request.user_id, message.envelope)
        await tx.delete_chat(chat_id)
    return ChatDeleted(chat_id=str(chat_id))


async def send(message: Message[SendMessage], *, chats: Chats) -> MessageAccepted:
    """Store the person's message and start its answer (see the module's docstring)."""
    request, envelope = message.payload, message.envelope
    chat_id = _id(request.chat_id, "chat")
    text = domain.check_text(request.text)
    if request.scan_id is not None:
        await _check_scan(chats, request.user_id, request.scan_id, envelope)
    message_id = derive_id(envelope.message_id, "message")
    reply_id = derive_id(envelope.message_id, "reply")
    async with chats.store.transaction() as tx:
        earlier = await tx.sent_by(envelope.message_id)
        if earlier is not None:  # a redelivery: answer what the first delivery answered
            return _accepted(earlier, created=True)
        if request.idempotency_key is not None:
            held = await tx.take_key(request.user_id, request.idempotency_key, message_id)
            if held != message_id:
                first = await tx.message(held)
                if first is not None:
                    return _accepted(first, created=False)
        chat = await tx.lock_chat(chat_id, request.user_id)
        if chat is None:
            raise _not_found("chat")
        used = await tx.tokens_today(request.user_id)
        if used >= chats.limits.daily_tokens:
            raise ChatError(
                errors.TOKEN_BUDGET_EXCEEDED,
                f"today's {chats.limits.daily_tokens} tokens are used up; try again tomorrow",
            )
        await _expire_stale_reply(tx, request.user_id, chats.limits.reply_timeout)
        history = domain.bounded_history(
            await tx.history(chat_id, HISTORY_MESSAGES), chats.limits.history_tokens
        )
        scan_id = request.scan_id or chat.scan_id
        try:
            stored = await tx.add_question(
                message_id, chat_id, request.user_id, text, reply_id, scan_id, envelope.message_id
            )
        except ActiveReply:
            raise ChatError(
                errors.REPLY_IN_PROGRESS, "이코 is still answering; wait for it or stop it"
            ) from None
        if stored is None:  # a concurrent delivery of this request stored it
            again = await tx.sent_by(envelope.message_id)
            assert again is not None, "the insert conflicted, so the row exists"
            return _accepted(again, created=True)
        await tx.name_if_untitled(chat_id, domain.title_from(text))
        await tx.touch(chat_id, domain.preview_of(text), 2)
        requested = ReplyRequested(
            reply_id=str(reply_id),
            chat_id=str(chat_id),
            user_id=request.user_id,
            message_id=str(message_id),
            text=text,
            history=history,
            scan_id=scan_id,
            location=request.location,
            max_tokens=min(chats.limits.reply_max_tokens, chats.limits.daily_tokens - used),
        )
        await tx.enqueue(
            [
                new_envelope(
                    requested,
                    cause=envelope,
                    message_id=derive_id(envelope.message_id, requested.__message_type__),
                    user_id=request.user_id,
                )
            ]
        )
    return _accepted(stored, created=True)


def _accepted(stored: domain.Message, *, created: bool) -> MessageAccepted:
    assert stored.reply_id is not None
    return MessageAccepted(
        chat_id=str(stored.chat_id),
        message_id=str(stored.id),
        reply_id=str(stored.reply_id),
        created=created,
    )


async def _expire_stale_reply(tx: Tx, user_id: str, timeout: float) -> None:
    """An answer streaming longer than `timeout` was lost (no worker will finish it): fail
    it, so it does not block the person's next message forever."""
    active = await tx.active_reply(user_id)
    if active is None:
        return
    reply_id, started = active
    if (datetime.now(UTC) - started).total_seconds() < timeout:
        return
    found = await tx.lock_reply(reply_id)
    await tx.finish_reply(
        reply_id,
        status="failed",
        text="" if found is None else found[0].text,
        error=ReplyError(
            code=errors.TIMED_OUT, message="답을 끝내지 못했어요. 다시 한 번 물어봐 주세요."
        ),
    )


async def stop(message: Message[StopReply], *, chats: Chats) -> StopAccepted:
    """Ask whoever writes the answer to stop it; an answer that ended stays as it is."""
    request = message.payload
    chat_id = _id(request.chat_id, "chat")
    reply_id = _id(request.reply_id, "reply")
    async with chats.store.transaction() as tx:
        found = await tx.lock_reply(reply_id)
        if found is None or found[1] != request.user_id or found[0].chat_id != chat_id:
            raise _not_found("reply")
        reply = found[0]
        if reply.status == "streaming":
            await _stop(tx, reply_id, chat_id, request.user_id, message.envelope)
    return StopAccepted(reply_id=str(reply_id), status=reply.status)


async def _stop(
    tx: Tx, reply_id: uuid.UUID, chat_id: uuid.UUID, user_id: str, cause: Envelope
) -> None:
    await tx.request_stop(reply_id)
    event = StopRequested(reply_id=str(reply_id), chat_id=str(chat_id), user_id=user_id)
    await tx.enqueue(
        [new_envelope(event, cause=cause, message_id=derive_id(reply_id, "stop"), user_id=user_id)]
    )


Ended = ReplyCompleted | ReplyIncomplete | ReplyFailed


async def ended(message: Message[Ended], *, chats: Chats) -> None:
    """Store how an answer ended, and count its tokens against the day's budget."""
    event = message.payload
    reply_id = domain.parse_id(event.reply_id)
    if reply_id is None:
        return
    async with chats.store.transaction() as tx:
        if not await tx.claim(message.envelope.message_id):
            return
        found = await tx.lock_reply(reply_id)
        if found is None or found[1] != event.user_id or found[0].status != "streaming":
            return  # erased, another user's, or ended already (a stop racing the end)
        match event:
            case ReplyCompleted():
                await tx.finish_reply(
                    reply_id,
                    status="completed",
                    text=event.text,
                    sources=event.sources,
                    model=event.model,
                    usage=event.usage,
                )
            case ReplyIncomplete():
                await tx.finish_reply(
                    reply_id,
                    status="incomplete",
                    text=event.text,
                    sources=event.sources,
                    reason=event.reason,
                    model=event.model,
                    usage=event.usage,
                )
            case ReplyFailed():
                await tx.finish_reply(
                    reply_id, status="failed", text=event.text, error=event.error, usage=event.usage
                )
        usage = event.usage
        tokens = (
            usage.prompt_tokens + usage.completion_tokens
            if usage is not None
            else estimate_tokens(event.text)
        )
        await tx.add_usage(event.user_id, tokens)
        if event.text:
            await tx.touch(found[0].chat_id, domain.preview_of(event.text), 0)


async def user_deleted(message: Message[UserDeleted], *, chats: Chats) -> None:
    """Erase every chat of the user, with their messages."""
    async with chats.store.transaction() as tx:
        if await tx.claim(message.envelope.message_id):
            await tx.erase(message.payload.user_id)


def table(chats: Chats) -> dict[str, Handler]:
    """Message type -> handler bound to its dependencies."""
    return {
        CreateChat.__message_type__: partial(create, chats=chats),
        ListChats.__message_type__: partial(list_chats, chats=chats),
        ListMessages.__message_type__: partial(list_messages, chats=chats),
        RenameChat.__message_type__: partial(rename, chats=chats),
        DeleteChat.__message_type__: partial(delete, chats=chats),
        SendMessage.__message_type__: partial(send, chats=chats),
        StopReply.__message_type__: partial(stop, chats=chats),
        ReplyCompleted.__message_type__: partial(ended, chats=chats),
        ReplyIncomplete.__message_type__: partial(ended, chats=chats),
        ReplyFailed.__message_type__: partial(ended, chats=chats),
        UserDeleted.__message_type__: partial(user_deleted, chats=chats),
    }


def subscriptions(chats: Chats) -> list[Subscription]:
    return [table_subscription(GROUP, table(chats))]
