"""`chat.*` v1: conversations with 이코 and the replies streamed into them (frozen once
published).

gateway --chat.create / list / messages / rename / delete / send / stop--> chat service
chat service --chat.reply_requested--> AI worker (a journaled task per reply)
chat service --chat.stop_requested--> every AI worker process (fan-out)
AI worker --chat.context, chat.delta…, then one of chat.completed / chat.incomplete /
   chat.failed--> chat service (terminal ones), gateway (SSE and WebSocket)
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import Payload

MAX_TEXT = 2000  # characters of one message a person sends
MAX_TITLE = 100

Role = Literal["user", "assistant"]
# A person's message is `completed` when stored; an answer is `streaming` until it ends.
MessageStatus = Literal["completed", "streaming", "incomplete", "failed"]
IncompleteReason = Literal["stopped", "length"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Location(_Frozen):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Source(_Frozen):
    """One thing an answer was grounded on: a scan, a disposal rule, a dictionary item or
    a place; `id` names it in its own domain (scan id, `major/middle`, item, place id)."""

    kind: Literal["scan", "rule", "dictionary", "place"]
    id: str
    title: str


class ReplyError(_Frozen):
    code: str
    message: str


class Usage(_Frozen):
    """Tokens a reply used: counted by the provider, or estimated (`estimated`)."""

    prompt_tokens: int = Field(ge=0)
    completion_tokens: int = Field(ge=0)
    estimated: bool = False


class Turn(_Frozen):
    """One earlier message of the chat, as the model sees it."""

    role: Role
    text: str


# --- the chat service's commands and queries ----------------------------------------------


class ChatView(_Frozen):
    id: str
    title: str | None
    preview: str | None = None
    message_count: int = Field(ge=0)
    scan_id: str | None = None
    created_at: datetime
    last_message_at: datetime | None = None


class MessageView(_Frozen):
    id: str
    chat_id: str
    role: Role
    text: str
    status: MessageStatus
    created_at: datetime
    reply_id: str | None = None  # an answer: its reply (the same id); a question: its answer
    sources: tuple[Source, ...] = ()
    reason: IncompleteReason | None = None
    error: ReplyError | None = None
    scan_id: str | None = None


class CreateChat(Payload):
    __message_type__: ClassVar[str] = "chat.create"
    __version__: ClassVar[int] = 1

    user_id: str = Field(min_length=1, max_length=64)
    title: str | None = Field(default=None, max_length=MAX_TITLE)
    scan_id: str | None = Field(default=None, min_length=1, max_length=64)


class ChatRecord(Payload):
    """A chat as its owner sees it (the answer to `chat.create` and `chat.rename`)."""

    __message_type__: ClassVar[str] = "chat.record"
    __version__: ClassVar[int] = 1

    chat: ChatView


class ListChats(Payload):
    """A page of `user_id`'s chats, most recently active first."""

    __message_type__: ClassVar[str] = "chat.list"
    __version__: ClassVar[int] = 1

    user_id: str
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=200)


class ChatPage(Payload):
    __message_type__: ClassVar[str] = "chat.page"
    __version__: ClassVar[int] = 1

    items: tuple[ChatView, ...]
    next_cursor: str | None = None


class ListMessages(Payload):
    """A page of one chat's messages, oldest first."""

    __message_type__: ClassVar[str] = "chat.messages"
    __version__: ClassVar[int] = 1

    user_id: str
    chat_id: str = Field(min_length=1, max_length=64)
    limit: int = Field(default=50, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=200)


class MessagePage(Payload):
    __message_type__: ClassVar[str] = "chat.message_page"
    __version__: ClassVar[int] = 1

    items: tuple[MessageView, ...]
    next_cursor: str | None = None


class RenameChat(Payload):
    __message_type__: ClassVar[str] = "chat.rename"
    __version__: ClassVar[int] = 1

    user_id: str
    chat_id: str = Field(min_length=1, max_length=64)
    title: str = Field(max_length=MAX_TITLE)


class DeleteChat(Payload):
    __message_type__: ClassVar[str] = "chat.delete"
    __version__: ClassVar[int] = 1

    user_id: str
    chat_id: str = Field(min_length=1, max_length=64)


class ChatDeleted(Payload):
    __message_type__: ClassVar[str] = "chat.deleted"
    __version__: ClassVar[int] = 1

    chat_id: str


class SendMessage(Payload):
    """Store the person's message and start an answer; the same `idempotency_key` of the
    same user within 24 h answers the message stored the first time."""

    __message_type__: ClassVar[str] = "chat.send"
    __version__: ClassVar[int] = 1

    user_id: str
    chat_id: str = Field(min_length=1, max_length=64)
    # Longer texts are refused by the service with `message_too_long`, not here, so the
    # caller learns the limit rather than a validation failure.
    text: str = Field(min_length=1, max_length=4 * MAX_TEXT)
    scan_id: str | None = Field(default=None, min_length=1, max_length=64)
    location: Location | None = None
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)


class MessageAccepted(Payload):
    __message_type__: ClassVar[str] = "chat.accepted"
    __version__: ClassVar[int] = 1

    chat_id: str
    message_id: str
    reply_id: str
    created: bool = True


class StopReply(Payload):
    __message_type__: ClassVar[str] = "chat.stop"
    __version__: ClassVar[int] = 1

    user_id: str
    chat_id: str = Field(min_length=1, max_length=64)
    reply_id: str = Field(min_length=1, max_length=64)


class StopAccepted(Payload):
    __message_type__: ClassVar[str] = "chat.stop_accepted"
    __version__: ClassVar[int] = 1

    reply_id: str
    status: MessageStatus


# --- the reply: chat service -> AI worker -> everyone -----------------------------------


class ReplyRequested(Payload):
    """Write the answer `reply_id` to the person's message `message_id` (the AI worker's
    task). `history` is the chat before it, oldest first, already cut to the model's
    budget; `scan_id` names a scan the answer should know."""

    __message_type__: ClassVar[str] = "chat.reply_requested"
    __version__: ClassVar[int] = 1

    reply_id: str
    chat_id: str
    user_id: str
    message_id: str
    text: str
    history: tuple[Turn, ...] = ()
    scan_id: str | None = None
    location: Location | None = None
    max_tokens: int = Field(ge=1)


class StopRequested(Payload):
    """The person asked to stop `reply_id`; whoever is writing it ends it `incomplete`."""

    __message_type__: ClassVar[str] = "chat.stop_requested"
    __version__: ClassVar[int] = 1

    reply_id: str
    chat_id: str
    user_id: str


class ScanFact(_Frozen):
    id: str
    major: str
    middle: str
    minor: str | None = None
    answer: str = ""


class RuleFact(_Frozen):
    major: str
    middle: str
    label: str
    steps: tuple[str, ...] = ()
    not_accepted: tuple[str, ...] = ()


class DictionaryFact(_Frozen):
    item: str
    major: str
    middle: str
    label: str


class PlaceFact(_Frozen):
    id: str
    name: str
    address: str = ""
    distance_m: float = Field(ge=0)
    open_now: bool | None = None


class ReplyContext(Payload):
    """What the answer is grounded on (the first event of a reply)."""

    __message_type__: ClassVar[str] = "chat.context"
    __version__: ClassVar[int] = 1

    reply_id: str
    chat_id: str
    user_id: str
    scans: tuple[ScanFact, ...] = ()
    rules: tuple[RuleFact, ...] = ()
    dictionary: tuple[DictionaryFact, ...] = ()
    places: tuple[PlaceFact, ...] = ()


class ReplyDelta(Payload):
    """The next piece of the answer: `seq` counts from 1 without gaps; the answer is the
    pieces concatenated in `seq` order."""

    __message_type__: ClassVar[str] = "chat.delta"
    __version__: ClassVar[int] = 1

    reply_id: str
    chat_id: str
    user_id: str
    seq: int = Field(ge=1)
    text: str


class ReplyCompleted(Payload):
    __message_type__: ClassVar[str] = "chat.completed"
    __version__: ClassVar[int] = 1

    reply_id: str
    chat_id: str
    user_id: str
    text: str
    sources: tuple[Source, ...] = ()
    deltas: int = Field(ge=0)
    model: str
    usage: Usage


class ReplyIncomplete(Payload):
    """The answer ended early: the person stopped it, or it reached the length limit."""

    __message_type__: ClassVar[str] = "chat.incomplete"
    __version__: ClassVar[int] = 1

    reply_id: str
    chat_id: str
    user_id: str
    text: str
    reason: IncompleteReason
    sources: tuple[Source, ...] = ()
    deltas: int = Field(ge=0)
    model: str
    usage: Usage


class ReplyFailed(Payload):
    """No answer: `error.message` is said to the person in 이코's voice; `text` is what
    was written before the failure, if anything."""

    __message_type__: ClassVar[str] = "chat.failed"
    __version__: ClassVar[int] = 1

    reply_id: str
    chat_id: str
    user_id: str
    error: ReplyError
    text: str = ""
    deltas: int = Field(default=0, ge=0)
    usage: Usage | None = None


REPLY_EVENTS = (
    ReplyContext.__message_type__,
    ReplyDelta.__message_type__,
    ReplyCompleted.__message_type__,
    ReplyIncomplete.__message_type__,
    ReplyFailed.__message_type__,
)
TERMINAL_EVENTS = frozenset(
    {
        ReplyCompleted.__message_type__,
        ReplyIncomplete.__message_type__,
        ReplyFailed.__message_type__,
    }
)
