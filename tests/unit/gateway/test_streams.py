"""The stream cap: per user and per instance, slots given back exactly once."""

from __future__ import annotations

import fakeredis
import pytest

from gateway.errors import ApiError
from gateway.eventlog import EventLog
from gateway.streams import Streams, blocking_client, close_blocking


def test_a_user_past_the_cap_gets_429_and_others_still_open() -> None:
    streams = Streams(per_user=2, total=10)
    first, second = streams.open("alice"), streams.open("alice")
    with pytest.raises(ApiError) as caught:
        streams.open("alice")
    assert caught.value.status == 429
    assert caught.value.code == "rate_limited"
    assert caught.value.headers is not None
    assert int(caught.value.headers["Retry-After"]) > 0
    streams.open("bob")
    first.release()
    first.release()  # idempotent: the second release gives nothing back
    assert streams.count("alice") == 1
    streams.open("alice")
    second.release()
    assert streams.count() == 2


def test_the_instance_budget_is_503() -> None:
    streams = Streams(per_user=5, total=2)
    with streams.open("a"), streams.open("b"):
        with pytest.raises(ApiError) as caught:
            streams.open("c")
        assert caught.value.status == 503
    assert streams.count() == 0
    streams.open("c")


async def test_blocking_reads_use_a_pool_of_their_own() -> None:
    redis = fakeredis.FakeAsyncRedis()
    blocking = blocking_client(redis, 3)
    assert blocking.connection_pool is not redis.connection_pool
    assert blocking.connection_pool.max_connections == 3
    log = EventLog(redis, retention=60, max_len=10, blocking=blocking)
    await log.append(
        "scan", "s1", owner="u1", message_id="m1", message_type="scan.progress", payload={}
    )
    entries = await log.read("scan", "s1", "0-0", block=0.01)
    assert [entry.message_id for entry in entries] == ["m1"]
    await close_blocking(blocking)
    await redis.aclose()


def test_a_slot_handed_over_is_released_once_by_its_new_holder() -> None:
    streams = Streams(per_user=1, total=10)
    with streams.open("alice") as slot:
        held = slot.hand_over()
    assert streams.count("alice") == 1  # leaving the block gave nothing back
    with pytest.raises(ApiError):
        streams.open("alice")
    held.release()
    held.release()
    assert streams.count() == 0
