"""The HTTP bodies of the chat routes (v1); chats and messages are answered as the
contract's `ChatView` and `MessageView` themselves."""

from __future__ import annotations

from pydantic import BaseModel, Field

from contracts.chat.v1 import MAX_TITLE, ChatView, Location, MessageStatus, MessageView
from gateway.bodies.base import Body


class ChatBody(Body):
    """A new chat; without a title, its first message names it. `scan_id` makes every
    answer in the chat know that scan."""

    title: str | None = Field(default=None, max_length=MAX_TITLE)
    scan_id: str | None = Field(default=None, min_length=1, max_length=64)


class RenameBody(Body):
    title: str = Field(max_length=MAX_TITLE)


class MessageBody(Body):
    """The person's message (at most 2,000 characters); `scan_id` and `location` ground
    this answer on a scan and on the places near a point."""

    text: str = Field(min_length=1, max_length=8000)
    scan_id: str | None = Field(default=None, min_length=1, max_length=64)
    location: Location | None = None


class MessageAcceptedOut(BaseModel):
    message_id: str
    reply_id: str
    events_url: str


class StopOut(BaseModel):
    reply_id: str
    status: MessageStatus


class ChatPageOut(BaseModel):
    items: list[ChatView]
    next_cursor: str | None = None


class MessagePageOut(BaseModel):
    items: list[MessageView]
    next_cursor: str | None = None
