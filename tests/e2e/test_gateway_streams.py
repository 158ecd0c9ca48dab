"""Long-lived streams cannot take the service from other users (issue 17, availability).

The gateway runs on the real scan service (PostgreSQL) and, where the pool matters, on a
real Redis whose request pool is small: one user's open streams must neither exhaust it
nor stop another user's sign-in and reads.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from contracts.scan.v1 import ScanProgress
from support.images import jpeg
from tests.e2e.gateway_system import bearer, gateway_settings, register, sse, unique_email
from tests.e2e.scan_system import ScanSystem, scan_system

pytestmark = pytest.mark.postgres

PASSWORD = "correct horse battery"
REQUEST_POOL = 10


async def submit(client: httpx.AsyncClient, session: dict[str, Any]) -> str:
    files = {"image": ("photo.jpg", jpeg(), "image/jpeg")}
    response = await client.post("/api/v1/scans", files=files, headers=bearer(session))
    assert response.status_code == 202, response.text
    scan_id: str = response.json()["id"]
    return scan_id


async def open_streams(
    stack: AsyncExitStack, client: httpx.AsyncClient, n: int
) -> tuple[dict[str, Any], str, list[int]]:
    """A new user opens `n` streams of their scan at once, and keeps the open ones open:
    the user, the stream's URL, and the statuses."""
    session = await register(client)
    url = f"/api/v1/scans/{await submit(client, session)}/events"

    async def one() -> int:
        response = await stack.enter_async_context(
            client.stream("GET", url, headers=bearer(session))
        )
        if response.status_code != 200:
            await response.aread()
        return response.status_code

    return session, url, list(await asyncio.gather(*(one() for _ in range(n))))


async def others_are_served(client: httpx.AsyncClient) -> None:
    """A second user signs up, signs in, submits and reads: every answer as usual."""
    email = unique_email()
    await register(client, email)
    login = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    session = login.json()
    scan_id = await submit(client, session)
    read = await client.get(f"/api/v1/scans/{scan_id}", headers=bearer(session))
    assert read.status_code == 200, read.text
    listed = await client.get("/api/v1/scans", headers=bearer(session))
    assert listed.status_code == 200, listed.text


@pytest.fixture
async def pooled(postgres_url: str, redis_url: str, tmp_path: Path) -> AsyncIterator[ScanSystem]:
    """Streams allowed well past the request pool's size, on a real Redis."""
    settings = gateway_settings(data_dir=tmp_path, stream_max_per_user=3 * REQUEST_POOL)
    # Built as `services.runtime.resources.build_redis` builds it, with a small pool.
    pool = aioredis.BlockingConnectionPool.from_url(
        redis_url, max_connections=REQUEST_POOL, timeout=5.0
    )
    redis = aioredis.Redis.from_pool(pool)
    async with scan_system(settings, postgres_url, tmp_path, redis=redis) as built:
        yield built


async def test_one_users_streams_do_not_take_the_request_pool(pooled: ScanSystem) -> None:
    async with pooled.gateway.client() as client, AsyncExitStack() as stack:
        _, _, statuses = await open_streams(stack, client, 3 * REQUEST_POOL)
        assert statuses == [200] * (3 * REQUEST_POOL)
        # Each stream waits on Redis for the next event, none on the request pool.
        await asyncio.sleep(0.2)
        in_use = pooled.gateway_system.redis.connection_pool._in_use_connections
        assert len(in_use) < REQUEST_POOL
        await others_are_served(client)


@pytest.fixture
async def capped(postgres_url: str, tmp_path: Path) -> AsyncIterator[ScanSystem]:
    settings = gateway_settings(data_dir=tmp_path, stream_max_per_user=3)
    async with scan_system(settings, postgres_url, tmp_path) as built:
        yield built


async def test_streams_past_the_per_user_cap_are_429(capped: ScanSystem) -> None:
    async with capped.gateway.client() as client, AsyncExitStack() as stack:
        attacker, url, statuses = await open_streams(stack, client, 5)
        assert sorted(statuses) == [200, 200, 200, 429, 429]
        refused = await client.get(url, headers=bearer(attacker))
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert int(refused.headers["retry-after"]) > 0
        # WebSockets count against the same cap.
        token = attacker["access_token"]
        async with connect(f"{capped.gateway.ws}?access_token={token}") as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4429
        await others_are_served(client)
    # Closed streams give their slots back.
    async with capped.gateway.client() as client:
        status, _ = await asyncio.wait_for(_first_status(client, url, attacker), 10)
        assert status == 200


async def _first_status(
    client: httpx.AsyncClient, url: str, session: dict[str, Any]
) -> tuple[int, None]:
    while True:
        async with client.stream("GET", url, headers=bearer(session)) as response:
            if response.status_code != 429:
                return response.status_code, None
        await asyncio.sleep(0.05)


async def test_an_unknown_scan_is_404_at_once(capped: ScanSystem) -> None:
    async with capped.gateway.client() as client:
        owner = await register(client)
        # Well within the 10 s an unknown scan used to be awaited for.
        status, _ = await asyncio.wait_for(sse(client, f"scan-{uuid.uuid4().hex}", owner), 3)
        assert status == 404
        scan_id = await submit(client, owner)
        other = await register(client)
        status, _ = await asyncio.wait_for(sse(client, scan_id, other), 3)
        assert status == 404


async def test_a_known_scan_with_no_event_yet_streams_its_events(capped: ScanSystem) -> None:
    async with capped.gateway.client() as client:
        owner = await register(client)
        user = owner["user"]["id"]
        scan_id = await submit(client, owner)
        url = f"/api/v1/scans/{scan_id}/events"
        async with client.stream("GET", url, headers=bearer(owner)) as response:
            assert response.status_code == 200
            progress = ScanProgress(scan_id=scan_id, user_id=user, stage="vision", progress=40)
            message_id = await capped.gateway_system.publish(progress, user)
            async for line in response.aiter_lines():
                if line.startswith("data:"):
                    assert message_id in line
                    break
