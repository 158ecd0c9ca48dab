"""The SSE event log forgets a deleted user: every stream and owner key of theirs."""

from __future__ import annotations

import uuid

import fakeredis

from bus.ports import Message
from contracts import new_envelope
from contracts.accounts.v1 import UserDeleted
from gateway.consumers import event_log_subscription
from gateway.eventlog import EventLog


async def append(log: EventLog, scan_id: str, owner: str) -> None:
    await log.append(
        "scan",
        scan_id,
        owner=owner,
        message_id=uuid.uuid4().hex,
        message_type="scan.progress",
        payload={"scan_id": scan_id, "user_id": owner, "hint": "my address"},
    )


async def test_user_deleted_erases_every_log_of_the_user_only() -> None:
    redis = fakeredis.FakeAsyncRedis()
    log = EventLog(redis, retention=600, max_len=10)
    await append(log, "s1", "alice")
    await append(log, "s2", "alice")
    await append(log, "s3", "bob")
    subscription = event_log_subscription(log)
    assert "user.deleted" in subscription.bindings
    payload = UserDeleted(user_id="alice")
    deleted = new_envelope(payload, user_id="alice")
    await subscription.handler(Message(deleted, payload, 1, "user.deleted"))
    found: list[bytes] = list(await redis.keys("eco2:events:*"))  # type: ignore[arg-type]
    keys = sorted(key.decode() for key in found if b":seen:" not in key)
    assert keys == [
        "eco2:events:owner:scan:s3",
        "eco2:events:scan:s3",
        "eco2:events:user:bob",
    ]
    assert await log.history("scan", "s1") == []
    assert await log.owner("scan", "s2") is None
    await redis.aclose()
