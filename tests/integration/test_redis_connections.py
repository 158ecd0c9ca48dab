"""Redis connections as the services open them, against a real server: one that Redis
dropped while it sat idle is replaced on its next use, and the replacement is logged."""

from __future__ import annotations

import logging

import pytest
import redis.asyncio as aioredis

from services.runtime.resources import build_redis
from services.runtime.settings import load_settings

pytestmark = pytest.mark.redis


async def test_a_connection_killed_while_idle_is_replaced_on_first_use(
    redis_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("ECO2_REDIS_URL", redis_url)
    redis = build_redis(load_settings())
    killer = aioredis.from_url(redis_url)
    try:
        await redis.set("eco2-test:idle", "kept")
        client_id = await redis.client_id()
        assert await killer.client_kill_filter(_id=str(client_id)) == 1
        with caplog.at_level(logging.WARNING, "services.runtime.resources"):
            assert await redis.get("eco2-test:idle") == b"kept"
        assert await redis.client_id() != client_id, "a new connection answered"
        assert any("Redis connection failed" in r.getMessage() for r in caplog.records)
    finally:
        await redis.delete("eco2-test:idle")
        await redis.aclose()
        await killer.aclose()
