"""The gateway on real RabbitMQ and Redis: two instances, revocation, WebSocket and SSE."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import aio_pika
import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import connect

from bus.policy import RetryPolicy
from bus.rabbit.topology import delete_group
from gateway.consumers import EVENT_LOG_GROUP
from tests.e2e.gateway_system import (
    GatewaySystem,
    bearer,
    gateway_settings,
    gateway_system,
    rabbit_buses,
    refused_within,
    register,
    sse,
)
from tests.e2e.test_gateway_realtime import failed, next_event, progress

pytestmark = [pytest.mark.rabbit, pytest.mark.redis]


@pytest.fixture
async def system(rabbit_url: str, redis_url: str) -> AsyncIterator[GatewaySystem]:
    accounts_group = f"test.accounts.{uuid.uuid4().hex[:8]}"
    settings = gateway_settings(bus_url=rabbit_url, redis_url=redis_url)
    redis = aioredis.from_url(redis_url)
    try:
        async with gateway_system(
            settings, rabbit_buses(rabbit_url), redis, instances=2, accounts_group=accounts_group
        ) as built:
            yield built
    finally:
        connection = await aio_pika.connect(rabbit_url)
        async with connection:
            channel = await connection.channel()
            for group in (accounts_group, EVENT_LOG_GROUP):
                await delete_group(channel, group, RetryPolicy().tiers())


async def test_logout_on_one_instance_is_refused_by_the_other_within_a_second(
    system: GatewaySystem,
) -> None:
    first, second = system.instances
    async with first.client() as one, second.client() as two:
        session = await register(one)
        assert (await two.get("/api/v1/users/me", headers=bearer(session))).status_code == 200
        async with connect(second.ws, additional_headers=bearer(session)) as ws:
            await ws.send(json.dumps({"type": "ping"}))
            assert await next_event(ws) == {"type": "pong"}
            assert (
                await one.post("/api/v1/auth/logout", headers=bearer(session))
            ).status_code == 204
            await refused_within(two, session)


async def test_events_reach_websockets_and_sse_across_instances(system: GatewaySystem) -> None:
    first, second = system.instances
    scan_id = f"scan-{uuid.uuid4().hex[:8]}"
    async with first.client() as one, second.client() as two:
        session = await register(one)
        user = session["user"]["id"]
        async with connect(second.ws, additional_headers=bearer(session)) as ws:
            await ws.send(json.dumps({"type": "ping"}))
            assert await next_event(ws) == {"type": "pong"}  # subscribed and connected
            for value in (10, 40, 70):
                await system.publish(progress(scan_id, user, value), user)
            await system.publish(failed(scan_id, user), user)
            pushed = [(await next_event(ws))["type"] for _ in range(4)]
            assert pushed == ["scan.progress"] * 3 + ["scan.failed"]
        status, events = await sse(one, scan_id, session)
        assert status == 200
        assert [e["event"] for e in events] == ["progress"] * 3 + ["failed"]
        status, rest = await sse(two, scan_id, session, last=events[1]["id"])
        assert [e["id"] for e in rest] == [e["id"] for e in events[2:]]
