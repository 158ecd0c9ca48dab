"""The gateway's bus subscriptions.

- `gateway.<instance>` (ephemeral, one per instance): user-facing events pushed to this
  instance's WebSockets, and `token.revoked` / `user.deleted` kept in its revocation
  cache (closing the WebSockets they void). Every instance gets its own copy. A scan
  event bound for a WebSocket here is appended to the scan's event log before it is
  pushed (once per message id, whoever appends first), so `GET /api/v1/scans/{id}` never
  shows a state older than one a client has seen. Each appender takes the events in
  publish order, so the log keeps that order too.
- `gateway.events` (shared, instances compete): scan events appended once to each scan's
  event log in Redis, which every instance's SSE streams read. A single active consumer
  with prefetch 1 keeps the events in the order they were published, across instances.
"""

from __future__ import annotations

import asyncio

from bus.ports import Message, Subscription
from contracts import Payload
from contracts.accounts.v1 import TokenRevoked, UserDeleted
from gateway.auth import Revocations
from gateway.eventlog import EventLog
from gateway.realtime import Hub, event_text

SCAN_EVENTS = ("scan.progress", "scan.classified", "scan.failed", "scan.completed")
USER_EVENTS = (*SCAN_EVENTS, "character.*", "user.deleted", "token.revoked")
EVENT_LOG_GROUP = "gateway.events"


def _user_of(message: Message[Payload]) -> str | None:
    user = message.envelope.user_id or getattr(message.payload, "user_id", None)
    return user if isinstance(user, str) and user else None


def instance_subscription(
    instance_id: str, hub: Hub, revocations: Revocations, events: EventLog | None = None
) -> Subscription:
    async def push(message: Message[Payload]) -> None:
        payload = message.payload
        user = _user_of(message)
        if events is not None and user is not None and hub.count(user):
            await _log_scan_event(events, message, user)
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


async def _log_scan_event(events: EventLog, message: Message[Payload], user: str) -> None:
    """Append a scan event to its scan's log (a no-op for other events or a repeat)."""
    scan_id = getattr(message.payload, "scan_id", None)
    if message.envelope.type not in SCAN_EVENTS or not isinstance(scan_id, str):
        return
    await events.append(
        "scan",
        scan_id,
        owner=user,
        message_id=str(message.envelope.message_id),
        message_type=message.envelope.type,
        payload=message.payload.model_dump(mode="json"),
    )


def event_log_subscription(events: EventLog) -> Subscription:
    async def append(message: Message[Payload]) -> None:
        user = _user_of(message)
        if user is not None:
            await _log_scan_event(events, message, user)

    return Subscription(
        group=EVENT_LOG_GROUP,
        bindings=list(SCAN_EVENTS),
        handler=append,
        prefetch=1,
        single_active=True,
    )
