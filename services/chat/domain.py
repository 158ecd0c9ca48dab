"""Pure chat rules: a chat's title from its first message, the history an answer may see
within a token budget, the answer's sources, and the lists' opaque cursors. No I/O here.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from contracts.chat import errors
from contracts.chat.tokens import estimate_tokens
from contracts.chat.v1 import (
    MAX_TEXT,
    MAX_TITLE,
    ChatView,
    IncompleteReason,
    MessageStatus,
    MessageView,
    ReplyError,
    Role,
    Source,
    Turn,
)
from services.chat.errors import ChatError

IDEMPOTENCY_WINDOW = timedelta(hours=24)
TITLE_LENGTH = 40
PREVIEW_LENGTH = 80


@dataclass(frozen=True)
class Chat:
    id: uuid.UUID
    user_id: str
    title: str | None
    scan_id: str | None
    preview: str | None
    message_count: int
    created_at: datetime
    last_message_at: datetime | None
    active_at: datetime

    def view(self) -> ChatView:
        return ChatView(
            id=str(self.id),
            title=self.title,
            preview=self.preview,
            message_count=self.message_count,
            scan_id=self.scan_id,
            created_at=self.created_at,
            last_message_at=self.last_message_at,
        )


@dataclass(frozen=True)
class Message:
    id: uuid.UUID
    position: int
    chat_id: uuid.UUID
    role: Role
    text: str
    status: MessageStatus
    created_at: datetime
    reply_id: uuid.UUID | None = None
    scan_id: str | None = None
    sources: tuple[Source, ...] = ()
    reason: IncompleteReason | None = None
    error: ReplyError | None = None

    def view(self) -> MessageView:
        return MessageView(
            id=str(self.id),
            chat_id=str(self.chat_id),
            role=self.role,
            text=self.text,
            status=self.status,
            created_at=self.created_at,
            reply_id=None if self.reply_id is None else str(self.reply_id),
            sources=self.sources,
            reason=self.reason,
            error=self.error,
            scan_id=self.scan_id,
        )


def check_text(text: str) -> str:
    """The message as stored: trimmed, not empty, at most `MAX_TEXT` characters."""
    text = text.strip()
    if not text:
        raise ChatError(errors.EMPTY_MESSAGE, "the message is empty")
    if len(text) > MAX_TEXT:
        raise ChatError(
            errors.MESSAGE_TOO_LONG,
            f"a message is at most {MAX_TEXT} characters (this one has {len(text)})",
        )
    return text


def check_title(title: str) -> str:
    title = " ".join(title.split())
    if not title or len(title) > MAX_TITLE:
        raise ChatError(errors.INVALID_TITLE, f"a title is 1 to {MAX_TITLE} characters")
    return title


def shorten(text: str, limit: int) -> str:
    """`text` on one line, cut at a word boundary to at most `limit` characters."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip() + "…"


def title_from(text: str) -> str:
    """A chat's title when none was given: the start of its first message."""
    return shorten(text, TITLE_LENGTH)


def preview_of(text: str) -> str:
    return shorten(text, PREVIEW_LENGTH)


def bounded_history(messages: Sequence[Message], max_tokens: int) -> tuple[Turn, ...]:
    """The latest messages (oldest first) whose texts fit in `max_tokens` together.

    Unfinished and empty answers say nothing the model should build on, so they are left
    out; the newest message is kept even alone over the budget, cut to it.
    """
    turns: list[Turn] = []
    left = max_tokens
    for message in reversed(messages):
        if message.role == "assistant" and (message.status == "failed" or not message.text):
            continue
        if message.status == "streaming":
            continue
        cost = estimate_tokens(message.text)
        if cost > left:
            break
        turns.append(Turn(role=message.role, text=message.text))
        left -= cost
    return tuple(reversed(turns))


def parse_id(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _encode(data: Any) -> str:
    raw = json.dumps(data, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise _bad_cursor() from None


def _bad_cursor() -> ChatError:
    return ChatError(errors.INVALID_CURSOR, "the cursor is not one this API gave out")


def encode_chat_cursor(active_at: datetime, chat_id: uuid.UUID) -> str:
    """The position after a chat in the most-recently-active-first order."""
    return _encode(["c", active_at.isoformat(), str(chat_id)])


def decode_chat_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    data = _decode(cursor)
    try:
        kind, at, ident = data
        position = datetime.fromisoformat(at), uuid.UUID(ident)
    except (ValueError, TypeError):
        raise _bad_cursor() from None
    if kind != "c" or position[0].tzinfo is None:
        raise _bad_cursor()
    return position


def encode_message_cursor(position: int) -> str:
    """The position after a message in its chat's oldest-first order."""
    return _encode(["m", position])


def decode_message_cursor(cursor: str) -> int:
    data = _decode(cursor)
    if (
        not isinstance(data, list)
        or len(data) != 2
        or data[0] != "m"
        or not isinstance(data[1], int)
        or isinstance(data[1], bool)
    ):
        raise _bad_cursor()
    return data[1]
