"""The gateway's bus subscriptions.

- `gateway.<instance>` (ephemeral, one per instance): user-facing events pushed to this
  instance's WebSockets, and `token.revoked` / `user.deleted` kept in its revocation
  cache (closing the WebSockets they void). Every instance gets its own copy. A scan
  or reply event bound for a WebSocket here is appended to its event log before it is
  pushed (once per message id, whoever appends first), so `GET /api/v1/scans/{id}` never
  shows a state older than one a client has seen. Each appender takes the events in
  publish order, so the log keeps that order too.
- `gateway.events` (shared, instances compete): scan and chat reply events appended once
  to each scan's or reply's event log in Redis, which every instance's SSE streams read.
  A single active consumer with prefetch 1 keeps the events in the order they were
  published, across instances. On `user.deleted` it erases every log of the user.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import deque

from bus.ports import Message, Subscription
from contracts import Payload
from contracts.accounts.v1 import TokenRevoked, UserDeleted
from contracts.chat.v1 import REPLY_EVENTS
from gateway.auth import Revocations
from gateway.eventlog import EventLog
from gateway.realtime import Hub, event_text

SCAN_EVENTS = ("scan.progress", "scan.classified", "scan.failed", "scan.completed")
LOGGED_EVENTS = (*SCAN_EVENTS, *REPLY_EVENTS)
USER_EVENTS = (*LOGGED_EVENTS, "character.*", "user.deleted", "token.revoked")
EVENT_LOG_GROUP = "gateway.events"


def _user_of(message: Message[Payload]) -> str | None:
    user = message.envelope.user_id or getattr(message.payload, "user_id", None)
    return user if isinstance(user, str) and user else None


class Recent:
    """The last `size` message ids pushed by this instance: an event published again with
    its id (a worker resuming an answer republishes its last batch) reaches a WebSocket
    once."""

    def __init__(self, size: int = 10_000) -> None:
        self._order: deque[uuid.UUID] = deque(maxlen=size)
        self._ids: set[uuid.UUID] = set()

    def first(self, message_id: uuid.UUID) -> bool:
        """Whether `message_id` is new here (and remember it)."""
        if message_id in self._ids:
            return False
        if len(self._order) == self._order.maxlen:
            self._ids.discard(self._order[0])
        self._order.append(message_id)
        self._ids.add(message_id)
        return True


def instance_subscription(
    instance_id: str, hub: Hub, revocations: Revocations, events: EventLog | None = None
) -> Subscription:
    recent = Recent()

    async def push(message: Message[Payload]) -> None:
        payload = message.payload
        user = _user_of(message)
        if message.envelope.type in REPLY_EVENTS and not recent.first(message.envelope.message_id):
            return
        if events is not None and user is not None and hub.count(user):
            await _log_event(events, message, user)
        revoked = False
        match payload:
            case TokenRevoked(scope="access", jti=str(jti)):
                revocations.revoke_access(jti)
                revoked = True
            case TokenRevoked(scope="session", session_id=str(session_id)):
                revocations.revoke_session(session_id)
                revoked = True
            case TokenRevoked(scope="user", user_id=user_id):
                revocations.revoke_user(user_id, message.envelope.occurred_at.timestamp())
                revoked = True
            case UserDeleted(user_id=user_id):
                revocations.revoke_user(user_id, message.envelope.occurred_at.timestamp())
                revoked = True
        if user is not None:
            envelope = message.envelope
            text = event_text(
                envelope.type, str(envelope.message_id), payload.model_dump(mode="json")
            )
            hub.push(user, text)
            if revoked:
                hub.close_revoked(user, revocations)
        # Let the connections' senders run between the events of a burst.
        await asyncio.sleep(0)

    return Subscription(
        group=f"gateway.{instance_id}",
        bindings=list(USER_EVENTS),
        handler=push,
        prefetch=1,
        ephemeral=True,
    )


def _resource_of(message: Message[Payload]) -> tuple[str, str] | None:
    """The event log an event belongs in: (`scan`, scan id) or (`reply`, reply id)."""
    kind = message.envelope.type
    field = "scan_id" if kind in SCAN_EVENTS else "reply_id" if kind in REPLY_EVENTS else None
    ident = getattr(message.payload, field, None) if field else None
    if not isinstance(ident, str):
        return None
    return ("scan" if field == "scan_id" else "reply"), ident


async def _log_event(events: EventLog, message: Message[Payload], user: str) -> None:
    """Append a scan or reply event to its log (a no-op for other events or a repeat)."""
    where = _resource_of(message)
    if where is None:
        return
    await events.append(
        where[0],
        where[1],
        owner=user,
        message_id=str(message.envelope.message_id),
        message_type=message.envelope.type,
        payload=message.payload.model_dump(mode="json"),
    )


def event_log_subscription(events: EventLog) -> Subscription:
    async def append(message: Message[Payload]) -> None:
        if isinstance(message.payload, UserDeleted):
            await events.erase_user(message.payload.user_id)
            return
        user = _user_of(message)
        if user is not None:
            await _log_event(events, message, user)

    return Subscription(
        group=EVENT_LOG_GROUP,
        bindings=[*LOGGED_EVENTS, "user.deleted"],
        handler=append,
        prefetch=1,
        single_active=True,
    )
