"""The SSE event log on the real Redis, through the client the runtime builds: a stream
waiting longer than the client library's default socket timeout (5 s) for its next event
gets that event, or nothing at the end of its wait, never a timeout error."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from gateway.eventlog import EventLog
from services.runtime.resources import build_redis
from services.runtime.settings import load_settings
from support.databases import flushed_redis
from support.env import redis_db

pytestmark = [pytest.mark.redis, pytest.mark.slow]

WAIT = 6.0  # seconds: over redis-py's default socket timeout


async def test_a_blocking_read_longer_than_the_default_socket_timeout_waits_it_out(
    redis_url: str,
) -> None:
    async with flushed_redis(redis_db(11)) as url:
        redis = build_redis(load_settings(redis_url=url))
        log = EventLog(redis, retention=60, max_len=100)
        reply = str(uuid.uuid4())
        try:
            assert await log.read("reply", reply, "0-0", block=WAIT) == []

            async def later() -> None:
                await asyncio.sleep(WAIT)
                await log.append(
                    "reply",
                    reply,
                    owner="u1",
                    message_id=str(uuid.uuid4()),
                    message_type="chat.context",
                    payload={"reply_id": reply},
                )

            writer = asyncio.create_task(later())
            entries = await log.read("reply", reply, "0-0", block=WAIT + 5)
            await writer
            assert [e.type for e in entries] == ["chat.context"]
        finally:
            await redis.aclose()
